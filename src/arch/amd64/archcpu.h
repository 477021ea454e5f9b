/// @file archcpu.h
/// The amd64 part of each CPU's block: its own GDT and TSS (SDM Vol. 3A 7.7).
#pragma once
#include "types.h"

/// 64-bit task-state segment: only the stack pointers matter in long mode.
struct COHORT_PACKED Tss {
    uint32_t reserved0;  ///< reserved
    uint64_t rsp[3];     ///< stacks for privilege changes (ring 0 only uses none yet)
    uint64_t reserved1;  ///< reserved
    uint64_t ist[7];     ///< interrupt stack table: ist[0] is IST1, the double-fault stack
    uint64_t reserved2;  ///< reserved
    uint16_t reserved3;  ///< reserved
    uint16_t iopb;       ///< I/O permission bitmap offset (none: past the limit)
};
static_assert(sizeof(Tss) == 104, "SDM Vol. 3A Figure 7-11");

/// Per-CPU descriptor tables of amd64.
struct ArchCpu {
    alignas(16) uint64_t gdt[5];  ///< null, kernel code, kernel data, TSS (two slots)
    Tss tss;                      ///< this CPU's TSS: IST1 = double-fault stack
};

/// Kernel code selector.
constexpr uint16_t SEL_KCODE = 0x08;
/// Kernel data selector.
constexpr uint16_t SEL_KDATA = 0x10;
/// This CPU's TSS selector.
constexpr uint16_t SEL_TSS = 0x18;
/// Which IST slot the double-fault gate uses.
constexpr int DF_IST = 1;
