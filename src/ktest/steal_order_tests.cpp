/// @file steal_order_tests.cpp
/// The stealing order on a real machine: an idle CPU takes work from its SMT
/// sibling first, then from its package, its NUMA node, then anywhere
/// (stealorder.h, runq_steal_nearest()). The boot cases give QEMU a topology
/// and nodes where every level has a CPU (tests/boot/cases/topology.py).
#include "cpu.h"
#include "cpumask.h"
#include "cputopo.h"
#include "format.h"
#include "ktest.h"
#include "proc.h"
#include "runlevel.h"
#include "timer.h"
#include "x86.h"

namespace {

constexpr uint32_t NONE = 0xFFFFFFFF;

// ---- hogs: every CPU but the test's and the thief's keeps its queue -----------
volatile uint32_t hog_up[COHORT_MAX_CPUS];
volatile uint32_t hog_go[COHORT_MAX_CPUS];

/// Hold this CPU at runlevel Dispatch until let go: the timer only notes that
/// a switch is due and the reschedule IPI waits, so what is queued here stays
/// queued for a thief to take. Halts between looks (the slice timer wakes it).
void hog(void* arg) {
    uint32_t k = (uint32_t)(uintptr_t)arg;
    RunlevelGuard g(Runlevel::Dispatch);
    __atomic_store_n(&hog_up[k], 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&hog_go[k], __ATOMIC_ACQUIRE)) hlt_or_relax();
}

// ---- jobs: each says where it ran and which level it was queued at ------------
constexpr uint32_t kJobsMax = 16;
volatile uint32_t taken = 0;
uint8_t taken_level[kJobsMax];
uint32_t taken_on[kJobsMax];

void job(void* arg) {
    uint32_t i = __atomic_fetch_add(&taken, 1, __ATOMIC_ACQ_REL);
    if (i >= kJobsMax) return;
    taken_level[i] = (uint8_t)(uintptr_t)arg;
    taken_on[i] = cpu_number();
}

/// The thief and one victim per level, seen from it.
struct Plan {
    uint32_t thief = NONE;
    uint32_t victim[steal_levels] = {NONE, NONE, NONE, NONE};
    uint32_t levels = 0;  ///< levels that have a victim
};

/// The online CPU (not @p me) with victims at the most levels, and its victims.
Plan plan(uint32_t me) {
    Plan best;
    for_each_cpu(t, cpu_online_mask) {
        if (t == me) continue;
        Plan p;
        p.thief = t;
        for_each_cpu(k, cpu_online_mask) {
            if (k == me || k == t) continue;
            uint32_t l = (uint32_t)cpu_steal_level(t, k);
            if (p.victim[l] == NONE) p.victim[l] = k, ++p.levels;
        }
        if (p.levels > best.levels) best = p;
    }
    return best;
}

/// Wait until @p done or @p ns pass, busy: this CPU must not go idle (it would steal).
template <typename Done>
bool wait_busy(Done&& done, uint64_t ns) {
    uint64_t end = now_ns() + ns;
    while (!done())
        if (now_ns() > end) return false;
        else cpu_relax();
    return true;
}

}  // namespace

/// Every CPU but this one is held at Dispatch by a hog. Work is queued on one
/// victim per level as the thief sees it, more the farther the victim (a
/// busiest-first thief would start at the far end). Then only the thief's hog
/// ends: its CPU, out of work, steals one thread at a time, and the order it
/// took them in must go nearest level first.
KTEST(steal_order, -1, "an idle CPU steals from its SMT sibling, then its package, its node, then anywhere (by name)") {
    Thread* me_thread = current_thread();
    CpuMask was = me_thread->affinity, only_me;
    uint32_t me = cpu_number();
    only_me.set(me);
    me_thread->affinity = only_me;  // this CPU stays busy with the test, and the test stays here
    Plan p = plan(cpu_number());
    if (p.levels < 2) {
        me_thread->affinity = was;
        ktest_detail("%u level(s) of nearness among the other cpus: no order to show", p.levels);
        return true;
    }
    static Thread* hogs[COHORT_MAX_CPUS];
    for_each_cpu(k, cpu_online_mask) {
        hog_up[k] = 0;
        hog_go[k] = 0;
        hogs[k] = nullptr;
        if (k == me) continue;
        CpuMask m;
        m.set(k);
        hogs[k] = thread_create("hog", hog, (void*)(uintptr_t)k, 1, &m);
    }
    bool ok = wait_busy([&] {
        for_each_cpu(k, cpu_online_mask) if (k != me && !__atomic_load_n(&hog_up[k], __ATOMIC_ACQUIRE)) return false;
        return true;
    }, 20000000000ull);

    // Work pinned to each victim while it is queued there, then free to move.
    Thread* jobs[kJobsMax] = {};
    uint32_t njobs = 0, per = 0;
    taken = 0;
    for (uint32_t l = 0; l < steal_levels; ++l) {
        if (p.victim[l] == NONE) continue;
        CpuMask m;
        m.set(p.victim[l]);
        ++per;  // the nearest level present gets 1, the next 2, ...
        for (uint32_t j = 0; j < per && njobs < kJobsMax; ++j)
            jobs[njobs++] = thread_create("job", job, (void*)(uintptr_t)l, 0, &m);
    }
    for (uint32_t i = 0; i < njobs; ++i)
        if (jobs[i])
            for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) jobs[i]->affinity.set(k);
    __atomic_store_n(&hog_go[p.thief], 1, __ATOMIC_RELEASE);  // the thief runs dry: it steals
    ok = wait_busy([&] { return __atomic_load_n(&taken, __ATOMIC_ACQUIRE) >= njobs; }, 20000000000ull) && ok;

    for_each_cpu(k, cpu_online_mask) __atomic_store_n(&hog_go[k], 1, __ATOMIC_RELEASE);
    for_each_cpu(k, cpu_online_mask) if (hogs[k]) thread_join(hogs[k]);
    for (uint32_t i = 0; i < njobs; ++i)
        if (jobs[i]) thread_join(jobs[i]);
    me_thread->affinity = was;

    char order[160] = "", victims[80] = "";
    size_t o = 0, v = 0;
    auto add = [](char* buf, size_t cap, size_t& at, const char* sep, const char* word, uint32_t cpu) {
        if (at >= cap) return;
        at += cpu == NONE ? ksnprintf(buf + at, cap - at, "%s%s", sep, word)
                          : ksnprintf(buf + at, cap - at, "%s%u (%s)", sep, cpu, word);
    };
    for (uint32_t l = 0; l < steal_levels; ++l)
        if (p.victim[l] != NONE) add(victims, sizeof victims, v, v ? ", " : "", steal_level_name((StealLevel)l), p.victim[l]);
    uint32_t n = taken < njobs ? taken : njobs, elsewhere = 0;
    for (uint32_t i = 0; i < n; ++i) {
        add(order, sizeof order, o, i ? " " : "", steal_level_name((StealLevel)taken_level[i]), NONE);
        ok = ok && (i == 0 || taken_level[i - 1] <= taken_level[i]);
        elsewhere += taken_on[i] != p.thief;
    }
    ktest_detail("cpu %u stole from %s: %s; %u of %u taken%s", p.thief, victims, order, n, njobs,
                 elsewhere ? ", some by other cpus" : "");
    return ok && n == njobs && elsewhere == 0;
}
