/// @file log_tests.cpp
/// Self-test of the logger's line assembly (lab 1). Every CPU logging at once
/// is the `logger` test (services_tests.cpp).
///
/// The kernel cannot see its own serial output, so the test checks what it
/// can (the number of lines the sinks wrote) and prints lines whose shape the
/// lab grader checks from outside.
#include "console.h"
#include "ktest.h"
#include "log.h"
#include "logsink.h"
#include "timer.h"
#include "x86.h"

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

/// What one log line costs the CPU that writes it, with the sinks this boot
/// has (serial always, the VGA mirror unless vga=off or no VGA card): the
/// figure behind docs/logging.md's note on the mirror under QEMU.
KTEST(bench_log, -2, "cost of one log line on the sinks of this boot (bench: line)") {
    constexpr int kLines = 20;
    uint64_t t0 = rdtsc();
    for (int i = 0; i < kLines; ++i) log_info("bench-log: a line of about the usual length, sixty characters");
    uint64_t ns = tsc_to_ns(rdtsc() - t0);
    log_info("bench: logline line_us=%llu", (unsigned long long)(ns / kLines / 1000));
    return true;
}

/// The VGA mirror (console.cpp) from a fresh start: the screen must show what
/// the log wrote after a few lines (the rows below them blank, nothing left
/// from before), after a scroll, and after the 32 KiB window wrapped around.
/// By name, on one CPU with a VGA card (`services.vga-mirror` boot cases):
/// another CPU's line in the middle of a comparison would be a false difference.
KTEST(console, -2, "the VGA mirror shows the log: a fresh screen, a scroll, a wrap of the text window (by name)") {
    if (!logsink_vga() || !console_init()) {
        ktest_detail("the log is not mirrored in this boot (vga=off, no VGA card, or UEFI): nothing to compare");
        return false;
    }
    static constexpr int kAfter[] = {3, 40, 230};  // lines: fewer than a screen, a scroll, a wrap (204 rows)
    int written = 0;
    for (int want : kAfter) {
        for (; written < want; ++written) log_info("ktest: console: line %d", written + 1);
        char why[120];
        bool ok = console_check(why, sizeof why);
        log_info("ktest: console: after %d line(s): %s", written, why);
        if (!ok) {
            ktest_detail("after %d line(s): %s", written, why);
            return false;
        }
    }
    ktest_detail("the screen matched the log after 3, 40 and 230 lines");
    return true;
}
