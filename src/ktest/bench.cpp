/// @file bench.cpp
/// Benchmarks, run only by name (`test=bench_ipi,bench_lock,bench_sched`, or
/// `bench <name>` in the monitor). Each prints `bench: <name> key=value ...`
/// lines that tools/bench collects; the figures are TSC-timed medians.
/// Nothing here asserts a speed: a benchmark passes when it could measure.
#include "cpu.h"
#include "cpumask.h"
#include "ipi.h"
#include "ktest.h"
#include "log.h"
#include "proc.h"
#include "process.h"
#include "spinlock.h"
#include "sync.h"
#include "timer.h"
#include "vm.h"
#include "x86.h"
#include "../../user/lib/sysnum.h"

namespace {

constexpr uint32_t kRuns = 21;

void sort(uint64_t* v, uint32_t n) {
    for (uint32_t i = 1; i < n; ++i)
        for (uint32_t j = i; j > 0 && v[j - 1] > v[j]; --j) {
            uint64_t t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
        }
}
uint64_t median(uint64_t* v, uint32_t n) { sort(v, n); return v[n / 2]; }
unsigned long long ull(uint64_t v) { return (unsigned long long)v; }
uint32_t ncpus() { return cpu_online_mask.count(); }

void nothing(void*) {}

// ---- locks --------------------------------------------------------------------
SpinLock bench_ticket("bench.ticket");
TasLock bench_tas;
volatile uint32_t lock_go = 0, lock_stop = 0, lock_done = 0;
uint32_t lock_count[COHORT_MAX_CPUS];
volatile uint64_t lock_shared = 0;

template <bool Ticket>
void hammer(void*) {
    uint32_t me = cpu_number(), n = 0;
    while (!__atomic_load_n(&lock_go, __ATOMIC_ACQUIRE)) cpu_relax();
    while (!__atomic_load_n(&lock_stop, __ATOMIC_ACQUIRE)) {
        if (Ticket) bench_ticket.lock();
        else tas_acquire(bench_tas, [](uint32_t) { cpu_relax(); });
        lock_shared = lock_shared + 1;
        if (Ticket) bench_ticket.unlock();
        else tas_release(bench_tas);
        ++n;
    }
    lock_count[me] = n;
    __atomic_fetch_add(&lock_done, 1u, __ATOMIC_RELEASE);
}

template <bool Ticket>
void lock_round(const char* kind) {
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) lock_count[k] = 0;
    lock_go = 0;
    lock_stop = 0;
    lock_shared = 0;
    lock_done = 0;
    ipi_call_others(hammer<Ticket>, nullptr, false);
    uint64_t t0 = rdtsc();
    lock_go = 1;
    mdelay(100);
    lock_stop = 1;
    uint64_t ns = tsc_to_ns(rdtsc() - t0);
    // Wait for every other CPU to see stop and record its count. A vCPU
    // without a host core may take far longer than any fixed delay (a fixed
    // 20 ms read zeros at 16 and 64 vCPUs on 2 host cores).
    uint32_t others = ncpus() - 1;
    uint64_t w0 = rdtsc();
    while (__atomic_load_n(&lock_done, __ATOMIC_ACQUIRE) < others && tsc_to_ns(rdtsc() - w0) < 5000000000ull)
        cpu_relax();
    uint32_t late = others - __atomic_load_n(&lock_done, __ATOMIC_ACQUIRE);
    if (late) log_warn("bench: lock: %u of %u cpus did not record a count within 5000 ms", late, others);
    uint64_t total = 0, lo = ~0ull, hi = 0;
    for_each_cpu(k, cpu_online_mask) {
        if (k == cpu_number()) continue;
        total += lock_count[k];
        lo = lock_count[k] < lo ? lock_count[k] : lo;
        hi = lock_count[k] > hi ? lock_count[k] : hi;
    }
    log_info("bench: lock kind=%s cpus=%u acquisitions=%llu handoff_ns=%llu min_per_cpu=%llu max_per_cpu=%llu", kind,
             ncpus() - 1, ull(total), ull(total ? ns / total : 0), ull(total ? lo : 0), ull(hi));
}

// ---- scheduler ----------------------------------------------------------------
constexpr uint32_t kPingPong = 2000;
void yielder(void*) {
    for (uint32_t i = 0; i < kPingPong; ++i) thread_yield();
}

Semaphore wake_sem;
volatile uint64_t woke_tsc = 0;
volatile uint32_t wake_rounds = 0;
uint64_t wake_ns[kRuns];
void waker(void*) {
    for (uint32_t i = 0; i < kRuns; ++i) {
        mdelay(2);  // let the waiter block first
        uint64_t s = rdtsc();
        wake_sem.up();
        uint64_t until = rdtsc() + 1000 * tsc_khz();
        while (__atomic_load_n(&wake_rounds, __ATOMIC_ACQUIRE) <= i && rdtsc() < until) cpu_relax();
        wake_ns[i] = woke_tsc > s ? tsc_to_ns(woke_tsc - s) : 0;
    }
}
void waiter(void*) {
    for (uint32_t i = 0; i < kRuns; ++i) {
        wake_sem.down();
        woke_tsc = rdtsc();
        __atomic_store_n(&wake_rounds, i + 1, __ATOMIC_RELEASE);
    }
}

volatile uint64_t sink;
void crunch(void* arg) {
    uint64_t iters = (uint64_t)(uintptr_t)arg, x = 1;
    for (uint64_t i = 0; i < iters; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
    sink = x;
}

}  // namespace

KTEST(bench_ipi, -2, "IPI round trip, call-function to all, TLB shootdown latency (bench: lines)") {
    uint64_t v[kRuns], all_best = ~0ull, all_worst = 0;
    uint32_t targets = 0;
    for_each_cpu(k, cpu_online_mask) {
        if (k == cpu_number() || targets >= 16) continue;
        for (uint32_t i = 0; i < kRuns; ++i) {
            uint64_t t0 = rdtsc();
            ipi_call_one(k, nothing, nullptr, true);
            v[i] = tsc_to_ns(rdtsc() - t0);
        }
        uint64_t m = median(v, kRuns);
        all_best = m < all_best ? m : all_best;
        all_worst = m > all_worst ? m : all_worst;
        ++targets;
    }
    log_info("bench: ipi cpus=%u targets=%u roundtrip_median_ns=%llu roundtrip_worst_ns=%llu", ncpus(), targets,
             ull(targets ? all_best : 0), ull(all_worst));
    for (uint32_t i = 0; i < kRuns; ++i) {
        uint64_t t0 = rdtsc();
        ipi_call_others(nothing, nullptr, true);
        v[i] = tsc_to_ns(rdtsc() - t0);
    }
    log_info("bench: callfunc cpus=%u all_median_ns=%llu", ncpus(), ull(median(v, kRuns)));
    for (uint32_t i = 0; i < kRuns; ++i) {
        uint64_t t0 = rdtsc();
        tlb_shootdown(online_cpus(), VM_SCRATCH, 1);
        v[i] = tsc_to_ns(rdtsc() - t0);
    }
    log_info("bench: shootdown cpus=%u median_ns=%llu", ncpus(), ull(median(v, kRuns)));
    ktest_detail("%u cpus", ncpus());
    return true;
}

KTEST(bench_lock, -2, "contended lock hand-off and fairness: the SpinLock (ticket, or tas-backoff) beside bare test-and-set (bench: lines)") {
    if (ncpus() < 3) {
        // Said, not faked: an all-zero figure would enter the tables as a measurement.
        log_info("bench: lock not measured (needs 3 cpus, %u online)", ncpus());
        ktest_detail("needs 3 cpus for contention");
        return true;
    }
    // The SpinLock is what spinlock= chose: the ticket lock, or test-and-set
    // with backoff under a hypervisor; the bare TasLock beside it never backs off.
    lock_round<true>(spinlock_uses_tas() ? "tas-backoff" : "ticket");
    lock_round<false>("tas");
    return true;
}

KTEST(bench_sched, -2, "context switch, thread create+join, cross-CPU wake-up, parallel speedup (bench: lines)") {
    // Context switch: two threads on this CPU yield to each other.
    CpuMask here;
    here.set(cpu_number());
    uint64_t t0 = rdtsc();
    Thread* a = thread_create("yield-a", yielder, nullptr, 1, &here);
    Thread* b = thread_create("yield-b", yielder, nullptr, 1, &here);
    thread_join(a);
    thread_join(b);
    log_info("bench: ctxswitch switch_ns=%llu", ull(tsc_to_ns(rdtsc() - t0) / (2 * kPingPong)));

    uint64_t v[kRuns];
    for (uint32_t i = 0; i < kRuns; ++i) {
        uint64_t s = rdtsc();
        thread_join(thread_create("empty", nothing, nullptr));
        v[i] = tsc_to_ns(rdtsc() - s);
    }
    log_info("bench: thread create_join_median_ns=%llu", ull(median(v, kRuns)));

    if (ncpus() >= 2) {
        // A waker pinned to one CPU ups a semaphore that a waiter pinned to
        // another sleeps on: from up() to the waiter running again.
        uint32_t a = cpu_online_mask.next(0), b = cpu_online_mask.next(a + 1);
        CpuMask on_a, on_b;
        on_a.set(a);
        on_b.set(b);
        wake_rounds = 0;
        Thread* w = thread_create("waiter", waiter, nullptr, 2, &on_b);
        Thread* k = thread_create("waker", waker, nullptr, 2, &on_a);
        thread_join(k);
        thread_join(w);
        log_info("bench: wakeup cross_cpu_median_ns=%llu", ull(median(wake_ns, kRuns)));
    }

    // The same CPU-bound work split over 1, 2, 4 ... threads, each pinned to its own CPU.
    constexpr uint64_t kWork = 20000000;
    uint64_t base_ns = 0;
    for (uint32_t n = 1; n <= ncpus() && n <= 8; n *= 2) {
        Thread* t[8];
        uint64_t s = rdtsc();
        uint32_t k = cpu_online_mask.next(0);
        for (uint32_t i = 0; i < n; ++i, k = cpu_online_mask.next(k + 1)) {
            CpuMask m;
            m.set(k);
            t[i] = thread_create("crunch", crunch, (void*)(uintptr_t)(kWork / n), 1, &m);
        }
        for (uint32_t i = 0; i < n; ++i) thread_join(t[i]);
        uint64_t ns = tsc_to_ns(rdtsc() - s);
        if (n == 1) base_ns = ns;
        log_info("bench: speedup threads=%u ms=%llu speedup_x100=%llu", n, ull(ns / 1000000),
                 ull(ns ? base_ns * 100 / ns : 0));
    }
    return true;
}

/// [bench_munmap]
KTEST(bench_munmap, -2, "munmap of a page every thread touched: shootdown targets and time, 1-thread vs one-thread-per-cpu process (bench: lines)") {
    // user/mmbench does the rounds in ring 3 and returns its medians in its
    // exit status (1 << 30 | scale << 29 | cycles << 7 | targets, cycles in
    // units of 16 or, scale 1, of 65536): a process has no
    // other way to hand the kernel a figure, and the times are its own RDTSC.
    uint32_t n = ncpus() < PROC_THREADS_MAX ? ncpus() : PROC_THREADS_MAX;
    uint32_t counts[2] = {1, n};
    for (uint32_t i = 0; i < (n > 1 ? 2u : 1u); ++i) {
        int pid = process_spawn("mmbench", counts[i], 0);
        if (pid < 0) {
            log_info("bench: munmap not measured (%s)", pid == -ENOSYS ? "no user mode on this arch" : "spawn refused");
            ktest_detail("spawn: %d", pid);
            return pid == -ENOSYS;
        }
        long st = process_wait(pid, 0);
        if (!(st & (1l << 30))) {
            log_info("bench: munmap not measured (mmbench exited with %ld)", st);
            return false;
        }
        uint64_t cycles = (uint64_t)((st >> 7) & 0x3fffff) * ((st >> 29) & 1 ? 65536 : 16);
        log_info("bench: munmap cpus=%u threads=%u targets=%ld median_ns=%llu", ncpus(), counts[i], st & 127,
                 ull(tsc_to_ns(cycles)));
    }
    return true;
}
/// [bench_munmap]
