/// @file cputable.cpp
/// The discovery policy and the dense kernel-id <-> APIC-id table.
#include "cputable.h"
#include "acpi.h"
#include "format.h"
#include "kstring.h"
#include "log.h"
#include "mp.h"

CpuTable cpu_table;

namespace {

/// Append one firmware entry; the caller has checked the capacity.
void add_entry(CpuTable* t, uint32_t apic, uint32_t uid, bool enabled, bool online_capable) {
    t->cpus[t->count++] = CpuEntry{-1, apic, uid, enabled, online_capable, enabled, false, false};
}

/// True when some entry on @p bus (an MP bus id) is of type "ISA".
bool is_isa_bus(const MpInfo* mp, uint8_t bus) {
    for (uint32_t i = 0; i < mp->nbuses; ++i)
        if (mp->buses[i].id == bus) return memcmp(mp->buses[i].type, "ISA", 3) == 0;
    return false;
}

/// MP I/O interrupt entries for ISA IRQs that are not wired 1:1 to the first
/// IOAPIC, or not active-high edge: the same facts as MADT overrides.
void mp_overrides(CpuTable* t, const MpInfo* mp) {
    if (mp->nioapics == 0) return;
    for (uint32_t i = 0; i < mp->nirqs; ++i) {
        const MpIrq& q = mp->irqs[i];
        if (q.irq_type != 0 || q.dst_id != mp->ioapics[0].id || !is_isa_bus(mp, q.src_bus)) continue;
        if (q.src_irq == q.dst_pin && (q.flags & 0xF) == 0) continue;
        if (t->noverrides == MAX_IRQ_OVERRIDES) break;
        t->overrides[t->noverrides++] = IrqOverride{q.src_bus, q.src_irq, q.dst_pin, q.flags};
    }
}

/// Put the usable entries first, the BSP at index 0, and number them.
void assign_kernel_ids(CpuTable* t) {
    CpuEntry tmp[1];
    uint32_t u = 0;
    for (uint32_t i = 0; i < t->count; ++i) {
        if (!t->cpus[i].usable) continue;
        // Stable partition: move entry i down to position u.
        tmp[0] = t->cpus[i];
        for (uint32_t j = i; j > u; --j) t->cpus[j] = t->cpus[j - 1];
        t->cpus[u++] = tmp[0];
    }
    t->usable = u;
    for (uint32_t i = 0; i < u; ++i) {
        if (!t->cpus[i].bsp) continue;
        tmp[0] = t->cpus[i];
        for (uint32_t j = i; j > 0; --j) t->cpus[j] = t->cpus[j - 1];
        t->cpus[0] = tmp[0];
        break;
    }
    for (uint32_t i = 0; i < u; ++i) t->cpus[i].kid = int32_t(i);
    // The lookup index: insertion sort by APIC id (run once, at most 512 entries).
    for (uint32_t i = 0; i < u; ++i) {
        uint32_t j = i;
        for (; j > 0 && t->cpus[t->by_apic[j - 1]].apic_id > t->cpus[i].apic_id; --j)
            t->by_apic[j] = t->by_apic[j - 1];
        t->by_apic[j] = uint16_t(i);
    }
}

}  // namespace

const char* cpu_source_name(CpuSource s) {
    switch (s) {
    case CpuSource::Acpi: return "acpi";
    case CpuSource::Mp: return "mp";
    default: return "none";
    }
}

void cpu_table_build(CpuTable* t, const MadtInfo* madt, const MpInfo* mp, bool acpi_off,
                     uint32_t cpu_limit, uint32_t bsp_apic, uint32_t package_cpus) {
    memset(t, 0, sizeof *t);
    t->bsp_apic = bsp_apic;
    t->lapic_addr = LAPIC_DEFAULT_ADDR;
    auto usable_madt = [](const MadtInfo* m) {
        for (uint32_t i = 0; m && m->found && i < m->ncpus; ++i) if (m->cpus[i].enabled) return true;
        return false;
    };
    auto usable_mp = [](const MpInfo* m) {
        for (uint32_t i = 0; m && m->found && i < m->ncpus; ++i) if (m->cpus[i].enabled) return true;
        return false;
    };
    /// [policy]
    if (acpi_off) {
        log_info("cpus: acpi=off: the ACPI MADT is ignored, using the MP table");
    } else if (usable_madt(madt)) {
        t->source = CpuSource::Acpi;
    } else if (madt != nullptr && madt->found) {
        log_warn("cpus: the MADT lists no enabled CPU; trying the MP table");
    }
    if (t->source == CpuSource::None && usable_mp(mp)) t->source = CpuSource::Mp;
    /// [policy]

    if (t->source == CpuSource::Acpi) {
        for (uint32_t i = 0; i < madt->ncpus; ++i)
            add_entry(t, madt->cpus[i].apic_id, madt->cpus[i].uid, madt->cpus[i].enabled,
                      madt->cpus[i].online_capable);
        t->lapic_addr = madt->lapic_addr;
        t->nioapics = madt->nioapics;
        memcpy(t->ioapics, madt->ioapics, sizeof t->ioapics);
        t->noverrides = madt->noverrides;
        memcpy(t->overrides, madt->overrides, sizeof t->overrides);
    } else if (t->source == CpuSource::Mp) {
        for (uint32_t i = 0; i < mp->ncpus; ++i) add_entry(t, mp->cpus[i].apic_id, 0, mp->cpus[i].enabled, false);
        if (mp->lapic_addr != 0) t->lapic_addr = mp->lapic_addr;
        t->nioapics = mp->nioapics;
        memcpy(t->ioapics, mp->ioapics, sizeof t->ioapics);
        mp_overrides(t, mp);
        /// [seabios hint]
        // SeaBIOS puts only the first logical CPU of each package in its MP
        // table, and QEMU's -smp N is one package of N cores.
        if (package_cpus > mp->ncpus)
            log_warn("cpus: the MP table lists %u CPU(s) but CPUID reports %u logical CPUs in the boot "
                     "package: SeaBIOS lists only the first logical CPU of each package, and QEMU's "
                     "`-smp N` is one package of N cores; boot with `-smp N,sockets=N,cores=1` (or with "
                     "ACPI) to see them all", mp->ncpus, package_cpus);
        /// [seabios hint]
    } else {
        log_warn("cpus: no usable ACPI MADT and no MP table: running on the boot CPU only (apic %u)", bsp_apic);
    }

    /// [bsp always]
    // The BSP is running this code, whatever the table says about it.
    CpuEntry* bsp = nullptr;
    for (uint32_t i = 0; i < t->count; ++i) if (t->cpus[i].apic_id == bsp_apic) bsp = &t->cpus[i];
    if (bsp == nullptr) {
        if (t->source != CpuSource::None)
            log_warn("cpus: the boot CPU (apic %u) is not in the %s table; added", bsp_apic, cpu_source_name(t->source));
        if (t->count == COHORT_MAX_CPUS) --t->count;  // make room: the BSP matters more than the last entry
        add_entry(t, bsp_apic, 0, true, false);
        bsp = &t->cpus[t->count - 1];
    } else if (!bsp->usable) {
        log_warn("cpus: the boot CPU (apic %u) is listed as disabled; using it anyway", bsp_apic);
    }
    bsp->usable = bsp->bsp = true;
    /// [bsp always]
    assign_kernel_ids(t);

    // maxcpus=: 0 and 1 both mean the BSP alone.
    uint32_t limit = cpu_limit < 1 ? 1 : cpu_limit;
    t->to_start = limit < t->usable ? limit : t->usable;
    for (uint32_t i = 0; i < t->to_start; ++i) t->cpus[i].will_start = true;
}

namespace {
/// Entries the table logs one line each; above, runs share a line.
constexpr uint32_t kCpuLinesEach = 16;
/// @p b is @p a's successor in a run: the next APIC id and kernel id (or
/// both without one), and the same flags and fate.
bool same_but_next(const CpuEntry& a, const CpuEntry& b) {
    bool ids = b.apic_id == a.apic_id + 1 && (a.kid < 0 ? b.kid < 0 : b.kid == a.kid + 1);
    return ids && !a.bsp && !b.bsp && a.enabled == b.enabled && a.usable == b.usable && a.will_start == b.will_start;
}
}  // namespace

void cpu_table_log(const CpuTable& t) {
    log_info("cpus: found %u (source=%s)", t.usable, cpu_source_name(t.source));
    log_info("cpus: starting %u of %u", t.to_start, t.usable);
    for (uint32_t i = 0; i < t.count;) {
        const CpuEntry& c = t.cpus[i];
        const char* state = !c.usable ? "not usable" : c.will_start ? "will start" : "not started (maxcpus)";
        // On a big machine, a run of entries alike but for consecutive ids is
        // one line: 288 lines through an emulated UART cost about 0.4 s.
        uint32_t j = i + 1;
        while (t.count > kCpuLinesEach && j < t.count && same_but_next(t.cpus[j - 1], t.cpus[j])) ++j;
        char kid[24] = "-";
        if (c.kid >= 0 && j - i > 1) ksnprintf(kid, sizeof kid, "%d-%d", c.kid, t.cpus[j - 1].kid);
        else if (c.kid >= 0) ksnprintf(kid, sizeof kid, "%d", c.kid);
        if (j - i > 1)
            log_info("cpus %s: apic %u-%u %s %s %s", kid, c.apic_id, t.cpus[j - 1].apic_id,
                     c.enabled ? "enabled" : "disabled", c.bsp ? "bsp" : "ap", state);
        else
            log_info("cpu %s: apic %u %s %s %s", kid, c.apic_id, c.enabled ? "enabled" : "disabled",
                     c.bsp ? "bsp" : "ap", state);
        i = j;
    }
    for (uint32_t i = 0; i < t.nioapics; ++i) {
        if (t.ioapics[i].gsi_base == GSI_BASE_UNKNOWN)
            log_info("ioapic %u: addr 0x%x gsi ?", t.ioapics[i].id, t.ioapics[i].addr);
        else
            log_info("ioapic %u: addr 0x%x gsi %u", t.ioapics[i].id, t.ioapics[i].addr, t.ioapics[i].gsi_base);
    }
    for (uint32_t i = 0; i < t.noverrides; ++i) {
        const IrqOverride& o = t.overrides[i];
        log_info("override: irq %u -> gsi %u %s %s", o.irq, o.gsi, inti_active_low(o.flags) ? "low" : "high",
                 inti_level(o.flags) ? "level" : "edge");
    }
}

int cpu_table_kernel_id(const CpuTable& t, uint32_t apic) {
    uint32_t lo = 0, hi = t.usable;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const CpuEntry& c = t.cpus[t.by_apic[mid]];
        if (c.apic_id == apic) return c.kid;
        if (c.apic_id < apic) lo = mid + 1; else hi = mid;
    }
    return -1;
}

int kernel_id_of_apic(uint32_t apic) { return cpu_table_kernel_id(cpu_table, apic); }
