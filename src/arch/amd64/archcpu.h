/// @file archcpu.h
/// The amd64 part of each CPU's block: its own GDT and TSS (SDM Vol. 3A 7.7).
#pragma once
#include "types.h"

/// 64-bit task-state segment: only the stack pointers matter in long mode.
struct COHORT_PACKED Tss {
    uint32_t reserved0;  ///< reserved
    uint64_t rsp[3];     ///< stacks for privilege changes: rsp[0] is the running user thread's kernel stack
    uint64_t reserved1;  ///< reserved
    uint64_t ist[7];     ///< interrupt stack table: IST1 the double-fault stack, IST2 NMI and \#MC
    uint64_t reserved2;  ///< reserved
    uint16_t reserved3;  ///< reserved
    uint16_t iopb;       ///< I/O permission bitmap offset (none: past the limit)
};
static_assert(sizeof(Tss) == 104, "SDM Vol. 3A Figure 7-11");

/// Per-CPU descriptor tables of amd64.
///
/// The order of the user selectors is not free: SYSRET takes both of its
/// selectors from one field of IA32_STAR (bits 63:48 = 0x18): SS = 0x18 + 8
/// and, to 64-bit code, CS = 0x18 + 16, each with RPL 3 (SDM Vol. 2B SYSRET,
/// Vol. 3A 5.8.8). SYSCALL likewise takes CS = STAR[47:32] = 0x08 and
/// SS = 0x08 + 8. Hence user data sits just below user code, and 0x18 holds
/// a 32-bit user code descriptor that nothing uses (SYSRET to compatibility
/// mode would).
struct ArchCpu {
    alignas(16) uint64_t gdt[8];  ///< null, kernel code, kernel data, user code32, user data, user code64, TSS (two slots)
    Tss tss;                      ///< this CPU's TSS: rsp0 for ring 3, IST1 \#DF, IST2 NMI/\#MC
};

/// Kernel code selector.
constexpr uint16_t SEL_KCODE = 0x08;
/// Kernel data selector.
constexpr uint16_t SEL_KDATA = 0x10;
/// 32-bit user code (DPL 3): unused, but STAR's SYSRET base points here.
constexpr uint16_t SEL_UCODE32 = 0x18;
/// User data selector (DPL 3), without its RPL.
constexpr uint16_t SEL_UDATA = 0x20;
/// 64-bit user code selector (DPL 3), without its RPL.
constexpr uint16_t SEL_UCODE = 0x28;
/// This CPU's TSS selector.
constexpr uint16_t SEL_TSS = 0x30;
/// Which IST slot the double-fault gate uses.
constexpr int DF_IST = 1;
/// Which IST slot the NMI and machine-check gates use: both can arrive in the
/// instructions between SYSCALL and the switch to the kernel stack, where RSP
/// is still the user's (SDM Vol. 3A 6.14.5).
constexpr int NMI_IST = 2;
