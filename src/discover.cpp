/// @file discover.cpp
/// The kernel side of CPU discovery: physical memory is identity mapped, so
/// the resolver hands out the address itself, bounded to the mapped 4 GiB.
#include "discover.h"
#include "acpi.h"
#include "cputable.h"
#include "lapic.h"
#include "log.h"
#include "mp.h"
#include "physmem.h"

namespace {
MadtInfo madt;
MpInfo mp;

const uint8_t* identity(const void*, uint64_t phys, size_t len) {
    if (phys >= (4ull << 30) || len > (4ull << 30) - phys) return nullptr;
    return (const uint8_t*)(uintptr_t)phys;
}
}  // namespace

const MadtInfo& discovered_madt() { return madt; }
const MpInfo& discovered_mp() { return mp; }

void discover_cpus(const BootOptions& opts, const Mb2Info& mb, uint32_t bsp_apic,
                   uint32_t package_cpus) {
    PhysMem mem{identity, nullptr};
    bool have_madt = false;
    if (opts.acpi_off) {
        log_info("discover: acpi=off: ACPI tables ignored, reading the MP tables");
    } else {
        AcpiRsdpTags tags;
        tags.v2 = mb.rsdp_new;
        tags.v2_len = mb.rsdp_new_len;
        tags.v1 = mb.rsdp_old;
        tags.v1_len = mb.rsdp_old_len;
        have_madt = acpi_discover(mem, tags, &madt);
    }
    bool have_mp = false;
    if (!have_madt) have_mp = mp_discover(mem, &mp);
    cpu_table_build(&cpu_table, have_madt ? &madt : nullptr, have_mp ? &mp : nullptr,
                    opts.acpi_off, opts.maxcpus == BootOptions::kAllCpus ? CPU_LIMIT_NONE : opts.maxcpus,
                    bsp_apic, package_cpus);
    cpu_table_log(cpu_table);

    // LINT pins wired to NMI for every processor (MADT types 4/0xA; MP local
    // interrupt entries of type NMI, MP spec 1.4 4.3.4, destination 0xFF = all).
    if (have_madt) {
        for (uint32_t i = 0; i < madt.nlapic_nmis; ++i)
            if (madt.lapic_nmis[i].uid == LAPIC_NMI_ALL || madt.lapic_nmis[i].uid == 0xFF)
                lapic_set_nmi_lint(madt.lapic_nmis[i].lint, madt.lapic_nmis[i].flags);
    } else if (have_mp) {
        for (uint32_t i = 0; i < mp.nlints; ++i)
            if (mp.lints[i].irq_type == 1 && mp.lints[i].dst_id == 0xFF)
                lapic_set_nmi_lint(mp.lints[i].dst_pin, mp.lints[i].flags);
    }
}
