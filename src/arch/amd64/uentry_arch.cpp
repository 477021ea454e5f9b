/// @file uentry_arch.cpp
/// amd64: the per-CPU system-call registers and the kernel stack for ring 3
/// (docs/usermode.md). The entry code itself is uentry.asm.
#include "cpu.h"
#include "cpuid.h"
#include "uentry.h"
#include "x86.h"

extern "C" void syscall_entry();
extern "C" [[noreturn]] void enter_user_iret(uintptr_t ip, uintptr_t sp, uintptr_t arg0, uintptr_t arg1);

namespace {
constexpr uint32_t MSR_EFER = 0xC0000080;
constexpr uint32_t MSR_STAR = 0xC0000081;
constexpr uint32_t MSR_LSTAR = 0xC0000082;
constexpr uint32_t MSR_FMASK = 0xC0000084;
constexpr uint64_t EFER_SCE = 1u << 0, EFER_NXE = 1u << 11;
/// RFLAGS bits SYSCALL clears: IF (no interrupt before the stack switch),
/// DF (the ABI's direction), TF (no single step into the kernel), AC (no
/// alignment checks in the kernel), NT: POPF sets it in ring 3, and an IRETQ
/// run with NT set raises #GP (SDM Vol. 2A IRET, IA-32e mode). The switch
/// does not save RFLAGS, so a call that blocked carried NT to the next
/// thread, and a new user thread's first IRETQ faulted with the user's GS.
constexpr uint64_t FMASK = (1u << 9) | (1u << 10) | (1u << 8) | (1u << 18) | (1u << 14);
}  // namespace

/// [user cpu init]
void arch_user_cpu_init() {
    // All of these are per-CPU registers (SDM Vol. 3A 5.8.8, Vol. 4 Table
    // 2-2): the BSP's values reach no AP, so every CPU runs this itself.
    uint64_t efer = rdmsr(MSR_EFER) | EFER_SCE;
    if (cpu_has(this_cpu()->features, CpuFlag::Nx)) efer |= EFER_NXE;
    wrmsr(MSR_EFER, efer);
    // STAR[47:32]: SYSCALL's CS (SS = +8); STAR[63:48]: SYSRET's base
    // (SS = +8, 64-bit CS = +16, RPL 3): see the GDT order in archcpu.h.
    wrmsr(MSR_STAR, (uint64_t)SEL_UCODE32 << 48 | (uint64_t)SEL_KCODE << 32);
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)&syscall_entry);
    wrmsr(MSR_FMASK, FMASK);
    // A supervisor write to a read-only user page must fault, or
    // copy_to_user() could write into a program's text (SDM Vol. 3A 4.6.1).
    write_cr0(read_cr0() | (1u << 16));
}
/// [user cpu init]

/// [set kernel stack]
void arch_set_kernel_stack(uintptr_t top) {
    Cpu* c = this_cpu();
    c->arch.tss.rsp[0] = top;  // interrupts and exceptions from ring 3 (SDM Vol. 3A 6.14.4)
    c->entry_kstack = top;     // SYSCALL, which switches no stack by itself
}
/// [set kernel stack]

void arch_enter_user(uintptr_t ip, uintptr_t sp, uintptr_t arg0, uintptr_t arg1) {
    enter_user_iret(ip, sp, arg0, arg1);  // uentry.asm: an IRETQ frame for ring 3
}
