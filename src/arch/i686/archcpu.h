/// @file archcpu.h
/// The i686 part of each CPU's block: its own GDT, its TSS, and a second TSS
/// that a task gate switches to on a double fault (SDM Vol. 3A 6.15, \#DF).
#pragma once
#include "types.h"

/// 32-bit task-state segment (SDM Vol. 3A Figure 7-2).
struct COHORT_PACKED Tss {
    ///@{
    /// Previous-task link, and the stack of each privilege level 0-2.
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2;
    ///@}
    ///@{
    /// The task's state: saved here by a task switch away, loaded by one to it.
    uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    ///@}
    ///@{
    /// Debug-trap flag (bit 0) and the I/O permission bitmap offset.
    uint16_t trap, iopb;
    ///@}
};
static_assert(sizeof(Tss) == 104, "SDM Vol. 3A Figure 7-2");

/// Per-CPU descriptor tables of i686.
struct ArchCpu {
    /// null, code, data, per-CPU (GS), TSS, double-fault TSS, user code, user data
    alignas(16) uint64_t gdt[8];
    Tss tss;                      ///< the CPU's normal task: esp0/ss0 for entries from ring 3; saved here on a double fault
    Tss df_tss;                   ///< the double-fault task: its own stack and EIP
};

/// Kernel code selector.
constexpr uint16_t SEL_KCODE = 0x08;
/// Kernel data selector.
constexpr uint16_t SEL_KDATA = 0x10;
/// The per-CPU segment, loaded in GS: its base is this CPU's block.
constexpr uint16_t SEL_PERCPU = 0x18;
/// This CPU's TSS selector.
constexpr uint16_t SEL_TSS = 0x20;
/// This CPU's double-fault TSS selector (the \#DF task gate points here).
constexpr uint16_t SEL_DFTSS = 0x28;
/// User code selector: GDT entry 6, DPL 3, with RPL 3 (SDM Vol. 3A 5.5).
constexpr uint16_t SEL_UCODE = 0x30 | 3;
/// User data and stack selector: GDT entry 7, DPL 3, with RPL 3.
constexpr uint16_t SEL_UDATA = 0x38 | 3;
