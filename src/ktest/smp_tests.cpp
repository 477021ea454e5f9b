/// @file smp_tests.cpp
/// Self-tests of AP bring-up.
#include "cpu.h"
#include "cpumask.h"
#include "cputable.h"
#include "ktest.h"
#include "log.h"
#include "smpboot.h"

/// Every online CPU reported its own kernel id and APIC id when it checked in
/// (cpu_number() through its own GS, lapic_id() from its own LAPIC); they must
/// match the CPU table, and no two CPUs may claim the same id.
KTEST(cpu_number, 1, "every online CPU knows its own kernel id and APIC id") {
    uint32_t bad = 0, n = 0;
    for_each_cpu(k, cpu_online_mask) {
        const CpuCheckin& c = cpu_checkins[k];
        bool ok = c.kid == k && c.apic == cpu_table.cpus[k].apic_id && c.apic == cpus[k].apic_id;
        log_info("ktest: cpu_number: cpu %u reported kid %u apic %u (table apic %u) %s", k, c.kid,
                 c.apic, cpu_table.cpus[k].apic_id, ok ? "ok" : "WRONG");
        bad += !ok;
        ++n;
    }
    ktest_detail("%u cpus checked, %u wrong", n, bad);
    return bad == 0 && n == cpu_online_mask.count();
}

/// All CPUs the kernel meant to start are online.
KTEST(smp, 2, "every CPU that was to start is online") {
    uint32_t want = 0;
    for (uint32_t k = 0; k < cpu_table.usable; ++k) want += cpu_table.cpus[k].will_start;
    uint32_t have = cpu_online_mask.count();
    ktest_detail("%u of %u online", have, want);
    return have == want;
}
