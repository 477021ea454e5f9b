/// @file wait.cpp
/// Spin-then-halt waiting (wait.h): who is asleep, the wake-up IPI, the bound.
#include "wait.h"
#include "config.h"
#include "cpu.h"
#include "ipi.h"
#include "proc.h"
#include "runlevel.h"
#include "timer.h"

namespace {
/// 1 while CPU n is halted in wait_halt(). Written by CPU n, read by wakers.
uint32_t asleep[COHORT_MAX_CPUS];
}  // namespace

bool wait_may_halt() {
    // The bound is the timer (class Clock), the wake-up the call-function
    // vector (class Ipi): both must get through (SDM Vol. 3A 10.8.3.1).
    return (read_flags() & FLAGS_IF) && current_runlevel() < Runlevel::Clock && sched_timer_free();
}

void wait_announce() {
    __atomic_store_n(&asleep[cpu_number()], 1u, __ATOMIC_RELAXED);
    // Store, then look at the news: with the fence in wait_wake() (news, then
    // look at `asleep`) one of the two CPUs sees the other's store, so either
    // the waiter does not halt or the waker sends the IPI (Dekker).
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void wait_retire() { __atomic_store_n(&asleep[cpu_number()], 0u, __ATOMIC_RELAXED); }

void wait_arm(uint64_t deadline, uint32_t bound_us) {
    uint64_t per_us = tsc_khz() / 1000 ? tsc_khz() / 1000 : 1;
    uint64_t now = rdtsc(), left_us = deadline > now ? (deadline - now) / per_us : 0;
    // The scheduler's own one-shot is overwritten; on_timer() arms it again
    // when this one fires, so a slice end or a sleeper is at most this late.
    lapic_timer_oneshot(left_us < bound_us ? left_us + 1 : bound_us, vec::timer);
}

void wait_wake(uint32_t cpu) {
    if (cpu >= COHORT_MAX_CPUS) return;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    // Any interrupt ends the hlt; the call-function vector's handler only
    // drains the mailbox, which a waiter must do anyway (callq_wait()).
    if (__atomic_load_n(&asleep[cpu], __ATOMIC_RELAXED) && cpu != cpu_number()) ipi_send(cpu, vec::call_function);
}
