/// @file main.cpp
/// The boot order, top to bottom: kmain() on the bootstrap processor (BSP).
/// Each step says what must already be true for it.
#include "arch.h"
#include "cpu.h"
#include "log.h"
#include "panic.h"
#include "timer.h"
#include "trap.h"
#include "uart.h"

void run_global_constructors();
void cpu_init_bsp();

extern "C" [[noreturn]] void kmain(uint32_t magic, uintptr_t info) {
    // Requires: boot.asm set GS to cpus[0], so cpu_number() works. Serial first:
    // everything after this line can log.
    uart_init();
    run_global_constructors();
    log_info("Cohort kernel %s booting (magic 0x%x, info %p)", COHORT_ARCH, magic, (void*)info);

    // Requires: nothing more. Exceptions must be reportable before anything can fault.
    idt_init();
    cpu_init_bsp();

    // Requires: the PIT (always present on a PC). The log gets real timestamps from here.
    timer_calibrate_tsc();

    log_info("boot: done");
    machine_exit(ExitStatus::Pass);
}
