/// @file discover.cpp
/// The kernel side of CPU discovery: physical memory is identity mapped, so
/// the resolver hands out the address itself, bounded to the mapped 4 GiB.
#include "discover.h"
#include "acpi.h"
#include "cputable.h"
#include "fadt.h"
#include "lapic.h"
#include "log.h"
#include "mp.h"
#include "numa.h"
#include "physmem.h"
#include "timer.h"

namespace {
MadtInfo madt;
MpInfo mp;
SratInfo srat;
SlitInfo slit;
FadtInfo fadt;

const uint8_t* identity(const void*, uint64_t phys, size_t len) {
    if (phys >= (4ull << 30) || len > (4ull << 30) - phys) return nullptr;
    return (const uint8_t*)(uintptr_t)phys;
}
}  // namespace

const MadtInfo& discovered_madt() { return madt; }
const MpInfo& discovered_mp() { return mp; }
const FadtInfo& discovered_fadt() { return fadt; }

void discover_cpus(const BootOptions& opts, const Mb2Info& mb, uint32_t bsp_apic,
                   uint32_t package_cpus) {
    PhysMem mem{identity, nullptr};
    bool have_madt = false;
    Rsdp rsdp{};
    if (opts.acpi_off) {
        log_info("discover: acpi=off: ACPI tables ignored, reading the MP tables");
    } else {
        AcpiRsdpTags tags;
        tags.v2 = mb.rsdp_new;
        tags.v2_len = mb.rsdp_new_len;
        tags.v1 = mb.rsdp_old;
        tags.v1_len = mb.rsdp_old_len;
        have_madt = acpi_discover(mem, tags, &madt, &rsdp);
    }
    // The MP table is read whenever the MADT cannot name the CPUs: none, or
    // one with no enabled CPU (cpu_table_build() then says it falls back).
    bool madt_usable = false;
    for (uint32_t i = 0; have_madt && i < madt.ncpus; ++i) madt_usable |= madt.cpus[i].enabled;
    bool have_mp = false;
    if (!madt_usable) have_mp = mp_discover(mem, &mp);
    cpu_table_build(&cpu_table, have_madt ? &madt : nullptr, have_mp ? &mp : nullptr,
                    opts.acpi_off, opts.maxcpus == BootOptions::kAllCpus ? CPU_LIMIT_NONE : opts.maxcpus,
                    bsp_apic, package_cpus);

    // The NUMA nodes of the CPUs just numbered, and of memory (ACPI 6.5
    // 5.2.16-17); the frame allocator asks for them from here on.
    bool have_rsdp = rsdp.rsdt != 0 || rsdp.xsdt != 0;
    numa_discover(mem, have_rsdp ? &rsdp : nullptr, cpu_table, &srat, &slit, &numa_info);

    // The ACPI PM timer: a clock with its own crystal, for the timer
    // self-tests to check the PIT-calibrated clocks against; and the SCI's
    // registers, for the `sci` self-test (fadt.h).
    AcpiTableRef fref{};
    if (have_rsdp && acpi_find_table(mem, rsdp, "FACP", &fref) && fadt_parse(mem.map(fref.phys, fref.len), fref.len, &fadt))
        pm_timer_set(fadt.pm_timer, fadt.pm_timer_32);

    // LINT pins wired to NMI for every processor (MADT types 4/0xA; MP local
    // interrupt entries of type NMI, MP spec 1.4 4.3.4, destination 0xFF = all).
    if (cpu_table.source == CpuSource::Acpi) {
        // acpi.cpp already turned a type-4 entry's 0xFF into LAPIC_NMI_ALL; a
        // type-0xA (x2APIC) entry's uid 0xFF is one processor's.
        // Any other uid names the processor with that ACPI uid.
        for (uint32_t i = 0; i < madt.nlapic_nmis; ++i) {
            const auto& n = madt.lapic_nmis[i];
            for (uint32_t k = 0; k < cpu_table.usable; ++k)
                if (n.uid == LAPIC_NMI_ALL || n.uid == cpu_table.cpus[k].acpi_uid)
                    lapic_set_nmi_lint(n.lint, n.flags, n.uid == LAPIC_NMI_ALL ? lapic_nmi_every_cpu : k);
        }
    } else if (cpu_table.source == CpuSource::Mp) {
        // Destination 0xFF is every processor, any other the one with that APIC id.
        for (uint32_t i = 0; i < mp.nlints; ++i) {
            if (mp.lints[i].irq_type != 1) continue;
            for (uint32_t k = 0; k < cpu_table.usable; ++k)
                if (mp.lints[i].dst_id == 0xFF || mp.lints[i].dst_id == cpu_table.cpus[k].apic_id)
                    lapic_set_nmi_lint(mp.lints[i].dst_pin, mp.lints[i].flags,
                                       mp.lints[i].dst_id == 0xFF ? lapic_nmi_every_cpu : k);
        }
    }
}

/// [discover log]
void discover_log() {
    cpu_table_log(cpu_table);
    numa_log(numa_info, cpu_table);
    if (!fadt.found) return;
    if (fadt.pm_timer)
        log_info("acpi: FADT revision %u: PM timer at port 0x%x (%u bits%s), SCI irq %u", fadt.revision,
                 fadt.pm_timer, fadt.pm_timer_32 ? 32 : 24, fadt.pm_from_x ? ", X_PM_TMR_BLK" : "", fadt.sci_irq);
    else
        log_info("acpi: FADT revision %u names no usable PM timer", fadt.revision);
    if (fadt.sci)
        log_info("acpi: SCI irq %u: SMI_CMD 0x%x ACPI_ENABLE 0x%x, PM1a_EVT_BLK 0x%x (%u bytes), "
                 "PM1a_CNT_BLK 0x%x", fadt.sci_irq, fadt.smi_cmd, fadt.acpi_enable, fadt.pm1a_evt,
                 fadt.pm1_evt_len, fadt.pm1a_cnt);
}
/// [discover log]
