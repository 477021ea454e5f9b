"""Lab 04: wrong mode switches, sends and runlevel backends that must lose points, right ones that must not."""
from labgrade import edit, hole, mutant, variant

LAPIC = "src/lapic.cpp"
CR8 = "src/arch/amd64/runlevel_arch.cpp"
TPR = "src/arch/i686/runlevel_arch.cpp"

mutant("x2apic_without_enable", breaks=["mode_switch_unit"],
       what="x2APIC bit set on a disabled APIC without setting the enable bit first (an invalid state: #GP)",
       edits=[edit(LAPIC, "if (!(base & apic_base::enable)) wrmsr(apic_base::msr, base |= apic_base::enable);", "")])
mutant("x2apic_to_xapic_directly", breaks=["mode_switch_unit"],
       what="x2APIC -> xAPIC by clearing the x2APIC bit alone, not through the disabled state",
       edits=[edit(LAPIC, "if (x2) wrmsr(apic_base::msr, base &= ~(apic_base::enable | apic_base::x2apic));", "")])
mutant("mode_recorded_first", breaks=["mode_switch_unit"],
       what="the CPU block names the new mode before IA32_APIC_BASE is switched",
       edits=[edit(LAPIC, "    uint64_t base = rdmsr(apic_base::msr);\n",
                   "    this_cpu()->apic_mode = machine_mode;\n    uint64_t base = rdmsr(apic_base::msr);\n")])
mutant("tpr_by_machine_mode", breaks=["tpr_own_mode_unit"],
       what="i686 TPR written by the machine's mode (MSR 0x808 once the BSP chose x2APIC), an AP's own mode ignored",
       edits=[hole(TPR, "the TPR, by this CPU", """    if (lapic_machine_mode() == ApicMode::X2Apic) wrmsr(0x808, runlevel_to_tpr(level));
    else if (c.apic_mode == ApicMode::XApic) lapic_write(LapicReg::Tpr, runlevel_to_tpr(level));
""")])
mutant("cr8_gets_tpr_value", breaks=["runlevel_amd64"],
       what="CR8 written with the TPR value (level << 4) instead of the priority class",
       edits=[edit(CR8, "uint64_t v = runlevel_to_cr8(level);", "uint64_t v = runlevel_to_tpr(level);")])
mutant("cr8_shifted_away", breaks=["runlevel_amd64"],
       what="CR8 written with level >> 4: always 0, nothing is ever held back",
       edits=[edit(CR8, "uint64_t v = runlevel_to_cr8(level);", "uint64_t v = runlevel_value(level) >> 4;")])
mutant("icr_low_first", breaks=["icr_xapic_unit", "xapic_amd64", "ipi_self_xapic_i686"],
       what="xAPIC ICR low half (which sends) written before the high half (the destination)",
       edits=[edit(LAPIC, "        lapic_write(LapicReg::IcrHigh, icr.xapic_high());\n        lapic_write(LapicReg::IcrLow, icr.xapic_low());\n",
                   "        lapic_write(LapicReg::IcrLow, icr.xapic_low());\n        lapic_write(LapicReg::IcrHigh, icr.xapic_high());\n")])
mutant("no_delivery_poll", breaks=["icr_xapic_unit"],
       what="xAPIC send returns without waiting for the delivery status to clear",
       edits=[edit(LAPIC, "while (lapic_read(LapicReg::IcrLow) & icr_send_pending) {", "while (false) {")])
mutant("poll_without_timeout", breaks=["icr_xapic_unit"],
       what="the delivery-status poll never gives up",
       edits=[edit(LAPIC, "if (rdtsc() - start > limit) {", "if (false) {\n                (void)start; (void)limit;")])
mutant("x2apic_icr_two_writes", breaks=["icr_x2apic_unit", "x2apic_amd64"],
       what="x2APIC ICR written as two 32-bit MSRs like the xAPIC pair (MSR 0x831 does not exist: #GP)",
       edits=[edit(LAPIC, "wrmsr(x2apic_msr(LapicReg::IcrLow), icr.x2apic_value());",
                   "wrmsr(x2apic_msr(LapicReg::IcrHigh), icr.destination());\n        wrmsr(x2apic_msr(LapicReg::IcrLow), icr.xapic_low());")])
mutant("x2apic_no_fence", breaks=["icr_x2apic_unit"],
       what="no fence before the x2APIC ICR write",
       edits=[edit(LAPIC, "        wrmsr_fence();\n", "")])
mutant("x2apic_8bit_destination", breaks=["icr_x2apic_unit"],
       what="x2APIC ICR with the xAPIC destination layout (8 bits at 63:56): APIC id 256 unreachable",
       edits=[edit(LAPIC, "wrmsr(x2apic_msr(LapicReg::IcrLow), icr.x2apic_value());",
                   "wrmsr(x2apic_msr(LapicReg::IcrLow), uint64_t(icr.xapic_high()) << 32 | icr.xapic_low());")])
mutant("xapic_truncates_destination", breaks=["icr_xapic_unit"],
       what="xAPIC send of a destination above 255 not refused: only its low 8 bits are sent",
       edits=[edit(LAPIC, "} else if (!icr.fits_xapic() && icr.shorthand() == Shorthand::None) {",
                   "} else if (false) {")])

variant("mode_switch_by_states", what="the mode switch as explicit states, one step at a time",
        edits=[hole(LAPIC, "move this CPU's IA32_APIC_BASE", """    constexpr uint64_t both = apic_base::enable | apic_base::x2apic;
    uint64_t base = rdmsr(apic_base::msr);
    ApicMode now = !(base & apic_base::enable) ? ApicMode::None
                 : (base & apic_base::x2apic) ? ApicMode::X2Apic : ApicMode::XApic;
    while (now != machine_mode) {
        if (now == ApicMode::X2Apic) {            // x2APIC -> disabled
            base &= ~both;
            now = ApicMode::None;
        } else if (now == ApicMode::None) {       // disabled -> xAPIC
            base |= apic_base::enable;
            now = ApicMode::XApic;
        } else {                                  // xAPIC -> x2APIC
            base |= apic_base::x2apic;
            now = ApicMode::X2Apic;
        }
        wrmsr(apic_base::msr, base);
    }
    this_cpu()->apic_mode = machine_mode;
""")])
variant("send_with_deadline", what="lapic_send with a now_ns() deadline and one exit",
        edits=[hole(LAPIC, "x2APIC: mfence; lfence", """    switch (mode_of_this_cpu()) {
    case ApicMode::X2Apic:
        wrmsr_fence();
        wrmsr(x2apic_msr(LapicReg::IcrLow), uint64_t(icr.destination()) << 32 | icr.xapic_low());
        break;
    default:
        if (icr.shorthand() == Shorthand::None && icr.destination() > 255) {
            log_error("lapic: cannot send to APIC id %u in xAPIC mode", icr.destination());
            ok = false;
            break;
        }
        lapic_write(LapicReg::IcrHigh, icr.xapic_high());
        lapic_write(LapicReg::IcrLow, icr.xapic_low());
        for (uint64_t deadline = now_ns() + 100000000ull; lapic_read(LapicReg::IcrLow) & icr_send_pending;) {
            if (now_ns() >= deadline) {
                log_error("lapic: IPI not delivered within 100 ms");
                ok = false;
                break;
            }
            cpu_relax();
        }
        break;
    }
""")])
variant("tpr_by_switch", what="the i686 TPR write as a switch on this CPU's mode, MSR 0x808 written directly",
        edits=[hole(TPR, "the TPR, by this CPU", """    switch (c.apic_mode) {
    case ApicMode::X2Apic: wrmsr(x2apic_msr(LapicReg::Tpr), runlevel_to_tpr(level)); break;
    case ApicMode::XApic: lapic_write(LapicReg::Tpr, runlevel_to_tpr(level)); break;
    default: break;  // no mode yet: lapic_init() writes the tracked level
    }
""")])
variant("cr8_inline", what="CR8 written straight from the level value",
        edits=[hole(CR8, "write the level's priority class", """    asm volatile("mov %0, %%cr8" ::"r"(uint64_t(runlevel_value(level))) : "memory");
""")])
