/// @file bringup_tests.cpp
/// Self-tests of how the APs were started, judged from what the BSP's INIT and
/// SIPI helpers noted (smpboot.cpp) and the times each AP checked in, never
/// from the command line: a "parallel" bring-up that starts one AP at a time,
/// a missing INIT wait or a SIPI an AP did not need shows here.
#include "cmdline.h"
#include "cpu.h"
#include "cpumask.h"
#include "cputable.h"
#include "ktest.h"
#include "log.h"
#include "smpboot.h"
#include "timer.h"

namespace {
unsigned long long us(uint64_t tsc_delta) { return tsc_to_ns(tsc_delta) / 1000; }

/// No AP to judge: right only when the kernel was to start none (one CPU,
/// maxcpus=1); an AP that was to start and is not online is a failure.
bool nothing_to_judge() {
    bool none_wanted = cpu_table.to_start <= 1;
    ktest_detail(none_wanted ? "no AP was to start: nothing to judge" : "no AP online: nothing to judge");
    return none_wanted;
}
}  // namespace

/// Parallel (SDM Vol. 3A 8.4.4.1 with the waits shared, as Zircon and Linux
/// 6.5 do): every INIT went out before the first SIPI, and every first SIPI
/// before the first AP checked in. With an AP started first (`pilot_above=`),
/// that AP was online before any other got its SIPI, and the others are
/// judged as above among themselves. Sequential: each AP's INIT went out
/// after the AP before it was online. Under QEMU's -icount the vCPUs take
/// turns, so a right parallel bring-up is never overtaken by an AP; on a
/// loaded host without -icount the BSP can lose its host core between two
/// SIPIs, so the test runs only by name (lab 05 names it on -icount boots),
/// not in test=all.
KTEST(bringup_order, -1, "the APs were started in the order smpboot= asks for (by name; -icount boots)") {
    uint64_t last_init = 0, first_sipi = ~0ull, last_sipi = 0, first_online = ~0ull;
    uint32_t n = 0, late = 0, early = 0, first = bringup_parallel ? bringup_first : 0;
    for_each_cpu(k, cpu_online_mask) {
        if (k == 0) continue;
        const Cpu& c = cpus[k];
        ++n;
        if (c.init_tsc > last_init) last_init = c.init_tsc;
        for_each_cpu(j, cpu_online_mask)  // sequential: APs start in kernel id order
            if (j && j < k && c.init_tsc < cpus[j].online_tsc) ++early;
        if (k == first) continue;  // judged on its own below
        if (c.sipi_tsc < first_sipi) first_sipi = c.sipi_tsc;
        if (c.sipi_tsc > last_sipi) last_sipi = c.sipi_tsc;
        if (c.online_tsc < first_online) first_online = c.online_tsc;
    }
    if (!n) return nothing_to_judge();
    if (bringup_parallel) {
        if (first) {  // every INIT before its SIPI too, and online before the others' SIPIs
            const Cpu& f = cpus[first];
            bool ahead = f.online && f.online_tsc < first_sipi && last_init < f.sipi_tsc;
            if (!ahead)
                log_info("ktest: bringup_order: cpu %u, started first, was %s", first,
                         !f.online ? "not online" : last_init >= f.sipi_tsc ? "sent its SIPI before the last INIT"
                                                                           : "online only after another AP's SIPI");
            late += !ahead;
        }
        late += (last_init > first_sipi) + (last_sipi > first_online);
        if (last_init > first_sipi)
            log_info("ktest: bringup_order: an INIT went out %llu us after the first SIPI", us(last_init - first_sipi));
        if (last_sipi > first_online)
            log_info("ktest: bringup_order: a SIPI went out %llu us after the first AP was online",
                     us(last_sipi - first_online));
        if (first)
            ktest_detail("parallel: cpu %u first, then %u AP(s): INITs %s the first SIPI, SIPIs %s the first AP online",
                         first, n - 1, last_init < first_sipi ? "all before" : "NOT all before",
                         last_sipi < first_online ? "all before" : "NOT all before");
        else
            ktest_detail("parallel: %u AP(s): INITs %s the first SIPI, SIPIs %s the first AP online", n,
                         last_init < first_sipi ? "all before" : "NOT all before",
                         last_sipi < first_online ? "all before" : "NOT all before");
        return late == 0;
    }
    ktest_detail("sequential: %u AP(s), %u INIT(s) sent before an earlier AP was online", n, early);
    return early == 0;
}

/// Every AP's first SIPI went out at least `init_delay_us` after its INIT
/// (SDM Vol. 3A 8.4.4.1: the INIT must have taken effect).
KTEST(bringup_init_wait, 5, "each AP's first SIPI came init_delay_us or more after its INIT") {
    uint64_t want = boot_options().init_delay_us, shortest = ~0ull;
    uint32_t n = 0, bad = 0;
    for_each_cpu(k, cpu_online_mask) {
        if (k == 0) continue;
        uint64_t got = tsc_to_ns(cpus[k].sipi_tsc - cpus[k].init_tsc) / 1000;
        if (cpus[k].sipi_tsc < cpus[k].init_tsc) got = 0;
        if (got < shortest) shortest = got;
        if (got < want) {
            log_info("ktest: bringup_init_wait: cpu %u: SIPI %llu us after INIT, want >= %llu", k,
                     (unsigned long long)got, (unsigned long long)want);
            ++bad;
        }
        ++n;
    }
    if (!n) return nothing_to_judge();
    ktest_detail("%u AP(s), shortest INIT-to-SIPI %llu us, init_delay_us=%llu", n,
                 (unsigned long long)(n ? shortest : 0), (unsigned long long)want);
    return n && !bad;
}

/// Each AP that was started got one INIT and one or two SIPIs, and never a
/// SIPI after it had left wait-for-SIPI (SDM Vol. 3A 8.4.4.1: the second SIPI
/// is for an AP that did not take the first). Without -icount an AP can start
/// between the BSP's look at it and its second SIPI: by name only, as above.
KTEST(bringup_sipis, -1, "one INIT per AP, a second SIPI only to an AP that had not started (by name)") {
    uint32_t n = 0, bad = 0, seconds = 0;
    for (uint32_t k = 1; k < COHORT_MAX_CPUS; ++k) {
        const BringupRecord& r = bringup_records[k];
        if (!r.inits && !r.sipis) continue;
        bool ok = r.inits == 1 && r.sipis >= 1 && r.sipis <= 2 && r.sipis_to_started == 0;
        if (!ok)
            log_info("ktest: bringup_sipis: cpu %u: %u INIT(s), %u SIPI(s), %u of them after it had started", k,
                     r.inits, r.sipis, r.sipis_to_started);
        seconds += r.sipis == 2;
        bad += !ok;
        ++n;
    }
    if (!n) return nothing_to_judge();
    ktest_detail("%u AP(s) started, %u second SIPI(s), %u AP(s) with a wrong count", n, seconds, bad);
    return n && !bad;
}

/// The AP started first (`pilot_above=`, smp_boot()): there is one exactly
/// when a parallel bring-up started more than `pilot_above` APs (and at
/// least two), and every other AP got its first SIPI only after it was
/// online, or after its wait (a tenth of `ap_timeout_ms`) ran out. The
/// SIPIs wait for the AP's check-in, so the order holds on any host: in
/// test=all.
KTEST(bringup_first, 5, "with more than pilot_above APs, one AP went first and was online before the others' SIPIs") {
    const BootOptions& o = boot_options();
    uint32_t n = 0, first = bringup_first, after = 0;
    uint64_t last_init = 0, others_sipi = ~0ull;
    for (uint32_t k = 1; k < COHORT_MAX_CPUS; ++k) {
        if (!bringup_records[k].inits) continue;
        ++n;
        if (cpus[k].init_tsc > last_init) last_init = cpus[k].init_tsc;
        if (k != first && bringup_records[k].sipis && cpus[k].sipi_tsc < others_sipi) others_sipi = cpus[k].sipi_tsc;
    }
    if (!n) return nothing_to_judge();
    bool want = bringup_parallel && n >= 2 && n > o.pilot_above;
    if (!want || !first) {
        ktest_detail("%s bring-up of %u AP(s), pilot_above=%u: %s went first (%s)", bringup_parallel ? "parallel" : "sequential",
                     n, o.pilot_above, first ? "one" : "none", want == (first != 0) ? "right" : "WRONG");
        return want == (first != 0);
    }
    const Cpu& f = cpus[first];
    uint64_t bound = (o.ap_timeout_ms / 10 ? o.ap_timeout_ms / 10 : 1) * tsc_khz();
    bool inits_before = last_init < f.sipi_tsc;
    bool waited = others_sipi == ~0ull || (f.online ? f.online_tsc < others_sipi : others_sipi - f.sipi_tsc >= bound);
    if (others_sipi != ~0ull && f.online && f.online_tsc < others_sipi) after = (uint32_t)us(others_sipi - f.online_tsc);
    ktest_detail("cpu %u first, of %u AP(s): every INIT %s its SIPI; it was %s%s the others' first SIPI (%u us between)",
                 first, n, inits_before ? "before" : "NOT before", f.online ? "online " : "never online, ",
                 waited ? "before" : "NOT before", after);
    return inits_before && waited;
}
