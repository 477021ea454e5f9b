/// @file uentry.h
/// Entering and leaving ring 3 (docs/usermode.md). Implemented per arch in
/// `src/arch/<arch>/uentry_arch.cpp` and its assembly.
#pragma once
#include "arch.h"
#include "types.h"

/// On EVERY CPU as it comes online (the BSP in kmain, each AP in mpmain after
/// arch_cpu_load): amd64 sets EFER.SCE (and NXE where CPUID has it), STAR,
/// LSTAR and FMASK; i686 whatever it needs. These are per-CPU registers: an
/// AP that skips this has no system-call entry.
void arch_user_cpu_init();
/// This CPU's TSS rsp0/esp0 (amd64: also its SYSCALL stack slot): the stack
/// the CPU switches to when ring 3 is interrupted. The scheduler calls it on
/// every switch to a thread with a kernel stack.
void arch_set_kernel_stack(uintptr_t top);
/// A self-test's switch (test=user_nostack): while it names a CPU, the
/// scheduler gives ring 3 on that CPU no kernel stack (top 0), as in a tree
/// whose lab 09 is not done. ~0u: none (proc.cpp).
extern volatile uint32_t user_nostack_cpu;
/// IRET to ring 3 at @p ip with stack @p sp, interrupts on, every other
/// register zero; @p arg0 and @p arg1 in the ABI's first two argument
/// registers (amd64 RDI, RSI; i686 EAX, EDX, which crt0 pushes for main).
[[noreturn]] void arch_enter_user(uintptr_t ip, uintptr_t sp, uintptr_t arg0, uintptr_t arg1);
/// The portable system-call dispatcher (syscalls.cpp): both arches' entries call it.
extern "C" void syscall_dispatch(TrapFrame* tf);
