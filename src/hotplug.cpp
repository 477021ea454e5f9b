/// @file hotplug.cpp
/// Taking a CPU offline and bringing it back (see hotplug.h for the steps).
#include "hotplug.h"
#include "cmdline.h"
#include "cpu.h"
#include "cpumask.h"
#include "cputable.h"
#include "ipi.h"
#include "kstring.h"
#include "labs.h"
#include "log.h"
#include "proc.h"
#include "process.h"
#include "smpboot.h"
#include "sync.h"
#include "timer.h"
#include "x86.h"

namespace {

Mutex hotplug_lock;  // one offline or online at a time
HotplugCounts counts;
uint32_t drained_on_exit[COHORT_MAX_CPUS];  // written by the leaving CPU before it parks
// Its own last request ran (1): the mailbox was served on the way out; 2: it
// ran only after the CPU had said "parked", which must be the last store.
volatile uint32_t farewell_run[COHORT_MAX_CPUS];

void farewell(void*) {
    Cpu* c = this_cpu();
    bool late = __atomic_load_n(&c->claim, __ATOMIC_ACQUIRE) == ClaimParked;
    __atomic_store_n(&farewell_run[c->id], late ? 2u : 1u, __ATOMIC_RELEASE);
}

/// Threads that may run on @p cpu and on no other CPU that stays online.
struct PinnedScan {
    uint32_t cpu;
    uint32_t count;
    char first[24];
    uint32_t first_tid;
};

/// [pinned]
void scan_pinned(const Thread& t, void* ctx) {
    PinnedScan& s = *(PinnedScan*)ctx;
    // LAB 08 BEGIN: a live thread (not idle, not dead, not exited) allowed on s.cpu and on no other online CPU that stays: count it; keep the first one's name and tid
    if (t.is_idle || t.state == ThreadState::Dead || t.exited || !t.affinity.test(s.cpu)) return;
    for_each_cpu(k, cpu_online_mask)
        if (k != s.cpu && t.affinity.test(k) && sched_cpu_leave_state(k) == LeaveNo) return;
    if (!s.count++) {
        for (size_t i = 0; i < sizeof s.first; ++i) s.first[i] = t.name[i];
        s.first[sizeof s.first - 1] = '\0';
        s.first_tid = t.tid;
    }
    // LAB 08 STUB: lab_todo(8, "finding the threads pinned to a leaving CPU in scan_pinned()"); (void)t; (void)s;
    // LAB 08 LATER: (void)t; (void)s;
    // LAB 08 END
}
/// [pinned]

uint64_t us_since(uint64_t t0) { return (now_ns() - t0) / 1000; }

}  // namespace

const char* hotplug_name(Hotplug r) {
    switch (r) {
    case Hotplug::Done: return "done";
    case Hotplug::NoSuchCpu: return "no such cpu";
    case Hotplug::BootCpu: return "boot cpu";
    case Hotplug::NotOnline: return "not online";
    case Hotplug::AlreadyOnline: return "already online";
    case Hotplug::Pinned: return "pinned thread";
    case Hotplug::TimedOut: return "timed out";
    case Hotplug::NotStarted: return "not started";
    case Hotplug::NotClosed: return "queue not closed";
    }
    return "?";
}

HotplugCounts hotplug_counts() { return counts; }

/// [offline]
Hotplug cpu_offline(uint32_t cpu) {
    if (cpu >= cpu_table.usable) {
        log_warn("hotplug: no cpu %u (this machine has cpus 0-%u)", cpu, cpu_table.usable - 1);
        return Hotplug::NoSuchCpu;
    }
    // The boot CPU stays: the IOAPIC sends every device interrupt (the serial
    // line, the keyboard) to it, and it is where a thread left with no CPU
    // lands (proc.cpp, fallback_cpu()). Moving both is possible, not the lesson.
    if (cpu == 0) {
        log_warn("hotplug: cpu 0 stays online: it is the boot CPU, which takes every device interrupt and every "
                 "thread that has no CPU left");
        return Hotplug::BootCpu;
    }
    hotplug_lock.lock();
    Cpu& c = cpus[cpu];
    if (!c.online) {
        log_warn("hotplug: cpu %u is not online; nothing to take offline", cpu);
        hotplug_lock.unlock();
        return Hotplug::NotOnline;
    }
    // A thread that may run only here is refused, not silently moved: its
    // owner asked for this CPU. (One pinned after this look is moved with a
    // warning: fallback_cpu() breaks its affinity.)
    PinnedScan s{cpu, 0, {}, 0};
    thread_foreach(scan_pinned, &s);
    if (s.count) {
        log_warn("hotplug: cpu %u stays online: thread %s (tid %u)%s may run on no other online cpu; widen its "
                 "affinity first", cpu, s.first, s.first_tid, s.count > 1 ? " and others" : "");
        hotplug_lock.unlock();
        return Hotplug::Pinned;
    }
    uint64_t t0 = now_ns();
    drained_on_exit[cpu] = 0;
    farewell_run[cpu] = 0;
    uint32_t moved = sched_cpu_leave(cpu);
    if (sched_cpu_leave_state(cpu) == LeaveNo) {  // only this caller may reopen it (sched_cpu_stay())
        log_error("hotplug: cpu %u's run queue was not closed by sched_cpu_leave(); it stays online", cpu);
        hotplug_lock.unlock();
        return Hotplug::NotClosed;
    }
    if (cpu_number() == cpu) thread_yield();  // the caller runs there itself: it leaves first
    // Wait for the CPU to park itself. It may not take the request in time
    // (a thread holding it at Dispatch or with interrupts off): then the
    // request is withdrawn and the CPU stays, unless it took it just now.
    uint32_t ms = boot_options().ap_timeout_ms;
    uint64_t deadline = t0 + (uint64_t)ms * 1000000;
    bool withdrawn = false;
    // The first 2 ms by looking (a CPU that is idle parks within
    // microseconds), then once per millisecond, asleep.
    uint64_t spin_until = t0 + 2000000;
    while (__atomic_load_n(&c.claim, __ATOMIC_ACQUIRE) != ClaimParked) {
        uint64_t now = now_ns();
        if (now > deadline) {
            if (sched_cpu_stay(cpu)) {
                withdrawn = true;
                break;
            }
            if (now > deadline + (uint64_t)ms * 1000000) {
                log_error("hotplug: cpu %u took the offline request but did not park within %u ms; left as it is",
                          cpu, 2 * ms);
                hotplug_lock.unlock();
                return Hotplug::TimedOut;
            }
        }
        if (now < spin_until) cpu_relax();
        else sleep_ms(1);
    }
    if (withdrawn) {
        log_error("hotplug: cpu %u did not stop within %u ms (runlevel %u, thread %s); it stays online", cpu, ms,
                  c.runlevel, c.current ? ((const Thread*)c.current)->name : "?");
        hotplug_lock.unlock();
        return Hotplug::TimedOut;
    }
    // "Parked" is the CPU's last store: it must have left the mask before.
    // If not, a call may still count it after the INIT, and wait for ever.
    bool still_listed = cpu_online_mask.test(cpu);
    smp_park_cpu(cpu);
    // Its farewell request (hotplug_cpu_leaving()) sat in its mailbox from
    // before it left the mask: not run means not served on the way out.
    uint32_t farewell_seen = __atomic_load_n(&farewell_run[cpu], __ATOMIC_ACQUIRE);
    bool served = farewell_seen != 0;
    if (!served)
        log_error("hotplug: cpu %u parked with its mailbox not served: the request it posted itself before leaving "
                  "never ran (hotplug_cpu_die() must answer what is there)", cpu);
    if (farewell_seen == 2)
        log_error("hotplug: cpu %u said it parked before it had served its mailbox (\"parked\" must be its last "
                  "store: INIT may follow at once)", cpu);
    if (still_listed) {
        log_error("hotplug: cpu %u said it parked while still in cpu_online_mask (hotplug_cpu_die() must leave the "
                  "mask first); taken out now, after its INIT", cpu);
        cpu_online_mask.clear(cpu);
    }
    ++counts.offlines;
    log_info("hotplug: cpu %u offline in %llu us: %u queued thread(s) moved, %u request(s) answered on its way "
             "out; parked with INIT (%u cpus online)", cpu, (unsigned long long)us_since(t0), moved,
             drained_on_exit[cpu] - served, cpu_online_mask.count());
    hotplug_lock.unlock();
    return Hotplug::Done;
}
/// [offline]

void hotplug_cpu_leaving() {
    ipi_post_self(farewell, nullptr);
    process_cpu_leaving();  // off any process's tables (lazy TLB): they may be freed while it is parked
    hotplug_cpu_die();
}

/// [die]
void hotplug_cpu_die() {
    Cpu* c = this_cpu();
    // LAB 08 BEGIN: leave the mask and answer the mailbox (ipi_cpu_leave(), its count into drained_on_exit), clear the online flag, store ClaimParked last (release), halt
    drained_on_exit[c->id] = ipi_cpu_leave();
    c->online = 0;
    // The last store: the caller may send INIT as soon as it sees it, and
    // nothing here holds a lock any more.
    __atomic_store_n(&c->claim, (uint32_t)ClaimParked, __ATOMIC_RELEASE);
    halt_forever();
    // LAB 08 STUB: lab_todo(8, "the last steps of a CPU going offline in hotplug_cpu_die()"); (void)c;
    // LAB 08 LATER: (void)c;
    // LAB 08 LATER: halt_forever();
    // LAB 08 END
}
/// [die]

/// [online]
Hotplug cpu_online(uint32_t cpu) {
    if (cpu >= cpu_table.usable) {
        log_warn("hotplug: no cpu %u (this machine has cpus 0-%u)", cpu, cpu_table.usable - 1);
        return Hotplug::NoSuchCpu;
    }
    hotplug_lock.lock();
    if (cpus[cpu].online || cpu == 0) {
        log_info("hotplug: cpu %u is already online; nothing to do", cpu);
        hotplug_lock.unlock();
        return Hotplug::AlreadyOnline;
    }
    uint64_t t0 = now_ns();
    sched_cpu_open(cpu);
    bool up = smp_start_cpu(cpu);  // on failure it has said why (the stage reached)
    if (up) {
        ++counts.onlines;
        log_info("hotplug: cpu %u online in %llu us (%u cpus online)", cpu, (unsigned long long)us_since(t0),
                 cpu_online_mask.count());
    }
    hotplug_lock.unlock();
    return up ? Hotplug::Done : Hotplug::NotStarted;
}
/// [online]
