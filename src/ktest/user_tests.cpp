/// @file user_tests.cpp
/// Self-tests of user mode (docs/usermode.md): the programs of user/ run as
/// processes on every CPU, and the kernel checks their exit statuses, that a
/// ring-3 spinner is preempted, and that every frame comes back.
#include "cpu.h"
#include "cpumask.h"
#include "ktest.h"
#include "lapic.h"
#include "log.h"
#include "mem.h"
#include "proc.h"
#include "process.h"
#include "syscalls.h"
#include "timer.h"
#include "uentry.h"
#include "../../user/lib/sysnum.h"

namespace {

/// Run @p prog with @p arg, wait for it; its exit status (or the spawn's error).
long run(const char* prog, long arg = 0) {
    int pid = process_spawn(prog, arg, 0);
    if (pid < 0) {
        log_info("user: spawn %s: %d", prog, pid);
        return pid;
    }
    long st = process_wait(pid, 0);
    log_info("user: %s (pid %d) exited with status %ld", prog, pid, st);
    return st;
}

bool check(bool ok, const char* what, long got, long want, uint32_t& failed) {
    return ktest_check("user", ok, what, got, want, failed);
}

}  // namespace

KTEST(user, -1, "user programs on every CPU: exit statuses, faults, bad pointers, a preempted spinner, limits, no frame lost (by name)") {
    uint32_t failed = 0;
    uint32_t ncpu = cpu_online_mask.count();
    // A first run grows the kernel heap (threads, wait queues) for good: the
    // frame count is taken after it.
    check(run("hello") == 0, "hello (warm-up)", 0, 0, failed);
    // Free frames, with those of freed kernel stacks that mem.cpp keeps for
    // the next stack (stack_free()): each reaped thread's stack goes there.
    auto free_now = [] { return frames_free_count() + stack_cache_frames(); };
    size_t free0 = free_now();
    uint64_t calls0 = syscall_count();

    // Each program checks itself and exits 0 when all was as it should be.
    static const struct { const char* program; const char* what; } programs[] = {
        {"hello", "hello"},
        {"cpus", "cpus: getcpu saw every online cpu"},
        {"fault", "fault: each child killed with 128 + its vector"},
        {"badptr", "badptr: every bad pointer refused"},
        {"sysbench", "sysbench"},
        {"threads", "threads: one process on several cpus, exact total"},
        {"mmtest", "mmtest: munmap shot down only where needed, gone everywhere"},
    };
    long st;
    for (const auto& p : programs) {
        st = run(p.program);
        check(st == 0, p.what, st, 0, failed);
    }

    // Lazy TLB: the same program with a switch to a kernel thread (idle
    // included) loading the kernel's tables, then keeping the process's.
    uint64_t l0, k0, l1, k1, l2, k2;
    process_lazy_tlb = false;
    process_switch_counts(&l0, &k0);
    st = run("threads");
    process_switch_counts(&l1, &k1);
    process_lazy_tlb = true;
    long st2 = run("threads");
    process_switch_counts(&l2, &k2);
    check(st == 0 && st2 == 0, "threads without and with lazy tlb", st | st2, 0, failed);
    log_info("user: lazy tlb: threads wrote cr3 %llu times without it, %llu with it (%llu switches kept the tables)",
             (unsigned long long)(l1 - l0), (unsigned long long)(l2 - l1), (unsigned long long)(k2 - k1));

    // One ring-3 spinner per CPU; only the timer takes a CPU from it. Other
    // threads must still run everywhere: cpus must see every CPU again.
    int spinners[COHORT_MAX_CPUS < 64 ? COHORT_MAX_CPUS : 64];
    uint32_t nspin = ncpu < 64 ? ncpu : 64;
    for (uint32_t i = 0; i < nspin; ++i) spinners[i] = process_spawn("spin", 0, 0);
    sleep_ms(30);
    st = run("cpus");
    check(st == 0, "cpus beside a spinner on every cpu", st, 0, failed);
    st = run("hello");
    check(st == 0, "hello beside the spinners", st, 0, failed);

    // The process limit: spawns past PROC_MAX are refused with -EAGAIN and
    // a warning, never a panic. These spinners sleep 300 ms first, so the
    // spawns do not queue behind dozens of busy ones; killed meanwhile,
    // they leave as their sleep returns.
    int extra[PROC_MAX];
    uint32_t nextra = 0;
    long refused = 0;
    for (uint32_t i = 0; i < PROC_MAX; ++i) {
        int pid = process_spawn("spin", 300, 0);
        if (pid < 0) {
            refused = pid;
            break;
        }
        extra[nextra++] = pid;
    }
    check(refused == -EAGAIN && process_count() == PROC_MAX, "spawn past PROC_MAX refused", refused, -EAGAIN, failed);
    // A program could retry in a loop: 20 more refusals, and at most 5
    // warnings in all within 10 s (the boot test counts them).
    long again = 0;
    for (int i = 0; i < 20; ++i) again += process_spawn("spin", 300, 0) == -EAGAIN;
    check(again == 20, "20 more spawns past PROC_MAX refused", again, 20, failed);
    for (uint32_t i = 0; i < nextra; ++i) process_kill(extra[i]);
    for (uint32_t i = 0; i < nextra; ++i) {
        st = process_wait(extra[i], 0);
        if (st != EXIT_KILLED) check(false, "extra spinner killed", st, EXIT_KILLED, failed);
    }
    for (uint32_t i = 0; i < nspin; ++i) {
        if (spinners[i] < 0) {
            check(false, "spawn spin", spinners[i], 0, failed);
            continue;
        }
        process_kill(spinners[i]);
        st = process_wait(spinners[i], 0);
        if (st != EXIT_KILLED) check(false, "spinner killed", st, EXIT_KILLED, failed);
    }
    log_info("user: %u spinners and %u more killed", nspin, nextra);

    // A kill reaches blocked threads: blocker's main waits for a child that
    // never ends, one thread sleeps 10 s, another joins it. Killed, it must
    // end within a bound far below those 10 s (its sleep and both waits cut
    // short); its child, orphaned, is killed in its sleep and reaped too.
    int bp = process_spawn("blocker", 0, 0);
    for (int i = 0; i < 200 && process_count() < 2; ++i) sleep_ms(5);
    sleep_ms(50);  // time to block (the kill must work either way)
    uint64_t t0 = now_ns();
    bool killed = bp > 0 && process_kill(bp);
    bool ended = false;
    for (int i = 0; i < 500 && killed && !(ended = process_zombie(bp)); ++i) sleep_ms(2);
    uint64_t ms = (now_ns() - t0) / 1000000;
    check(killed && ended, "blocker (blocked in wait, sleep, join) ended by a kill", ended, 1, failed);
    if (bp > 0) {
        st = process_wait(bp, 0);
        check(st == EXIT_KILLED, "blocker reaped", st, EXIT_KILLED, failed);
        // Its child: the next pid, an orphan asleep for ever.
        bool child = process_kill(bp + 1);
        for (int i = 0; i < 500 && process_count(); ++i) sleep_ms(2);
        check(child && process_count() == 0, "blocker's sleeping orphan killed and reaped", process_count(), 0, failed);
    }
    log_info("user: blocker ended %llu ms after its kill", (unsigned long long)ms);

    // An orphan: hello 1 starts a hello and does not wait for it; the
    // reaper thread must reap the child once it ends.
    st = run("hello", 1);
    check(st == 0, "hello leaving an orphan", st, 0, failed);
    for (int i = 0; i < 200 && process_count(); ++i) sleep_ms(10);

    size_t free1 = free_now();
    check(free1 == free0, "free frames before and after", (long)free1, (long)free0, failed);
    check(process_count() == 0 && process_user_threads() == 0, "no process left", process_count(), 0, failed);
    ktest_detail("%u cpus, %llu system calls, %zu free frames before and after", ncpu,
                 (unsigned long long)(syscall_count() - calls0), free1);
    return failed == 0;
}

/// Ring 3 with no kernel stack to enter on (TSS rsp0 0, as in a tree whose
/// lab 09 is not done), on this CPU only. The spinner makes no system call,
/// so the first interrupt that comes in ring 3, the clock's, cannot be
/// delivered: a #PF pushing its frame, then a #DF on the IST stack, which
/// kills the program. That interrupt's handler never ran: unless the kill
/// ends it, its in-service bit holds back the clock's priority class on this
/// CPU for good, and every wait that halts for the clock never returns.
/// amd64 only: on i686 a top of 0 wraps to the top of the address space,
/// where the handler would run on a stack in the BIOS's ROM.
#if COHORT_ARCH_amd64
KTEST(user_nostack, -1, "a program entered with no kernel stack dies of a #DF, and its CPU still hears its clock (by name, maxcpus=1)") {
    // With other CPUs the spinner could be stolen by one that has its stack.
    if (uint32_t n = cpu_online_mask.count(); n > 1) {
        ktest_detail("needs maxcpus=1: the spinner must run on this cpu, %u are online", n);
        return false;
    }
    uint32_t me = cpu_number();
    user_nostack_cpu = me;
    int pid = process_spawn("spin", 0, 0);
    long st = pid < 0 ? pid : process_wait(pid, 0);
    user_nostack_cpu = ~0u;
    // What is still in service on this CPU (nothing should be: this thread runs no handler).
    int stuck = lapic_highest_in_service();
    // The clock: a 20 ms sleep returns only if this CPU's timer still interrupts it.
    uint64_t t0 = now_ns();
    if (stuck < 0) sleep_ms(20);
    uint64_t slept_ms = (now_ns() - t0) / 1000000;
    if (stuck < 0)
        ktest_detail("cpu %u: spin (pid %d) exited with status %ld (want %ld, a #DF); nothing in service; slept %llu ms",
                      me, pid, st, EXIT_FAULT_BASE + 8, (unsigned long long)slept_ms);
    else
        ktest_detail("cpu %u: spin (pid %d) exited with status %ld (want %ld, a #DF); vector 0x%x still in service",
                     me, pid, st, EXIT_FAULT_BASE + 8, (unsigned)stuck);
    return st == EXIT_FAULT_BASE + 8 && stuck < 0 && slept_ms >= 20;
}
#endif
