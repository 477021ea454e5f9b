/// @file log.h
/// The kernel log: one call, one whole line.
///
/// Every call formats one message (printf-style, see format.h) and emits it as
/// a single line prefixed with a timestamp and the calling CPU's id, e.g.
/// `[    0.012345] cpu0: cpus: found 4 (source=acpi)`. Lines from different
/// CPUs never interleave: the kernel formats into a private buffer first and
/// writes the whole line under the logger's spinlock (log.cpp).
///
/// Portable code (parsers, decoders) logs through these functions too; the host
/// unit tests link a capturing implementation (tests/unit/host_log.cpp) so a
/// test can check the exact warning a bad input produced.
#pragma once
#include "types.h"

/// Severity of a log line. Lines above the `loglevel=` boot option are dropped.
enum class LogLevel : uint8_t { Error = 0, Warn = 1, Info = 2, Debug = 3 };

/// Format and emit one line. Implemented by the kernel (log.cpp) and by the
/// host test support (tests/unit/host_log.cpp).
void log_vwrite(LogLevel level, const char* fmt, va_list ap);

/// Let the compiler check a printf-style call: argument @p f is the format, @p a the first value.
#define COHORT_PRINTF(f, a) __attribute__((format(printf, f, a)))

/// Log at Error level: something is wrong and a fallback was taken.
inline COHORT_PRINTF(1, 2) void log_error(const char* fmt, ...) {
    va_list ap; va_start(ap, fmt); log_vwrite(LogLevel::Error, fmt, ap); va_end(ap);
}
/// One line of a panic or exception report: Error level, without the
/// `ERROR: ` tag, since the report names itself (`PANIC:`, `EXCEPTION`,
/// `backtrace:`, the register rows). Implemented beside log_vwrite().
void log_vreport(const char* fmt, va_list ap);
/// Log one line of a panic or exception report (see log_vreport()).
inline COHORT_PRINTF(1, 2) void log_report(const char* fmt, ...) {
    va_list ap; va_start(ap, fmt); log_vreport(fmt, ap); va_end(ap);
}
/// Log at Warn level: bad input or an unusual machine; the line says what was done.
inline COHORT_PRINTF(1, 2) void log_warn(const char* fmt, ...) {
    va_list ap; va_start(ap, fmt); log_vwrite(LogLevel::Warn, fmt, ap); va_end(ap);
}
/// Log at Info level: the normal boot story.
inline COHORT_PRINTF(1, 2) void log_info(const char* fmt, ...) {
    va_list ap; va_start(ap, fmt); log_vwrite(LogLevel::Info, fmt, ap); va_end(ap);
}
/// Log at level @p lv, chosen at run time (e.g. one line that is Info on a
/// small machine and Debug on a large one).
inline COHORT_PRINTF(2, 3) void log_at(LogLevel lv, const char* fmt, ...) {
    va_list ap; va_start(ap, fmt); log_vwrite(lv, fmt, ap); va_end(ap);
}
/// Log at Debug level: details shown with `loglevel=3`.
inline COHORT_PRINTF(1, 2) void log_debug(const char* fmt, ...) {
    va_list ap; va_start(ap, fmt); log_vwrite(LogLevel::Debug, fmt, ap); va_end(ap);
}
