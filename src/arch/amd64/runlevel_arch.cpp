/// @file runlevel_arch.cpp
/// amd64: the runlevel is CR8, the architectural alias of TPR[7:4]
/// (SDM Vol. 3A 10.8.6.1). It needs no APIC access, so it is correct on every
/// CPU from its first instruction, whatever its APIC mode.
#include "cpu.h"
#include "labs.h"
#include "lapic.h"
#include "runlevel.h"

const char* arch_runlevel_path(const Cpu&) { return "cr8"; }

/// [cr8 write]
void arch_write_runlevel([[maybe_unused]] Cpu& c, Runlevel level) {
    // LAB 04 BEGIN: write the level's priority class to CR8
    uint64_t v = runlevel_to_cr8(level);
    asm volatile("mov %0, %%cr8" ::"r"(v) : "memory");
    // LAB 04 STUB: lab_todo(4, "the amd64 runlevel backend in arch_write_runlevel()");
    // LAB 04 LATER: lab_later(4, "runlevels go to the TPR through xAPIC MMIO, not CR8");
    // LAB 04 LATER: if (c.apic_mode == ApicMode::XApic) lapic_write(LapicReg::Tpr, runlevel_to_tpr(level));
    // LAB 04 END
}
/// [cr8 write]
