/// @file lab06_tests.cpp
/// A self-test of call-function under a full mailbox: every CPU floods every
/// other with more requests than a mailbox holds, all at once, with
/// interrupts off. Each sender then finds its target's mailbox full while its
/// own fills up; only a sender that serves its own mailbox while it waits to
/// post lets the others go on (services_tests.cpp's `ipi` test never fills one).
#include "callq.h"
#include "cmdline.h"
#include "cpu.h"
#include "cpumask.h"
#include "ipi.h"
#include "ktest.h"
#include "timer.h"
#include "x86.h"

namespace {

constexpr uint32_t kMax = 16;                 // CPUs taking part (the first kMax online)
constexpr uint32_t kFlood = 2 * callq_capacity + 16;  // requests per ordered pair
volatile uint32_t got[kMax][kMax];            // [receiver][sender], written by the receiver only
volatile uint32_t stalled = 0;

void bump(void* sender) { got[cpu_number()][(uintptr_t)sender] = got[cpu_number()][(uintptr_t)sender] + 1; }
void nothing(void*) {}

void flood_all(uint32_t me) {
    for (uint32_t i = 0; i < kFlood; ++i) {
        for_each_cpu(k, cpu_online_mask) {
            if (k == me || k >= kMax) continue;
            uint64_t t0 = rdtsc();
            ipi_call_one(k, bump, (void*)(uintptr_t)me, false);
            // A post that waited as long as a spinlock may (spin_timeout_ms=, 1 s by default, more
            // where the boot case expects a loaded host): deadlocked, stop here.
            if (rdtsc() - t0 > boot_options().spin_timeout_ms * tsc_khz()) {
                __atomic_fetch_add(&stalled, 1, __ATOMIC_RELAXED);
                return;
            }
        }
    }
    // A synchronous call queues behind the others: once answered, they all ran.
    for_each_cpu(k, cpu_online_mask)
        if (k != me && k < kMax) ipi_call_one(k, nothing, nullptr, true);
}


void flood(void*) {
    uint32_t me = cpu_number();
    if (me >= kMax) return;
    // Interrupts off on every CPU, the caller's own share included (it runs
    // in the test's thread, with interrupts on): only a sender that serves its
    // own mailbox while it waits to post lets the others go on.
    uintptr_t flags = read_flags();
    cli();
    flood_all(me);
    write_flags(flags);
}

}  // namespace

KTEST(ipi_flood, 25, "every CPU floods every other past a full mailbox at once; none deadlocks, none is lost") {
    for (uint32_t a = 0; a < kMax; ++a)
        for (uint32_t b = 0; b < kMax; ++b) got[a][b] = 0;
    stalled = 0;
    uint64_t t0 = rdtsc();
    bool ok = ipi_call(online_cpus(), flood, nullptr, true);
    uint64_t us = tsc_to_ns(rdtsc() - t0) / 1000;
    uint32_t pairs = 0, short_pairs = 0;
    for_each_cpu(r, cpu_online_mask)
        for_each_cpu(s, cpu_online_mask) {
            if (r == s || r >= kMax || s >= kMax) continue;
            ++pairs;
            short_pairs += got[r][s] != kFlood;
        }
    ktest_detail("%u pairs x %u requests (mailboxes hold %u), %u pairs short, %u senders stalled, %llu us", pairs,
                 kFlood, callq_capacity, short_pairs, stalled, (unsigned long long)us);
    return ok && short_pairs == 0 && stalled == 0;
}

namespace {
volatile uint32_t nested_ready = 0, nested_ran = 0, nested_seen = 0, nested_done = 0;
void set_ran(void*) { __atomic_store_n(&nested_ran, 1, __ATOMIC_RELEASE); }
/// A request function that turns interrupts on and waits for another request:
/// it comes only if this CPU's priority is no longer held at the call vector's class.
void wait_for_nested(void*) {
    __atomic_store_n(&nested_ready, 1, __ATOMIC_RELEASE);
    sti();
    uint64_t until = rdtsc() + 2000 * tsc_khz();
    while (!__atomic_load_n(&nested_ran, __ATOMIC_ACQUIRE) && rdtsc() < until) cpu_relax();
    cli();
    nested_seen = nested_ran;
    __atomic_store_n(&nested_done, 1, __ATOMIC_RELEASE);
}
}  // namespace

KTEST(ipi_nested, 26, "a request function with interrupts on is itself interrupted by the next request") {
    uint32_t me = cpu_number(), k = me;
    for_each_cpu(c, cpu_online_mask) if (c != me && k == me) k = c;
    if (k == me) { ktest_detail("one cpu: nothing to test"); return true; }
    nested_ready = 0;
    nested_ran = 0;
    nested_seen = 0;
    nested_done = 0;
    ipi_call_one(k, wait_for_nested, nullptr, false);
    uint64_t until = rdtsc() + 10000 * tsc_khz();
    while (!__atomic_load_n(&nested_ready, __ATOMIC_ACQUIRE) && rdtsc() < until) cpu_relax();
    bool ok = ipi_call_one(k, set_ran, nullptr, true);
    until = rdtsc() + 10000 * tsc_khz();
    while (!__atomic_load_n(&nested_done, __ATOMIC_ACQUIRE) && rdtsc() < until) cpu_relax();
    ktest_detail("cpu %u waited with interrupts on inside a request: the next request %s", k,
                 nested_seen ? "interrupted it" : "was held back until it gave up (2 s)");
    return ok && nested_seen;
}
