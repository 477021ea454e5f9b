/// @file uentry_arch.cpp
/// amd64: the per-CPU system-call registers and the kernel stack for ring 3
/// (docs/usermode.md). The entry code itself is uentry.asm.
#include "cpu.h"
#include "cpuid.h"
#include "labs.h"
#include "uentry.h"
#include "x86.h"

extern "C" void syscall_entry();
extern "C" [[noreturn]] void enter_user_iret(uintptr_t ip, uintptr_t sp, uintptr_t arg0, uintptr_t arg1);

namespace {
constexpr uint32_t MSR_STAR = 0xC0000081;
constexpr uint32_t MSR_LSTAR = 0xC0000082;
constexpr uint32_t MSR_FMASK = 0xC0000084;
/// RFLAGS bits (SDM Vol. 1 3.4.3): trap, interrupt enable, direction, nested task, alignment check.
constexpr uint64_t RFLAGS_TF = 1u << 8, RFLAGS_IF = 1u << 9, RFLAGS_DF = 1u << 10, RFLAGS_NT = 1u << 14,
                   RFLAGS_AC = 1u << 18;
}  // namespace

/// [user cpu init]
void arch_user_cpu_init() {
    // All of these are per-CPU registers (SDM Vol. 3A 5.8.8, Vol. 4 Table
    // 2-2): the BSP's values reach no AP, so every CPU runs this itself.
    // LAB 09 BEGIN: this CPU's SYSCALL entry: EFER.SCE, STAR, LSTAR and FMASK
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    // STAR[47:32]: SYSCALL's CS (SS = +8); STAR[63:48]: SYSRET's base
    // (SS = +8, 64-bit CS = +16, RPL 3): see the GDT order in archcpu.h.
    wrmsr(MSR_STAR, (uint64_t)SEL_UCODE32 << 48 | (uint64_t)SEL_KCODE << 32);
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)&syscall_entry);
    // Cleared on entry: IF (no interrupt before the stack switch), DF (the
    // ABI's direction), TF (no single step into the kernel), AC (no
    // alignment checks in the kernel), NT: POPF sets it in ring 3, and an
    // IRETQ run with NT set raises #GP (SDM Vol. 2A IRET, IA-32e mode). The
    // switch does not save RFLAGS, so a call that blocked would carry NT to
    // the next thread, whose next IRETQ would fault (the user fuzzer found it).
    wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC | RFLAGS_NT);
    // LAB 09 STUB: lab_todo(9, "EFER.SCE, STAR, LSTAR and FMASK in arch_user_cpu_init()");
    // LAB 09 STUB: (void)MSR_STAR; (void)MSR_LSTAR; (void)MSR_FMASK; (void)EFER_SCE;
    // LAB 09 STUB: (void)RFLAGS_TF; (void)RFLAGS_IF; (void)RFLAGS_DF; (void)RFLAGS_AC; (void)RFLAGS_NT;
    // LAB 09 LATER: lab_later(9, "no SYSCALL entry (EFER.SCE, STAR, LSTAR, FMASK): a user program dies at its first system call");
    // LAB 09 LATER: (void)MSR_STAR; (void)MSR_LSTAR; (void)MSR_FMASK; (void)EFER_SCE;
    // LAB 09 LATER: (void)RFLAGS_TF; (void)RFLAGS_IF; (void)RFLAGS_DF; (void)RFLAGS_AC; (void)RFLAGS_NT;
    // LAB 09 END
    // Bit 63 of a PTE means no-execute only with EFER.NXE (Vol. 3A 4.5.4).
    if (cpu_has(this_cpu()->features, CpuFlag::Nx)) wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    // A supervisor write to a read-only user page must fault, or
    // copy_to_user() could write into a program's text (SDM Vol. 3A 4.6.1).
    write_cr0(read_cr0() | (1u << 16));
}
/// [user cpu init]

/// [set kernel stack]
void arch_set_kernel_stack(uintptr_t top) {
    // LAB 09 BEGIN: the stacks ring 3 enters on, for interrupts (TSS rsp0) and for SYSCALL (Cpu::entry_kstack)
    Cpu* c = this_cpu();
    c->arch.tss.rsp[0] = top;  // interrupts and exceptions from ring 3 (SDM Vol. 3A 6.14.4)
    c->entry_kstack = top;     // SYSCALL, which switches no stack by itself
    // LAB 09 STUB: lab_todo(9, "TSS rsp0 and the SYSCALL stack slot in arch_set_kernel_stack()");
    // LAB 09 STUB: (void)top;
    // LAB 09 LATER: lab_later(9, "rsp0 and the SYSCALL stack stay 0: a user program dies (#DF) entering the kernel");
    // LAB 09 LATER: (void)top;
    // LAB 09 END
}
/// [set kernel stack]

void arch_enter_user(uintptr_t ip, uintptr_t sp, uintptr_t arg0, uintptr_t arg1) {
    enter_user_iret(ip, sp, arg0, arg1);  // uentry.asm: an IRETQ frame for ring 3
}
