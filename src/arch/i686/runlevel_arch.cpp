/// @file runlevel_arch.cpp
/// i686: the runlevel is the LAPIC task-priority register (SDM Vol. 3A 10.8.3.1),
/// written in the way *this* CPU's APIC mode says: MSR 0x808 in x2APIC mode,
/// MMIO in xAPIC mode, and not at all before the CPU has set its mode. A global
/// "x2APIC is on" flag here would make an AP that has not yet switched itself
/// execute WRMSR 0x808 in xAPIC mode: a #GP.
#include "cpu.h"
#include "labs.h"
#include "lapic.h"
#include "runlevel.h"
#include "x86.h"

const char* arch_runlevel_path(const Cpu& c) {
    return c.apic_mode == ApicMode::X2Apic ? "tpr msr" : c.apic_mode == ApicMode::XApic ? "tpr mmio" : "none";
}

/// [tpr write]
void arch_write_runlevel(Cpu& c, Runlevel level) {
    // LAB 04 BEGIN: the TPR, by this CPU's own APIC mode; not at all before it has one
    if (c.apic_mode == ApicMode::None) return;  // tracked only; lapic_init() writes it
    lapic_write(LapicReg::Tpr, runlevel_to_tpr(level));
    // LAB 04 STUB: lab_todo(4, "the i686 runlevel backend in arch_write_runlevel()");
    // LAB 04 LATER: lab_later(4, "runlevels reach the TPR in xAPIC mode only");
    // LAB 04 LATER: if (c.apic_mode == ApicMode::XApic) lapic_write(LapicReg::Tpr, runlevel_to_tpr(level));
    // LAB 04 END
}
/// [tpr write]
