/// @file panic.h
/// Stopping the machine: panic reports and the QEMU exit codes.
#pragma once
#include "types.h"

/// Status written to QEMU's isa-debug-exit port (0xf4). QEMU exits with
/// (value << 1) | 1: pass 33, fail 35, panic 37 (docs/testing.md).
enum class ExitStatus : uint8_t {
    Pass = 0x10,   ///< a test run passed
    Fail = 0x11,   ///< a test run failed
    Panic = 0x12,  ///< the kernel panicked
};

/// Print `cohort: exit <status>` and leave QEMU with @p s; on other machines
/// (no isa-debug-exit device) halt this CPU instead.
[[noreturn]] void machine_exit(ExitStatus s);

/// Report a fatal error on this CPU and stop the machine.
[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/// First half of a panic: claim it (a second CPU panicking at the same time
/// halts here silently, so one report is printed whole), switch the logger to
/// panic mode and stop the other CPUs.
void panic_begin();

/// Second half: print `PANIC: cpu<n>: <message>` and the backtrace, then exit.
[[noreturn]] void panic_end(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/// Set by the IPI code once it can stop other CPUs; called by panic_begin().
extern void (*panic_stop_others)();

/// True once some CPU has started a panic.
bool panicking();
