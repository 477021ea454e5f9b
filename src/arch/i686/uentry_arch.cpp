/// @file uentry_arch.cpp
/// i686: what each CPU needs to take system calls and interrupts from ring 3.
#include "uentry.h"
#include "cpu.h"

void arch_user_cpu_init() {
    // Nothing: `int 0x80` needs only its DPL-3 gate in the shared IDT
    // (idt_init()) and this CPU's TSS with ss0 (arch_cpu_prepare()), loaded by
    // LTR in arch_cpu_load(). SYSENTER (SDM Vol. 3A 5.8.7) would need the
    // IA32_SYSENTER_CS/ESP/EIP MSRs here, per CPU; Cohort does not use it.
}

void arch_set_kernel_stack(uintptr_t top) {
    // The stack the CPU switches to on an interrupt or `int 0x80` from ring 3:
    // TSS.SS0:ESP0 (SDM Vol. 3A 6.12.1, 7.7). One TSS per CPU, so the
    // scheduler writes the running thread's kernel stack top into this CPU's.
    this_cpu()->arch.tss.esp0 = (uint32_t)top;
}

extern "C" [[noreturn]] void enter_user(uintptr_t ip, uintptr_t sp, uintptr_t arg0, uintptr_t arg1);  // uentry.asm

void arch_enter_user(uintptr_t ip, uintptr_t sp, uintptr_t arg0, uintptr_t arg1) { enter_user(ip, sp, arg0, arg1); }
