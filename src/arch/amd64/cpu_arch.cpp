/// @file cpu_arch.cpp
/// amd64: each CPU's GDT and TSS, the shared IDT, and the register dump of an
/// exception report.
#include "arch.h"
#include "config.h"
#include "cpu.h"
#include "log.h"
#include "trap.h"
#include "x86.h"

extern "C" const uintptr_t trap_stubs[256];

namespace {

/// A 16-byte interrupt gate (SDM Vol. 3A 6.14.1, Figure 6-8).
struct COHORT_PACKED Gate {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
};
static_assert(sizeof(Gate) == 16);

Gate idt[256];

constexpr uint64_t MSR_GS_BASE = 0xC0000101;
constexpr uint64_t MSR_KERNEL_GS_BASE = 0xC0000102;

}  // namespace

void idt_init() {
    for (int v = 0; v < 256; ++v) {
        uintptr_t a = trap_stubs[v];
        uint8_t ist = v == 8 ? DF_IST : (v == 2 || v == 18) ? NMI_IST : 0;
        idt[v] = Gate{(uint16_t)a, SEL_KCODE, ist, 0x8E,
                      (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0};
    }
}

void idt_load() {
    struct COHORT_PACKED { uint16_t limit; uint64_t base; } p{sizeof idt - 1, (uint64_t)idt};
    asm volatile("lidt %0" ::"m"(p));
}

void arch_cpu_prepare(Cpu& c, uintptr_t df_stack_top) {
    ArchCpu& a = c.arch;
    a.gdt[0] = 0;
    a.gdt[1] = 0x00AF9A000000FFFFull;  // 64-bit code, DPL 0
    a.gdt[2] = 0x00CF92000000FFFFull;  // data
    // The user segments, DPL 3, in the order SYSRET needs (archcpu.h).
    a.gdt[SEL_UCODE32 / 8] = 0x00CFFA000000FFFFull;  // 32-bit code, DPL 3 (unused)
    a.gdt[SEL_UDATA / 8] = 0x00CFF2000000FFFFull;    // data, DPL 3
    a.gdt[SEL_UCODE / 8] = 0x00AFFA000000FFFFull;    // 64-bit code (L=1), DPL 3
    uint64_t t = (uint64_t)&a.tss;
    uint64_t lim = sizeof(Tss) - 1;
    // Available 64-bit TSS descriptor, 16 bytes (SDM Vol. 3A 7.2.3).
    a.gdt[SEL_TSS / 8] = (lim & 0xFFFF) | ((t & 0xFFFFFF) << 16) | (0x89ull << 40) |
                         ((lim >> 16) & 0xF) << 48 | ((t >> 24) & 0xFF) << 56;
    a.gdt[SEL_TSS / 8 + 1] = t >> 32;
    a.tss = Tss{};
    // The double-fault stack's upper part for #DF, its lowest DF_NMI_STACK
    // bytes for NMI and #MC (config.h).
    a.tss.ist[DF_IST - 1] = df_stack_top;
    a.tss.ist[NMI_IST - 1] = df_stack_top - (DFSTACK_SIZE - DF_NMI_STACK);
    a.tss.iopb = sizeof(Tss);
    c.gdtr = Gdtr{sizeof a.gdt - 1, (uint64_t)a.gdt};
}

void arch_cpu_load(Cpu& c) {
    // The TSS descriptor must be "available" for LTR: clear the busy bit a
    // previous load (a CPU restarted after a timeout) may have left.
    c.arch.gdt[SEL_TSS / 8] &= ~(2ull << 40);
    asm volatile(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %2, %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        "ltr %w3\n\t"
        :
        : "m"(c.gdtr), "i"((uint64_t)SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS)
        : "rax", "memory");
    /// [gs base]
    // Loading a selector into GS would clear the base: set the base last.
    wrmsr(MSR_GS_BASE, (uint64_t)&c);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    /// [gs base]
}

void arch_print_frame(const TrapFrame* tf) {
    log_report("  rip %016llx  cs %04llx  rflags %08llx  rsp %016llx  ss %04llx",
              (unsigned long long)tf->ip, (unsigned long long)tf->cs, (unsigned long long)tf->flags,
              (unsigned long long)tf->sp, (unsigned long long)tf->ss);
    log_report("  rax %016llx  rbx %016llx  rcx %016llx  rdx %016llx",
              (unsigned long long)tf->rax, (unsigned long long)tf->rbx, (unsigned long long)tf->rcx,
              (unsigned long long)tf->rdx);
    log_report("  rsi %016llx  rdi %016llx  rbp %016llx  r8  %016llx",
              (unsigned long long)tf->rsi, (unsigned long long)tf->rdi, (unsigned long long)tf->rbp,
              (unsigned long long)tf->r8);
    log_report("  r9  %016llx  r10 %016llx  r11 %016llx  r12 %016llx",
              (unsigned long long)tf->r9, (unsigned long long)tf->r10, (unsigned long long)tf->r11,
              (unsigned long long)tf->r12);
    log_report("  r13 %016llx  r14 %016llx  r15 %016llx",
              (unsigned long long)tf->r13, (unsigned long long)tf->r14, (unsigned long long)tf->r15);
    log_report("  cr0 %08llx  cr2 %016llx  cr3 %016llx  cr4 %08llx",
              (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
              (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
}
