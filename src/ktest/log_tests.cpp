/// @file log_tests.cpp
/// Self-test of the logger's line assembly (lab 1). Every CPU logging at once
/// is the `logger` test (services_tests.cpp).
///
/// The kernel cannot see its own serial output, so the test checks what it
/// can (the number of lines the sinks wrote) and prints lines whose shape the
/// lab grader checks from outside.
#include "ktest.h"
#include "log.h"
#include "logsink.h"

/// One line at each level that is printed by default, and one too long for
/// the line buffer: it must come out cut short, ending in "...", still one line.
KTEST(log_lines, 5, "warning, error and over-long lines keep their shape") {
    char longmsg[520];
    for (size_t i = 0; i + 1 < sizeof longmsg; ++i) longmsg[i] = (char)('0' + i % 10);
    longmsg[sizeof longmsg - 1] = '\0';
    uint64_t before = logsink_lines();
    log_warn("ktest: log_lines: a warning");
    log_error("ktest: log_lines: an error");
    log_info("ktest: log_lines: long %s", longmsg);
    log_debug("ktest: log_lines: debug lines are dropped at the default loglevel");
    uint64_t wrote = logsink_lines() - before;
    uint64_t want = logsink_level() >= (int)LogLevel::Debug ? 4 : 3;
    ktest_detail("%llu lines written, %llu expected", (unsigned long long)wrote, (unsigned long long)want);
    return wrote == want;
}
