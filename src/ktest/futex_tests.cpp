/// @file futex_tests.cpp
/// Self-test of futex_wait/futex_wake (futex.h, docs/syscalls.md): the
/// program `futex` runs its lock, condition and error-path checks; then its
/// threads sleep on a futex for good and the process is killed, or exits
/// from its first thread: every sleeper must be woken and reaped, no waiter
/// left in the table, no frame lost.
#include "cpu.h"
#include "cpumask.h"
#include "futex.h"
#include "ktest.h"
#include "log.h"
#include "mem.h"
#include "proc.h"
#include "process.h"
#include "../../user/lib/sysnum.h"

namespace {

bool check(bool ok, const char* what, long got, long want, uint32_t& failed) {
    return ktest_check("futex", ok, what, got, want, failed);
}

/// Wait up to 2 s until @p n threads sleep in the futex table; how many do.
uint32_t await_waiters(uint32_t n) {
    for (int i = 0; i < 200 && futex_waiters(nullptr) < n; ++i) sleep_ms(10);
    return futex_waiters(nullptr);
}

}  // namespace

KTEST(futex, -1, "futex_wait/futex_wake: a user mutex and condition on every cpu, error paths, kill and exit wake every sleeper (by name)") {
    uint32_t failed = 0;
    uint32_t ncpu = cpu_online_mask.count();
    uint32_t nthreads = ncpu < 4 ? 4 : ncpu > 8 ? 8 : ncpu;  // as user/futex.cpp counts them
    auto free_now = [] { return frames_free_count() + stack_cache_frames(); };
    // A first run grows the kernel heap for good: the frame count is taken after it.
    int pid = process_spawn("futex", 0, 0);
    long st = pid < 0 ? pid : process_wait(pid, 0);
    check(st == 0, "lock, condition and error paths", st, 0, failed);
    size_t free0 = free_now();

    // Killed while every thread sleeps on a futex.
    pid = process_spawn("futex", 1, 0);
    uint32_t asleep = pid < 0 ? 0 : await_waiters(nthreads);
    check(asleep == nthreads, "threads asleep before the kill", asleep, nthreads, failed);
    if (pid > 0) process_kill(pid);
    st = pid < 0 ? pid : process_wait(pid, 0);
    check(st == EXIT_KILLED, "killed while asleep: exit status", st, EXIT_KILLED, failed);
    check(futex_waiters(nullptr) == 0, "waiters left after the kill", futex_waiters(nullptr), 0, failed);

    // One thread exits the process while the others sleep on a futex.
    pid = process_spawn("futex", 2, 0);
    asleep = pid < 0 ? 0 : await_waiters(nthreads - 1);
    check(asleep == nthreads - 1, "threads asleep before the exit", asleep, nthreads - 1, failed);
    st = pid < 0 ? pid : process_wait(pid, 0);
    check(st == 7, "exit() while the others sleep: exit status", st, 7, failed);
    check(futex_waiters(nullptr) == 0, "waiters left after the exit", futex_waiters(nullptr), 0, failed);

    size_t free1 = free_now();
    check(free1 == free0, "free frames before and after", (long)free1, (long)free0, failed);
    check(process_count() == 0, "no process left", process_count(), 0, failed);
    ktest_detail("%u cpus, %u threads", ncpu, nthreads);
    return failed == 0;
}
