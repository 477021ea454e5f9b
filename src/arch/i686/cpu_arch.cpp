/// @file cpu_arch.cpp
/// i686: each CPU's GDT, TSS and double-fault task, the shared IDT, and the
/// register dump of an exception report.
#include "arch.h"
#include "cpu.h"
#include "log.h"
#include "trap.h"
#include "x86.h"

extern "C" const uintptr_t trap_stubs[256];
extern "C" void syscall_entry();  // trapentry.asm

namespace {

/// An 8-byte gate descriptor (SDM Vol. 3A 6.11, Figure 6-2).
struct COHORT_PACKED Gate {
    uint16_t off_lo, sel;
    uint8_t zero, type;
    uint16_t off_hi;
};
static_assert(sizeof(Gate) == 8);

Gate idt[256];

constexpr uint64_t segment(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    return (limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)access << 40 |
           (uint64_t)((limit >> 16) & 0xF) << 48 | (uint64_t)flags << 52 |
           (uint64_t)(base >> 24) << 56;
}

/// Entered by a task switch on a double fault, on its own stack: the
/// interrupted state was saved into this CPU's normal TSS.
extern "C" [[noreturn]] void double_fault_task() {
    const Tss& t = this_cpu()->arch.tss;
    TrapFrame tf{};
    tf.edi = t.edi; tf.esi = t.esi; tf.ebp = t.ebp; tf.esp_at_pusha = t.esp;
    tf.ebx = t.ebx; tf.edx = t.edx; tf.ecx = t.ecx; tf.eax = t.eax;
    tf.gs = t.gs; tf.fs = t.fs; tf.es = t.es; tf.ds = t.ds;
    tf.vector = 8; tf.error = 0; tf.ip = t.eip; tf.cs = t.cs; tf.flags = t.eflags;
    tf.sp = t.esp; tf.ss = t.ss;
    exception_report(&tf);
}

}  // namespace

void idt_init() {
    for (int v = 0; v < 256; ++v) {
        uintptr_t a = trap_stubs[v];
        idt[v] = Gate{(uint16_t)a, SEL_KCODE, 0, 0x8E, (uint16_t)(a >> 16)};
    }
    // #DF through a task gate: a fresh stack even when ESP is what broke.
    idt[8] = Gate{0, SEL_DFTSS, 0, 0x85, 0};
    // The system call: the one gate ring 3 may name in `int n`. A software
    // interrupt checks CPL <= gate DPL; every other gate keeps DPL 0, so
    // `int 3`, `int 0x20` or `int 8` from ring 3 is a #GP (SDM Vol. 3A
    // 6.12.1.1). An interrupt gate: IF is clear until syscall_entry has
    // loaded the kernel's segments.
    uintptr_t a = (uintptr_t)&syscall_entry;
    idt[0x80] = Gate{(uint16_t)a, SEL_KCODE, 0, 0xEE, (uint16_t)(a >> 16)};
}

void idt_load() {
    struct COHORT_PACKED { uint16_t limit; uint32_t base; } p{sizeof idt - 1, (uint32_t)idt};
    asm volatile("lidt %0" ::"m"(p));
}

void arch_cpu_prepare(Cpu& c, uintptr_t df_stack_top) {
    ArchCpu& a = c.arch;
    /// [percpu segment]
    a.gdt[0] = 0;
    a.gdt[1] = segment(0, 0xFFFFF, 0x9A, 0xC);
    a.gdt[2] = segment(0, 0xFFFFF, 0x92, 0xC);
    a.gdt[3] = segment((uint32_t)&c, 0xFFFF, 0x92, 0x4);
    a.gdt[4] = segment((uint32_t)&a.tss, sizeof(Tss) - 1, 0x89, 0x0);
    a.gdt[5] = segment((uint32_t)&a.df_tss, sizeof(Tss) - 1, 0x89, 0x0);
    /// [percpu segment]
    // Ring 3's flat code and data, DPL 3 (SDM Vol. 3A 5.2.1, 3.4.5). The
    // per-CPU segment keeps DPL 0: user code cannot load it (5.6).
    a.gdt[6] = segment(0, 0xFFFFF, 0xFA, 0xC);
    a.gdt[7] = segment(0, 0xFFFFF, 0xF2, 0xC);
    a.tss = Tss{};
    a.tss.ss0 = SEL_KDATA;  // esp0 comes with the first user thread: arch_set_kernel_stack()
    a.tss.iopb = sizeof(Tss);
    a.df_tss = Tss{};
    a.df_tss.cr3 = (uint32_t)read_cr3();
    a.df_tss.eip = (uint32_t)&double_fault_task;
    a.df_tss.eflags = 0x2;
    a.df_tss.esp = df_stack_top - 16;
    a.df_tss.cs = SEL_KCODE;
    a.df_tss.ss = a.df_tss.ds = a.df_tss.es = SEL_KDATA;
    a.df_tss.gs = SEL_PERCPU;
    a.df_tss.iopb = sizeof(Tss);
    c.gdtr = Gdtr{sizeof a.gdt - 1, (uint64_t)(uintptr_t)a.gdt};
}

void arch_cpu_load(Cpu& c) {
    c.arch.gdt[4] &= ~(2ull << 40);  // TSS "available" again for LTR (see amd64)
    asm volatile(
        "lgdt %0\n\t"
        "ljmp %1, $1f\n"
        "1:\n\t"
        "movw %2, %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        "movw %3, %%ax\n\t"
        "movw %%ax, %%gs\n\t"
        "ltr %w4\n\t"
        :
        : "m"(c.gdtr), "i"(SEL_KCODE), "i"(SEL_KDATA), "i"(SEL_PERCPU), "r"(SEL_TSS)
        : "eax", "memory");
}

void arch_print_frame(const TrapFrame* tf) {
    bool user = tf_from_user(tf);
    // From ring 3 the CPU pushed SS:ESP; the #DF task copied them from the TSS.
    uintptr_t sp = user || tf->vector == 8 ? tf->sp : tf_kernel_sp(tf);
    log_report("  eip %08x  cs %04x  eflags %08x  esp %08x  ss %04x%s",
              tf->ip, tf->cs & 0xFFFF, tf->flags, (unsigned)sp,
              user || tf->vector == 8 ? tf->ss & 0xFFFF : (unsigned)SEL_KDATA, user ? " (ring 3)" : "");
    log_report("  ds %04x  es %04x  fs %04x  gs %04x",
              tf->ds & 0xFFFF, tf->es & 0xFFFF, tf->fs & 0xFFFF, tf->gs & 0xFFFF);
    log_report("  eax %08x  ebx %08x  ecx %08x  edx %08x", tf->eax, tf->ebx, tf->ecx, tf->edx);
    log_report("  esi %08x  edi %08x  ebp %08x", tf->esi, tf->edi, tf->ebp);
    log_report("  cr0 %08x  cr2 %08x  cr3 %08x  cr4 %08x",
              (unsigned)read_cr0(), (unsigned)read_cr2(), (unsigned)read_cr3(), (unsigned)read_cr4());
}
