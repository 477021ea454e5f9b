/// @file panic.cpp
/// The panic path: one readable report, other CPUs stopped, a distinct exit status.
#include "panic.h"
#include "cpu.h"
#include "format.h"
#include "log.h"
#include "logsink.h"
#include "trap.h"
#include "x86.h"

void (*panic_stop_others)() = nullptr;

namespace {
constexpr uint32_t NO_CPU = 0xFFFFFFFF;
volatile uint32_t panic_owner = NO_CPU;
}  // namespace

bool panicking() { return __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE) != NO_CPU; }

[[noreturn]] void machine_exit(ExitStatus s) {
    const char* name = s == ExitStatus::Pass ? "pass" : s == ExitStatus::Fail ? "fail" : "panic";
    log_info("cohort: exit %s (0x%x)", name, (unsigned)s);
    outb(0xf4, (uint8_t)s);  // isa-debug-exit: QEMU leaves here
    halt_forever();          // elsewhere (Bochs, hardware) just stop
}

void panic_begin() {
    cli();
    uint32_t me = cpu_number();
    uint32_t expected = NO_CPU;
    if (!__atomic_compare_exchange_n(&panic_owner, &expected, me, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        if (expected == me) {  // panicking inside the panic path: print the bare minimum
            logsink_emergency("PANIC: recursive panic\n");
            outb(0xf4, (uint8_t)ExitStatus::Panic);
        }
        this_cpu()->halted = 1;
        halt_forever();  // another CPU owns the report
    }
    logsink_enter_panic_mode(me);
    if (panic_stop_others) panic_stop_others();
}

[[noreturn]] void panic_end(const char* fmt, ...) {
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_report("PANIC: cpu%u: %s", cpu_number(), msg);
    machine_exit(ExitStatus::Panic);
}

[[noreturn]] void panic(const char* fmt, ...) {
    panic_begin();
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    // Start at our caller's frame: #0 is the call site of panic() itself.
    print_backtrace(*(const uintptr_t*)__builtin_frame_address(0), (uintptr_t)__builtin_return_address(0));
    panic_end("%s", msg);
}
