/// @file lapic.cpp
/// Local APIC access in both modes (SDM Vol. 3A chapter 10).
#include "lapic.h"
#include "config.h"
#include "cpuid.h"
#include "labs.h"
#include "log.h"
#include "panic.h"
#include "runlevel.h"
#include "timer.h"
#include "trap.h"
#include "vm.h"
#include "x86.h"

namespace {

ApicMode machine_mode = ApicMode::None;
uintptr_t mmio = 0xFEE00000;  // identity-mapped, uncached (vm_map_mmio)
// LINT pins the firmware tables name as NMI, per CPU (a MADT/MP entry may
// name one processor or all), with their MPS INTI flags.
uint8_t nmi_lint_mask[COHORT_MAX_CPUS];
uint16_t nmi_lint_flags[COHORT_MAX_CPUS][2];

ApicMode mode_of_this_cpu() { return this_cpu()->apic_mode; }

void on_error(TrapFrame*) {
    uint32_t esr = lapic_read_esr();
    char names[160];
    esr_describe(esr, names, sizeof names);
    log_warn("lapic: error interrupt on cpu %u: esr 0x%x (%s)", cpu_number(), esr, names);
    lapic_eoi();
}

}  // namespace

void lapic_choose_mode(const CpuFeatures& bsp, bool nox2apic, uint64_t mmio_base) {
    if (!cpu_has(bsp, CpuFlag::Apic)) {
        // No MSR 0x1B to read and nothing at 0xFEE00000 to trust: do without.
        machine_mode = ApicMode::None;
        log_error("lapic: CPUID says this CPU has no local APIC (CPUID.01H:EDX[9] = 0): running on the "
                  "boot CPU alone, without APs, IPIs, device interrupts or the LAPIC timer");
        return;
    }
    uint64_t base = rdmsr(apic_base::msr);
    bool firmware_x2 = (base & apic_base::enable) && (base & apic_base::x2apic);
    bool has_x2 = cpu_has(bsp, CpuFlag::X2apic);
    if (mmio_base == 0) mmio_base = base & apic_base::base_mask & 0xFFFFFFFFFull;
    mmio = (uintptr_t)mmio_base;
    if (has_x2 && !nox2apic) {
        machine_mode = ApicMode::X2Apic;
    } else {
        machine_mode = ApicMode::XApic;
        if (nox2apic && firmware_x2)
            log_info("lapic: firmware left x2APIC on; nox2apic: leaving it through the disabled state");
    }
    vm_map_mmio(mmio, 4096);
    log_info("lapic: mode %s (cpuid x2apic %s, nox2apic %s), xAPIC base 0x%llx",
             apic_mode_name(machine_mode), has_x2 ? "yes" : "no", nox2apic ? "given" : "not given",
             (unsigned long long)mmio_base);
    trap_set_handler(vec::lapic_error, on_error);
}

BootApicId lapic_boot_id(const CpuFeatures& bsp, bool nox2apic, uint32_t rewrite) {
    uint32_t cpuid_id = bsp.has_x2apic_id ? bsp.x2apic_id : bsp.initial_apic_id;
    if (!cpu_has(bsp, CpuFlag::Apic)) return {cpuid_id, cpuid_id, BootIdSource::Cpuid};
    uint64_t base = rdmsr(apic_base::msr);
    bool will_x2 = cpu_has(bsp, CpuFlag::X2apic) && !nox2apic;
    uint32_t reg = 0;
    if ((base & apic_base::enable) && !(base & apic_base::x2apic)) {
        uintptr_t page = (uintptr_t)(base & apic_base::base_mask & 0xFFFFFFFFFull);
        vm_map_mmio(page, 4096);
        uintptr_t id = page + (uint16_t)LapicReg::Id;
        if (rewrite != kNoRewrite) {
            mmio_write32(id, (mmio_read32(id) & 0x00FFFFFFu) | (rewrite << 24));
            log_warn("lapic: bsp_id_rewrite=%u: the boot CPU's xAPIC ID register now says %u, as firmware "
                     "may leave it (SDM Vol. 3A 10.4.6)", rewrite, mmio_read32(id) >> 24);
        }
        reg = mmio_read32(id);
    } else if (rewrite != kNoRewrite) {
        log_warn("lapic: bsp_id_rewrite=%u ignored: the boot CPU's LAPIC is not in xAPIC mode", rewrite);
    }
    return boot_apic_id(cpuid_id, base, reg, will_x2);
}

ApicMode lapic_machine_mode() { return machine_mode; }

bool lapic_id_reachable(uint32_t apic) {
    return lapic_machine_mode() == ApicMode::X2Apic ? apic != 0xFFFFFFFFu : apic < 0xFFu;
}

/// [enable mode]
bool lapic_available() { return machine_mode != ApicMode::None; }

void lapic_enable_mode() {
    // What the bring-up's stage said as the switch began: an AP whose stage
    // already says "LAPIC mode enabled" marked it too soon (mpmain() looks).
    this_cpu()->stage_at_switch = this_cpu()->boot_stage;
    if (machine_mode == ApicMode::None) return;
    // IA32_APIC_BASE transitions (SDM Vol. 3A 10.12.5, Figure 10-27):
    // disabled -> xAPIC -> x2APIC; x2APIC -> xAPIC only through disabled.
    // LAB 04 BEGIN: move this CPU's IA32_APIC_BASE to the machine's mode by allowed steps, then record the mode
    uint64_t base = rdmsr(apic_base::msr);
    bool x2 = (base & apic_base::enable) && (base & apic_base::x2apic);
    if (machine_mode == ApicMode::X2Apic) {
        if (!(base & apic_base::enable)) wrmsr(apic_base::msr, base |= apic_base::enable);
        if (!x2) wrmsr(apic_base::msr, base | apic_base::x2apic);
    } else {
        if (x2) wrmsr(apic_base::msr, base &= ~(apic_base::enable | apic_base::x2apic));
        // Already in xAPIC mode: no write (under QEMU a write resets the ID register).
        if (!(base & apic_base::enable)) wrmsr(apic_base::msr, base | apic_base::enable);
    }
    this_cpu()->apic_mode = machine_mode;
    // LAB 04 STUB: lab_todo(4, "the APIC mode switch in lapic_enable_mode()");
    // LAB 04 LATER: lab_later(4, "each CPU keeps the APIC mode the firmware left (xAPIC, or x2APIC if it chose that)");
    // LAB 04 LATER: uint64_t found = rdmsr(apic_base::msr) | apic_base::enable;
    // LAB 04 LATER: wrmsr(apic_base::msr, found);
    // LAB 04 LATER: this_cpu()->apic_mode = (found & apic_base::x2apic) ? ApicMode::X2Apic : ApicMode::XApic;
    // LAB 04 END
}
/// [enable mode]

/// [lapic access]
uint32_t lapic_read(LapicReg r) {
    switch (mode_of_this_cpu()) {
    case ApicMode::X2Apic: return (uint32_t)rdmsr(x2apic_msr(r));
    case ApicMode::XApic: return mmio_read32(mmio + (uint16_t)r);
    default: panic("lapic: read of 0x%x before this CPU chose its APIC mode", (unsigned)r);
    }
}

void lapic_write(LapicReg r, uint32_t v) {
    switch (mode_of_this_cpu()) {
    case ApicMode::X2Apic: wrmsr(x2apic_msr(r), v); return;
    case ApicMode::XApic: mmio_write32(mmio + (uint16_t)r, v); return;
    default: panic("lapic: write of 0x%x before this CPU chose its APIC mode", (unsigned)r);
    }
}
/// [lapic access]

uint32_t lapic_id() {
    if (mode_of_this_cpu() == ApicMode::None) return this_cpu()->apic_id;  // CPUID's word for it
    uint32_t id = lapic_read(LapicReg::Id);
    return mode_of_this_cpu() == ApicMode::X2Apic ? id : id >> 24;
}

void lapic_eoi() { lapic_write(LapicReg::Eoi, 0); }

int lapic_highest_in_service() {
    for (int w = 7; w >= 0; --w)
        if (uint32_t bits = lapic_read(lapic_vector_reg(LapicReg::IsrBase, (uint8_t)(w * 32))))
            return w * 32 + 31 - __builtin_clz(bits);
    return -1;
}

uint32_t lapic_end_in_service() {
    uint32_t ended = 0;
    // Each EOI clears the highest bit in service (SDM Vol. 3A 10.8.5).
    for (; ended < 256 && lapic_highest_in_service() >= 0; ++ended) lapic_eoi();
    return ended;
}

uint32_t lapic_read_esr() {
    lapic_write(LapicReg::Esr, 0);  // the write latches the errors into the register
    return lapic_read(LapicReg::Esr);
}

/// [lapic send]
bool lapic_send(Icr icr) {
    if (this_cpu()->apic_mode == ApicMode::None) return false;
    uintptr_t f = read_flags();
    cli();  // an interrupt handler sending an IPI between our two writes would mix them
    bool ok = true;
    // LAB 04 BEGIN: x2APIC: mfence; lfence, one 64-bit ICR write; xAPIC: high then low half, poll delivery status with a timeout
    if (mode_of_this_cpu() == ApicMode::X2Apic) {
        // A WRMSR to an x2APIC register is not serializing and may complete
        // before earlier stores are globally visible (SDM 10.12.3). MFENCE
        // drains the stores but orders only loads and stores, and WRMSR is
        // neither; LFENCE keeps the WRMSR from executing until the MFENCE is
        // done. So the target sees what we wrote before it sees the IPI
        // (wrmsr_fence() in x86.h is that pair).
        wrmsr_fence();
        wrmsr(x2apic_msr(LapicReg::IcrLow), icr.x2apic_value());
    } else if (!icr.fits_xapic() && icr.shorthand() == Shorthand::None) {
        log_error("lapic: APIC id %u does not fit xAPIC's 8-bit destination", icr.destination());
        ok = false;
    } else {
        lapic_write(LapicReg::IcrHigh, icr.xapic_high());
        lapic_write(LapicReg::IcrLow, icr.xapic_low());
        uint64_t start = rdtsc(), limit = tsc_khz() ? tsc_khz() * 100 : 1000000000ull;
        while (lapic_read(LapicReg::IcrLow) & icr_send_pending) {
            if (rdtsc() - start > limit) {
                log_error("lapic: IPI to APIC id %u still pending after 100 ms", icr.destination());
                ok = false;
                break;
            }
            cpu_relax();
        }
    }
    // LAB 04 STUB: lab_todo(4, "sending an IPI in lapic_send()");
    // LAB 04 LATER: lab_later(4, "no IPI is sent");
    // LAB 04 LATER: ok = false; (void)icr;
    // LAB 04 END
    write_flags(f);
    return ok;
}
/// [lapic send]

void lapic_set_nmi_lint(uint8_t lint, uint16_t flags, uint32_t cpu) {
    if (lint > 1) return;
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) {
        if (cpu != lapic_nmi_every_cpu && k != cpu) continue;
        nmi_lint_mask[k] |= (uint8_t)(1u << lint);
        nmi_lint_flags[k][lint] = flags;
    }
}

void lapic_init() {
    Cpu* c = this_cpu();
    if (c->apic_mode == ApicMode::None) return;
    lapic_write(LapicReg::Svr, svr::enable | vec::spurious);
    lapic_write(LapicReg::LvtTimer, Lvt{}.encode());
    lapic_write(LapicReg::LvtLint0, Lvt{}.encode());  // no virtual wire: the IOAPIC delivers IRQs
    lapic_write(LapicReg::LvtLint1, Lvt{}.encode());
    uint32_t k = c->id < COHORT_MAX_CPUS ? c->id : 0;
    // Each pin the tables name for this CPU becomes NMI, with the entry's
    // polarity (MPS INTI flags: polarity 3 = active low; its trigger bits do
    // not apply: NMI is always edge, SDM Vol. 3A 10.5.1).
    for (uint32_t pin = 0; pin < 2; ++pin) {
        if (!(nmi_lint_mask[k] & (1u << pin))) continue;
        Lvt l = Lvt::nmi();
        if ((nmi_lint_flags[k][pin] & 3) == 3) l = l.active_low();
        lapic_write(pin ? LapicReg::LvtLint1 : LapicReg::LvtLint0, l.encode());
    }
    lapic_write(LapicReg::LvtError, Lvt{}.vector(vec::lapic_error).unmask().encode());
    lapic_read_esr();
    lapic_read_esr();  // twice: the first write only re-arms (SDM 10.5.3)
    lapic_write(LapicReg::Tpr, runlevel_to_tpr((Runlevel)c->runlevel));
    lapic_eoi();  // drop anything left in service by the firmware
    uint32_t id = lapic_id();
    if (c->apic_id != id && c->id != 0)
        log_warn("lapic: cpu %u expected APIC id %u but reads %u", c->id, c->apic_id, id);
    c->apic_id = id;
}

void lapic_dump() {
    uint32_t ver = lapic_read(LapicReg::Version);
    log_info("lapic: cpu %u apic id %u mode %s version 0x%x lvts %u", cpu_number(), lapic_id(),
             apic_mode_name(this_cpu()->apic_mode), lapic_version(ver), lapic_lvt_count(ver));
    log_info("lapic:   tpr 0x%02x ppr 0x%02x svr 0x%x esr 0x%x", lapic_read(LapicReg::Tpr),
             lapic_read(LapicReg::Ppr), lapic_read(LapicReg::Svr), lapic_read(LapicReg::Esr));
    log_info("lapic:   lvt timer 0x%x lint0 0x%x lint1 0x%x error 0x%x",
             lapic_read(LapicReg::LvtTimer), lapic_read(LapicReg::LvtLint0),
             lapic_read(LapicReg::LvtLint1), lapic_read(LapicReg::LvtError));
    log_info("lapic:   timer initial %u current %u divide 0x%x", lapic_read(LapicReg::TimerInitial),
             lapic_read(LapicReg::TimerCurrent), lapic_read(LapicReg::TimerDivide));
}
