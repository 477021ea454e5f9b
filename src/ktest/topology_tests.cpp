/// @file topology_tests.cpp
/// The topology self-test: every online CPU's ids, checked on that CPU.
#include "cpu.h"
#include "cpumask.h"
#include "cputable.h"
#include "cputopo.h"
#include "ipi.h"
#include "ktest.h"
#include "lapic.h"
#include "log.h"

namespace {

/// What one CPU finds when it decodes its topology again, now.
struct Recheck {
    TopoIds ids;        ///< its ids from its own CPUID layout and its LAPIC's id
    bool same_layout;   ///< its layout is the machine's
};
Recheck rechecks[COHORT_MAX_CPUS];

void recheck_here(void*) {
    Cpu& c = *this_cpu();
    Topology own;
    cpu_probe_topology(c, own);
    rechecks[c.id] = Recheck{topology_ids(own, lapic_id()), topology_same_layout(own, machine_topology())};
}

bool same_ids(const TopoIds& a, const TopoIds& b) {
    return a.package == b.package && a.die == b.die && a.core == b.core && a.smt == b.smt;
}

}  // namespace

/// Every online CPU decodes its CPUID again and cuts its own LAPIC id with
/// it: that must give the ids it stored coming online, which must be the
/// machine layout's cut of the table's APIC id; no two CPUs share all four.
/// A machine on the flat fallback has said why with a warning; there only
/// the stored ids and uniqueness are checked.
KTEST(topology, 3, "every online CPU's package/die/core/SMT ids agree with its APIC id and CPUID's shifts") {
    const Topology& m = machine_topology();
    bool fallback = m.source == TopoSource::Fallback;
    ipi_call(cpu_online_mask, recheck_here, nullptr, true);
    uint32_t n = 0, bad = 0;
    for_each_cpu(k, cpu_online_mask) {
        const TopoIds& s = cpus[k].topo;
        bool ok = same_ids(s, topology_ids(m, cpu_table.cpus[k].apic_id));
        if (!fallback) ok = ok && rechecks[k].same_layout && same_ids(rechecks[k].ids, s);
        for_each_cpu(j, cpu_online_mask) {
            if (j >= k) break;
            ok = ok && !same_ids(cpus[j].topo, s);
        }
        if (!ok)
            log_info("ktest: topology: cpu %u apic %u stored package %u die %u core %u smt %u: WRONG", k,
                     cpu_table.cpus[k].apic_id, s.package, s.die, s.core, s.smt);
        bad += !ok;
        ++n;
    }
    ktest_detail("%u cpus checked, %u wrong (%s)", n, bad, topology_source_name(m));
    return bad == 0 && n == cpu_online_mask.count();
}
