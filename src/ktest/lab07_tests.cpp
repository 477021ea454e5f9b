/// @file lab07_tests.cpp
/// Self-tests of the scheduler's decisions rather than its safety: that an
/// idle CPU steals (and counts it), that a new thread goes to the least-loaded
/// CPU, and that a thread woken while every CPU is equally loaded goes back to
/// the CPU it ran on. sched_tests.cpp checks that nothing is lost or run twice.
#include "cpu.h"
#include "cpumask.h"
#include "ipi.h"
#include "ktest.h"
#include "proc.h"
#include "sync.h"
#include "timer.h"
#include "x86.h"

namespace {

uint32_t ncpus() { return cpu_online_mask.count(); }

void burn_us(uint64_t us) {
    uint64_t end = now_ns() + us * 1000;
    while (now_ns() < end) cpu_relax();
}

void join_all(Thread** t, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i)
        if (t[i]) thread_join(t[i]);
}

// ---- steal --------------------------------------------------------------------
constexpr uint32_t kStealMax = 64;
volatile uint32_t steal_runs[kStealMax];
volatile uint32_t steal_ran_on[COHORT_MAX_CPUS];
volatile uint32_t pile_go = 0;
void steal_job(void* arg) {
    while (!__atomic_load_n(&pile_go, __ATOMIC_ACQUIRE)) burn_us(20);  // the pile stays queued until it is let go
    burn_us(2000);
    __atomic_fetch_add(&steal_runs[(uintptr_t)arg], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&steal_ran_on[cpu_number()], 1, __ATOMIC_RELAXED);
}

// ---- placement ----------------------------------------------------------------
volatile uint32_t hold = 0;
void held_job(void*) {
    while (!__atomic_load_n(&hold, __ATOMIC_ACQUIRE)) burn_us(100);
}

// ---- wake_home ----------------------------------------------------------------
struct Round {
    uint32_t before = 0, after = 0;
    volatile bool go = false, done = false;
};
Round rounds[COHORT_MAX_CPUS];
WaitQueue gate;
bool opened(void* r) { return ((Round*)r)->go; }
void nap_and_look(void* arg) {
    Round* r = (Round*)arg;
    Thread* me = current_thread();
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) me->affinity.set(k);  // free to move from now on
    r->before = cpu_number();
    gate.wait(opened, r);
    r->after = cpu_number();
    __atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
}

uint32_t highest_online() {
    uint32_t h = 0;
    for_each_cpu(k, cpu_online_mask) h = k;
    return h;
}

}  // namespace

/// Work piles up on one queue (threads pinned to the highest online CPU, then
/// let go): the other CPUs can get it only by stealing.
KTEST(steal, 36, "work queued on one CPU is stolen by the idle ones, and each steal is counted") {
    uint32_t n = ncpus(), h = highest_online();
    if (n < 2) {
        ktest_detail("one cpu online: no other queue to steal from");
        return true;
    }
    uint32_t jobs = 4 * n < kStealMax ? 4 * n : kStealMax;
    for (uint32_t i = 0; i < kStealMax; ++i) steal_runs[i] = 0;
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) steal_ran_on[k] = 0;
    uint64_t steals0 = 0;
    for_each_cpu(k, cpu_online_mask) steals0 += sched_stats(k).steals;
    CpuMask only_h;
    only_h.set(h);
    Thread* t[kStealMax] = {};
    pile_go = 0;
    // Priority 0, the test's own: the pile spins until it is let go, and on the
    // test's CPU a higher priority would starve the test thread that lets it go.
    for (uint32_t i = 0; i < jobs; ++i) t[i] = thread_create("pile", steal_job, (void*)(uintptr_t)i, 0, &only_h);
    for (uint32_t i = 0; i < jobs; ++i)
        if (t[i])
            for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) t[i]->affinity.set(k);
    __atomic_store_n(&pile_go, 1, __ATOMIC_RELEASE);
    for_each_cpu(k, cpu_online_mask) ipi_reschedule(k);  // idle CPUs wake and look for work
    join_all(t, jobs);
    uint64_t steals = 0;
    for_each_cpu(k, cpu_online_mask) steals += sched_stats(k).steals;
    steals -= steals0;
    uint32_t once = 0, elsewhere = 0;
    for (uint32_t i = 0; i < jobs; ++i) once += steal_runs[i] == 1;
    for_each_cpu(k, cpu_online_mask) if (k != h) elsewhere += steal_ran_on[k];
    ktest_detail("%u threads queued on cpu %u: %u ran exactly once, %u of them on other cpus, %llu steals counted",
                 jobs, h, once, elsewhere, (unsigned long long)steals);
    return once == jobs && elsewhere > 0 && steals > 0;
}

/// Every CPU busy with one held thread, then 2 threads per CPU created: the
/// least-loaded rule spreads them evenly whatever the order of creation.
/// Only by name (lab 07): on an overcommitted host an idle vCPU that runs late
/// steals a placed thread and skews the loads later placements see.
KTEST(placement, -1, "new threads go to the least-loaded CPU their affinity allows (by name: lab 07)") {
    uint32_t n = ncpus(), me = cpu_number();
    if (n > 32) n = 32;
    Thread* t[3 * 32] = {};
    uint32_t made = 0;
    hold = 0;
    for_each_cpu(k, cpu_online_mask) {
        if (k == me || made >= n) continue;
        CpuMask m;
        m.set(k);
        t[made++] = thread_create("held", held_job, nullptr, 0, &m);  // priority 0: see steal
    }
    uint32_t first = made;
    for (uint32_t i = 0; i < 2 * n; ++i) t[made++] = thread_create("placed", held_job, nullptr, 0);
    uint32_t placed[COHORT_MAX_CPUS] = {};
    for (uint32_t i = first; i < made; ++i)
        if (t[i] && t[i]->placed_cpu < COHORT_MAX_CPUS) ++placed[t[i]->placed_cpu];
    __atomic_store_n(&hold, 1, __ATOMIC_RELEASE);
    join_all(t, made);
    uint32_t lo = ~0u, hi = 0, lo_cpu = 0, hi_cpu = 0;
    for_each_cpu(k, cpu_online_mask) {
        uint32_t load = placed[k] + 1;  // the held thread, or this test on its own CPU
        if (load < lo) lo = load, lo_cpu = k;
        if (load > hi) hi = load, hi_cpu = k;
    }
    ktest_detail("%u threads placed on %u busy cpus: load %u (cpu %u) .. %u (cpu %u)", 2 * n, n, lo, lo_cpu, hi,
                 hi_cpu);
    return hi - lo <= 1;
}

/// One thread at a time runs on CPU r and blocks. This CPU wakes it while
/// every other CPU is idle, halted, with no timer armed (nobody steals): all
/// their loads tie, so it must go back to CPU r (its cache is there).
KTEST(wake_home, -1, "a thread woken while the other CPUs are equally idle returns to the CPU it ran on (by name: lab 07)") {
    uint32_t rounds_done = 0, home = 0, n = 0;
    for_each_cpu(k, cpu_online_mask) {
        if (k == cpu_number()) continue;  // this CPU is busy running the test: never a tie
        ++n;
        CpuMask m;
        m.set(k);
        Round* r = &rounds[k];
        r->go = false;
        r->done = false;
        r->before = r->after = ~0u;
        Thread* t = thread_create("nap", nap_and_look, r, 1, &m);
        if (!t) continue;
        uint64_t until = now_ns() + 5000000000ull;
        while (!(t->state == ThreadState::Blocked && __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) == 0xFFFFFFFFu) &&
               now_ns() < until)
            cpu_relax();
        burn_us(2000);  // CPU k halts
        gate.set_and_wake_all(&r->go);
        while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) && now_ns() < until) cpu_relax();
        ++rounds_done;
        home += r->before == k && r->after == k;
        thread_join(t);
    }
    ktest_detail("%u rounds, %u woke on the cpu they slept on", rounds_done, home);
    return rounds_done == n && home == rounds_done;
}
