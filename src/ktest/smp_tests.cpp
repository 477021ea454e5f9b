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

#include "logsink.h"
#include "timer.h"
#include "x86.h"

/// The online APs that waited, halted, for the bring-up's end
/// (smp_ap_wait_bringup()) all left that wait when smp_boot() ended it: none
/// still there, none by its timeout, none for work (nothing is queued on an AP
/// during the bring-up). An AP may also get there after the end (Bochs runs
/// its CPUs in turns) and not wait at all. None was woken before the boot
/// CPU had printed the held lines (a woken AP takes host time from those
/// UART writes), and no AP's online line is still held (logsink_hold()).
KTEST(bringup_release, 2, "every AP that waited for the bring-up's end left it when it ended") {
    uint32_t aps = cpu_online_mask.count() - 1;
    uint64_t end = rdtsc() + tsc_khz() * 100;  // the wake-up IPIs went out when smp_boot() ended
    while (__atomic_load_n(&bringup_hold.left, __ATOMIC_ACQUIRE) < bringup_hold.waited && rdtsc() < end) cpu_relax();
    const BringupHold& h = bringup_hold;
    uint32_t held = logsink_deferred();
    ktest_detail("%u AP(s) online, %u waited, %u left (%u for work, %u by timeout, %u before the held lines), "
                 "%u line(s) still held", aps, h.waited, h.left, h.for_work, h.timed_out, h.early, held);
    return h.waited <= aps && h.left == h.waited && h.for_work == 0 && h.timed_out == 0 && h.early == 0 && held == 0;
}

namespace {
unsigned long long us_since_boot(uint64_t tsc) { return tsc ? tsc_to_ns(tsc - boot_tsc) / 1000 : 0; }
}  // namespace

/// The bring-up timeline, printed after the fact so that printing does not
/// disturb it: one `bench: bringup cpu=...` line per CPU with the INIT, SIPI
/// and online times (microseconds since the BSP's first instruction), and a
/// summary line. tools/timeline draws these; `make bench` reads them.
KTEST(bringup, 3, "print the bring-up timeline (bench: lines)") {
    uint32_t n = 0;
    uint64_t min_us = ~0ull, max_us = 0;
    for_each_cpu(k, cpu_online_mask) {
        const Cpu& c = cpus[k];
        log_info("bench: bringup cpu=%u apic=%u init_us=%llu sipi_us=%llu online_us=%llu", k, c.apic_id,
                 us_since_boot(c.init_tsc), us_since_boot(c.sipi_tsc), us_since_boot(c.online_tsc));
        if (k == 0) continue;
        uint64_t lat = tsc_to_ns(c.online_tsc - c.sipi_tsc) / 1000;
        if (lat < min_us) min_us = lat;
        if (lat > max_us) max_us = lat;
        ++n;
    }
    log_info("bench: bringup mode=%s cpus=%u start_us=%llu end_us=%llu total_us=%llu ap_min_us=%llu ap_max_us=%llu",
             bringup_parallel ? "parallel" : "sequential", cpu_online_mask.count(),
             us_since_boot(bringup_start_tsc), us_since_boot(bringup_end_tsc),
             (unsigned long long)(tsc_to_ns(bringup_end_tsc - bringup_start_tsc) / 1000),
             (unsigned long long)(n ? min_us : 0), (unsigned long long)max_us);
    ktest_detail("%u APs", n);
    return true;
}
