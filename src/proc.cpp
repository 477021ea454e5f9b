/// @file proc.cpp
/// Threads and the per-CPU scheduler (see proc.h for the rules it keeps).
#include "proc.h"
#include "cmdline.h"
#include "config.h"
#include "cpu.h"
#include "cputable.h"
#include "cputopo.h"
#include "format.h"
#include "hotplug.h"
#include "ipi.h"
#include "kstring.h"
#include "labs.h"
#include "lapic.h"
#include "log.h"
#include "logsink.h"
#include "mem.h"
#include "numa.h"
#include "panic.h"
#include "runlevel.h"
#include "smpboot.h"
#include "sync.h"
#include "wait.h"
#include "timer.h"
#include "trap.h"
#include "uentry.h"
#include "process.h"
#include "x86.h"
#include <new>  // placement new: each CPU's state is built in a frame of its node

extern "C" void switch_context(uintptr_t* save_sp, uintptr_t new_sp);
extern "C" void thread_trampoline();
volatile uint32_t user_nostack_cpu = 0xFFFFFFFF;
namespace {

constexpr uint32_t NO_CPU = 0xFFFFFFFF;

struct PerCpu {
    RunQueue rq;
    Thread* idle = nullptr;
    Thread* prev = nullptr;   // switched out here; published by finish_switch()
    uint64_t slice_end = 0;   // ns; 0 while idle
    bool timer_lent = false;  // a self-test owns the LAPIC timer
    volatile uint64_t idle_since = 0;  // now_ns() when the current hlt began; 0 when not halted
    volatile uint32_t leaving = LeaveNo;  // LeaveState: set under rq's lock (hotplug.h)
    volatile uint32_t idle_waker = 0;     // 1 + the CPU to wake at the next idle halt (sched_wake_at_idle())
    SchedStats stats{};
};

// Each CPU's scheduler state lives on that CPU's NUMA node (sched_init()):
// its owner locks its run queue on every switch, a thief only now and then.
// Indexing reads like the static array this replaced: percpu[k].rq.
struct PerCpuTable {
    PerCpu* at[COHORT_MAX_CPUS] = {};  // null for CPUs that are not usable
    PerCpu& operator[](uint32_t k) const { return *at[k]; }
};
PerCpuTable percpu;
RunQueue* queues[COHORT_MAX_CPUS];
Thread idle_threads[COHORT_MAX_CPUS];  // APs' idle threads run on their boot stacks
Thread main_thread;                     // the BSP's kmain() context
bool ready = false;
uint64_t slice_ns = 10000000;
volatile uint64_t violations = 0;

SpinLock all_lock("threads");
Thread* all_threads = nullptr;
uint32_t next_tid = 1;

SpinLock sleep_lock("sleepers");
Thread* sleepers = nullptr;  // sorted by wake_ns
// The first sleeper's deadline, written under sleep_lock and read without it:
// every CPU looks at it whenever it arms its timer, so it must not cost a
// global lock (with 64 CPUs that lock became the hottest in the kernel).
// Two 32-bit halves and a sequence count: i686 has no plain 64-bit atomic.
volatile uint32_t first_wake_seq = 0, first_wake_lo = ~0u, first_wake_hi = ~0u;

void publish_first_wake() {  // caller holds sleep_lock
    uint64_t d = sleepers ? sleepers->wake_ns : ~0ull;
    __atomic_store_n(&first_wake_seq, first_wake_seq + 1, __ATOMIC_RELEASE);  // odd: writing
    __atomic_store_n(&first_wake_lo, (uint32_t)d, __ATOMIC_RELEASE);
    __atomic_store_n(&first_wake_hi, (uint32_t)(d >> 32), __ATOMIC_RELEASE);
    __atomic_store_n(&first_wake_seq, first_wake_seq + 1, __ATOMIC_RELEASE);  // even: done
}

auto spin = [](uint32_t) { cpu_relax(); };

/// [runq hooks]
// A run-queue lock is a bare PolicyLock (runq.h), not a SpinLock; these give
// it the SpinLock's two reports, so a scheduler bug panics with names
// instead of hanging with interrupts off.
uint32_t runq_self() { return cpu_number(); }

[[noreturn]] void runq_relock(const RunQueue& q, uint32_t me) {
    panic("sched: cpu %u takes cpu %u's run-queue lock, which it already holds", me, q.cpu);
}

void runq_waiting(const RunQueue& q, uint32_t me, RunqWait& w) {
    uint64_t bound = spinlock_timeout_ticks();
    if (!bound || (++w.looks & 1023)) return;
    uint64_t now = rdtsc();
    if (!w.start) w.start = now;
    if (now - w.start > bound) {
        uint32_t h = __atomic_load_n(&q.holder, __ATOMIC_RELAXED);
        panic("sched: cpu %u waited %llu ms for cpu %u's run-queue lock, held by cpu %d", me,
              (unsigned long long)(tsc_to_ns(now - w.start) / 1000000), q.cpu, h == runq_nobody ? -1 : (int)h);
    }
}
/// [runq hooks]

Thread* of(RunqNode* n) { return (Thread*)((char*)n - __builtin_offsetof(Thread, node)); }
const Thread* of(const RunqNode* n) { return (const Thread*)((const char*)n - __builtin_offsetof(Thread, node)); }
// A CPU on its way offline takes no thread, not even by stealing.
bool allowed(const RunqNode* n, uint32_t cpu, void*) {
    return of(n)->affinity.test(cpu) && percpu[cpu].leaving == LeaveNo;
}

void add_to_all(Thread* t) {
    IrqSpinGuard g(all_lock);
    t->tid = next_tid++;
    t->all_next = all_threads;
    all_threads = t;
}

uint32_t load_of(uint32_t k) {
    Thread* cur = (Thread*)cpus[k].current;
    return runq_count(percpu[k].rq) + (cur && !cur->is_idle ? 1 : 0);
}

/// The least-loaded online CPU @p t may run on (its last CPU wins ties).
uint32_t choose_cpu(const Thread* t) {
    uint32_t best = NO_CPU, best_load = ~0u;
    // LAB 07 BEGIN: the least-loaded online CPU in t's affinity; on a tie, the CPU it ran on last
    for_each_cpu(k, cpu_online_mask) {
        if (!t->affinity.test(k)) continue;
        uint32_t l = load_of(k);
        if (l < best_load || (l == best_load && k == t->last_cpu)) best = k, best_load = l;
    }
    // LAB 07 STUB: lab_todo(7, "choosing a CPU for a thread in choose_cpu()");
    // LAB 07 STUB: (void)load_of; (void)best_load;
    // LAB 07 LATER: lab_later(7, "a thread runs on the CPU that made it (or the first it may use): no balancing");
    // LAB 07 LATER: if (t->affinity.test(cpu_number())) best = cpu_number();
    // LAB 07 LATER: for_each_cpu(k, cpu_online_mask) if (best == NO_CPU && t->affinity.test(k)) best = k;
    // LAB 07 LATER: (void)load_of; (void)best_load;
    // LAB 07 END
    if (best == NO_CPU) {
        log_warn("sched: thread %s may run on no online CPU; running it on cpu 0", t->name);
        best = 0;
    }
    return best;
}

/// [fallback cpu]
/// Where @p t goes when the CPU chosen for it is leaving (hotplug.h): the
/// least-loaded online CPU that stays and that its affinity allows. When none
/// does (a CPU went offline under a thread pinned to it after the offline
/// checked), the affinity is broken, with a warning: all CPUs, from cpu 0,
/// which never leaves.
uint32_t fallback_cpu(Thread* t) {
    uint32_t best = NO_CPU, best_load = ~0u;
    for_each_cpu(k, cpu_online_mask) {
        if (!t->affinity.test(k) || percpu[k].leaving != LeaveNo) continue;
        uint32_t l = load_of(k);
        if (l < best_load) best = k, best_load = l;
    }
    if (best != NO_CPU) return best;
    log_warn("sched: thread %s (tid %u) may run on no CPU that stays online; its affinity is broken: it may now "
             "run on every CPU", t->name, t->tid);
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) t->affinity.set(k);
    return 0;
}
/// [fallback cpu]

/// Put runnable @p t on CPU @p cpu's queue and wake that CPU. A queue whose
/// CPU is leaving is closed: the thread goes to fallback_cpu() instead, looked
/// at under the queue's lock, so no thread lands on a CPU after its queue was
/// emptied for the last time.
void enqueue(Thread* t, uint32_t cpu) {
    uintptr_t f = read_flags();
    cli();
    for (;;) {
        PerCpu& p = percpu[cpu];
        runq_lock(p.rq, spin);
        if (p.leaving == LeaveNo) {
            runq_enqueue(p.rq, &t->node);
            runq_unlock(p.rq);
            break;
        }
        runq_unlock(p.rq);
        cpu = fallback_cpu(t);
    }
    write_flags(f);
    if (cpu != cpu_number()) ipi_reschedule(cpu);  // an idle CPU wakes; a busy one notes it
}

uint64_t earliest_sleeper() {
    for (;;) {
        uint32_t seq = __atomic_load_n(&first_wake_seq, __ATOMIC_ACQUIRE);
        if (seq & 1) { cpu_relax(); continue; }
        uint64_t d = (uint64_t)__atomic_load_n(&first_wake_hi, __ATOMIC_ACQUIRE) << 32 |
                     __atomic_load_n(&first_wake_lo, __ATOMIC_ACQUIRE);
        if (__atomic_load_n(&first_wake_seq, __ATOMIC_ACQUIRE) == seq) return d;
    }
}

/// Arm this CPU's one-shot timer for the end of the slice or the first
/// sleeper's deadline, whichever comes first; nothing to wait for: no tick.
void rearm(PerCpu& p) {
    if (p.timer_lent) return;
    uint64_t deadline = p.slice_end ? p.slice_end : ~0ull;
    uint64_t s = earliest_sleeper();
    if (s < deadline) deadline = s;
    if (deadline == ~0ull) {
        lapic_timer_stop();
        return;
    }
    uint64_t now = now_ns();
    lapic_timer_oneshot(deadline > now ? (deadline - now) / 1000 + 1 : 1, vec::timer);
}

void wake_sleepers(uint64_t now) {
    for (;;) {
        Thread* t;
        {
            IrqSpinGuard g(sleep_lock);
            t = sleepers;
            if (!t || t->wake_ns > now) return;
            sleepers = t->sleep_next;
            t->sleep_next = nullptr;
            publish_first_wake();
        }
        thread_wake(t);
    }
}

/// Run on the next thread's stack right after a switch: publish the thread
/// that was switched out, now that its registers are saved.
/// [finish switch]
void finish_switch() {
    PerCpu& p = percpu[cpu_number()];
    Thread* t = p.prev;
    p.prev = nullptr;
    if (!t) return;
    t->tlock.lock();
    __atomic_store_n(&t->on_cpu, NO_CPU, __ATOMIC_RELEASE);
    bool requeue = t->state == ThreadState::Runnable && !t->is_idle;
    bool dead = t->state == ThreadState::Dead;
    t->tlock.unlock();
    if (requeue) enqueue(t, t->affinity.test(cpu_number()) ? cpu_number() : choose_cpu(t));
    // The last touch of a dead thread: its joiner may free it (and the queue)
    // as soon as it sees `exited`, which is set under the queue's lock.
    if (dead) t->joiners->set_and_wake_all(&t->exited);
}
/// [finish switch]

void on_timer(TrapFrame*) {
    lapic_eoi();
    nmi_report_pending();
    uint64_t now = now_ns();
    wake_sleepers(now);
    Cpu* c = this_cpu();
    PerCpu& p = percpu[c->id];
    Thread* cur = (Thread*)c->current;
    if (cur && !cur->is_idle && p.slice_end && now >= p.slice_end && runq_count(p.rq)) {
        c->need_resched = 1;
        ++p.stats.preemptions;
    }
    if (cur && !cur->is_idle && p.leaving != LeaveNo) c->need_resched = 1;  // going offline: off with it
    if (c->need_resched && (Runlevel)c->runlevel < Runlevel::Dispatch) {
        Runlevel old = raise_runlevel(Runlevel::Dispatch);
        schedule();
        lower_runlevel(old);
        return;
    }
    if (p.slice_end && now >= p.slice_end) p.slice_end = now + slice_ns;  // nobody waiting: go on
    rearm(p);
}

/// [reschedule]
void on_reschedule(TrapFrame*) {
    lapic_eoi();
    Cpu* c = this_cpu();
    Thread* cur = (Thread*)c->current;
    // An idle CPU leaves hlt and looks at its queue by itself. A busy one
    // switches now only for a higher priority; equal priorities share by time.
    if (!cur || cur->is_idle) return;
    PerCpu& p = percpu[c->id];
    uint32_t queued = __atomic_load_n(&p.rq.nonempty, __ATOMIC_RELAXED);
    // A CPU going offline (hotplug.h) sends its thread away at once.
    if (p.leaving != LeaveNo || (queued && 31u - (uint32_t)__builtin_clz(queued) > cur->prio)) {
        c->need_resched = 1;
        if ((Runlevel)c->runlevel < Runlevel::Dispatch) {
            Runlevel old = raise_runlevel(Runlevel::Dispatch);
            schedule();
            lower_runlevel(old);
            return;
        }
    }
    if (!p.slice_end) p.slice_end = now_ns() + slice_ns;
    rearm(p);
}
/// [reschedule]

void deferred_preempt() {
    Runlevel old = raise_runlevel(Runlevel::Dispatch);
    schedule();
    lower_runlevel(old);
}

/// [dying]
/// On a CPU asked to leave, in its idle thread, interrupts off: take the
/// request (unless it was withdrawn), send away anything that still reached
/// its queue, stop its timer, and hand over to hotplug_cpu_leaving().
void sched_cpu_dying() {
    uint32_t me = cpu_number();
    PerCpu& p = percpu[me];
    uint32_t asked = LeaveAsked;
    runq_lock(p.rq, spin);
    bool take = __atomic_compare_exchange_n(&p.leaving, &asked, (uint32_t)LeaveDying, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE);
    runq_unlock(p.rq);
    if (!take) return;  // withdrawn (sched_cpu_stay): go on as before
    // Closed and emptied by sched_cpu_leave(), the queue must be empty: a
    // thread here was queued past the close. Say so, and do not strand it.
    for (;;) {
        runq_lock(p.rq, spin);
        RunqNode* n = runq_dequeue(p.rq);
        runq_unlock(p.rq);
        if (!n) break;
        log_error("sched: cpu %u is going offline with thread %s still queued; moved", me, of(n)->name);
        enqueue(of(n), fallback_cpu(of(n)));
    }
    p.slice_end = 0;
    p.timer_lent = true;  // nothing re-arms it from here on
    lapic_timer_stop();
    hotplug_cpu_leaving();
}
/// [dying]

[[noreturn]] void idle_loop() {
    PerCpu& p = percpu[cpu_number()];
    for (;;) {
        cli();
        {
            Runlevel old = raise_runlevel(Runlevel::Dispatch);
            schedule();  // returns when there is nothing to run
            lower_runlevel(old);
        }
        cli();
        // Asked to go offline, and its last thread has left: stop this CPU.
        if (p.leaving != LeaveNo) sched_cpu_dying();
        // finish_switch() may just have woken a thread onto this very CPU (a
        // joiner, say): no IPI comes for that, so look before halting.
        if (runq_count(p.rq)) continue;
        p.slice_end = 0;
        rearm(p);
        logsink_idle();  // lines the screen mirror held back go out before we sleep
        nmi_report_pending();
        // Asked to (sched_wake_at_idle()): tell the CPU waiting for this one.
        if (uint32_t w = __atomic_exchange_n(&p.idle_waker, 0u, __ATOMIC_ACQ_REL)) wait_wake(w - 1);
        uint64_t t0 = now_ns();
        p.idle_since = t0;
        sti_hlt();  // sti's shadow: an interrupt pending now still wakes this hlt
        cli();
        p.idle_since = 0;
        p.stats.idle_ns += now_ns() - t0;
    }
}

void idle_entry(void*) { idle_loop(); }

/// A new thread's stack: callee-saved registers of switch.asm, then a return
/// into thread_trampoline with the Thread* in a callee-saved register.
void build_frame(Thread* t) {
    uintptr_t top = t->kstack_top;
#if UINTPTR_MAX > 0xFFFFFFFFu
    uintptr_t* f = (uintptr_t*)(top - 72);  // 16-byte alignment after the ret
    f[0] = 0; f[1] = 0; f[2] = 0;           // r15 r14 r13
    f[3] = (uintptr_t)t;                    // r12
    f[4] = 0; f[5] = 0;                     // rbx rbp
    f[6] = (uintptr_t)&thread_trampoline;
#else
    uintptr_t* f = (uintptr_t*)(top - 32);
    f[0] = 0; f[1] = 0;                     // edi esi
    f[2] = (uintptr_t)t;                    // ebx
    f[3] = 0;                               // ebp
    f[4] = (uintptr_t)&thread_trampoline;
#endif
    t->sp = (uintptr_t)f;
}

Thread* make_thread(const char* name, void (*entry)(void*), void* arg, uint8_t prio, const CpuMask* affinity) {
    Thread* t = new Thread();
    if (!t) return nullptr;
    t->kstack_top = stack_alloc(KSTACK_SIZE);
    if (!t->kstack_top) {
        delete t;
        return nullptr;
    }
    t->kstack_size = KSTACK_SIZE;
    size_t n = strlen(name);
    if (n >= sizeof t->name) n = sizeof t->name - 1;
    memcpy(t->name, name, n);
    t->prio = prio < runq_levels ? prio : runq_levels - 1;
    t->node.prio = t->prio;
    if (affinity) t->affinity = *affinity;
    else for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) t->affinity.set(k);
    t->entry = entry;
    t->arg = arg;
    t->joiners = new WaitQueue();
    build_frame(t);
    return t;
}

}  // namespace

extern "C" [[noreturn]] void thread_bootstrap(Thread* t) {
    finish_switch();
    lower_runlevel(Runlevel::Passive);
    sti();
    t->entry(t->arg);
    thread_exit(0);
}

/// [schedule]
void schedule() {
    uintptr_t f = read_flags();
    cli();
    Cpu* c = this_cpu();
    uint32_t me = c->id;
    PerCpu& p = percpu[me];
    Thread* prev = (Thread*)c->current;
    c->need_resched = 0;

    // Closed before our look (the close is published by the queue's lock,
    // which the pick takes next): anything we find there came past it.
    bool closed_before = __atomic_load_n(&p.leaving, __ATOMIC_ACQUIRE) != LeaveNo;
    // LAB 07 BEGIN: the next node: from this CPU's own queue, else steal one, nearest queues first (count it)
    runq_lock(p.rq, spin);
    RunqNode* n = runq_dequeue(p.rq);
    runq_unlock(p.rq);  // before stealing: runq_lock_two() takes this lock again
    // Queues up to the highest online id: ids have gaps when an AP failed to
    // start, so the online count would leave the highest CPU's queue out.
    uint32_t span = 0;
    for_each_cpu(k, cpu_online_mask) span = k + 1;
    // Nearest first (stealorder.h): the SMT sibling, the package, the node, anywhere.
    if (!n && runq_steal_nearest(queues, span, p.rq, cpu_steal_level, allowed, nullptr, spin)) {
        ++p.stats.steals;
        runq_lock(p.rq, spin);
        n = runq_dequeue(p.rq);
        runq_unlock(p.rq);
    }
    // LAB 07 STUB: lab_todo(7, "picking the next thread in schedule()");
    // LAB 07 STUB: RunqNode* n = nullptr;
    // LAB 07 STUB: (void)allowed;
    // LAB 07 LATER: lab_later(7, "no stealing: each CPU runs what is on its own queue");
    // LAB 07 LATER: runq_lock(p.rq, spin); RunqNode* n = runq_dequeue(p.rq); runq_unlock(p.rq); (void)allowed;
    // LAB 07 END
    if (n && p.leaving != LeaveNo) {
        // Going offline (hotplug.h): run nothing more here. A thread taken
        // before the close goes elsewhere; one found on the queue after it
        // (closed_before) should not have been there: put back, for
        // sched_cpu_dying() to report.
        if (closed_before) {
            runq_lock(p.rq, spin);
            runq_enqueue(p.rq, n);
            runq_unlock(p.rq);
        } else {
            enqueue(of(n), fallback_cpu(of(n)));
        }
        n = nullptr;
    }
    Thread* next;
    bool prev_can_run = !prev->is_idle && p.leaving == LeaveNo &&
                        (prev->state == ThreadState::Running || prev->state == ThreadState::Runnable);
    if (n) next = of(n);
    else if (prev_can_run) next = prev;  // nothing else: keep going
    else next = p.idle;

    if (next == prev) {
        prev->state = ThreadState::Running;
        if (!prev->is_idle) p.slice_end = now_ns() + slice_ns;
        rearm(p);
        write_flags(f);
        return;
    }
    if (prev->state == ThreadState::Running) prev->state = ThreadState::Runnable;  // preempted or yielding
    uint32_t other = __atomic_exchange_n(&next->on_cpu, me, __ATOMIC_ACQ_REL);
    if (other != NO_CPU) {
        violations = violations + 1;
        panic("sched: thread %s (tid %u) runs on two CPUs at once: cpu %u picked it while cpu %u has it",
              next->name, next->tid, me, other);
    }
    next->state = ThreadState::Running;
    if (!next->is_idle && next->last_cpu != me && next->last_cpu != NO_CPU) {
        ++next->migrations;
        ++p.stats.migrations;
    }
    next->last_cpu = me;
    ++next->switches_in;
    ++p.stats.switches;
    c->current = next;
    p.prev = prev;
    p.slice_end = next->is_idle ? 0 : now_ns() + slice_ns;
    rearm(p);
    /// [switch to user thread]
    // Ring 3 interrupted on this CPU lands on the TSS's rsp0 (SDM Vol. 3A
    // 6.14.4) and SYSCALL on the block's stack slot: both must be the next
    // thread's own kernel stack, or its user entry would run on the stack of
    // whichever thread last set them. And its address space: a user thread's
    // tables, the kernel's for a kernel thread (so no CPU holds a reaped
    // process's tables: process.cpp frees them once its threads are joined),
    // with the process's mask of CPUs that hold them (its shootdown targets).
    if (next->kstack_top) arch_set_kernel_stack(next->kstack_top);
    process_switch(next);
    /// [switch to user thread]
    if (next->kstack_top && user_nostack_cpu == cpu_number()) arch_set_kernel_stack(0);  // user_tests.cpp
    switch_context(&prev->sp, next->sp);
    finish_switch();  // back on prev's stack: maybe much later, maybe on another CPU
    write_flags(f);
}
/// [schedule]

void sched_init() {
    slice_ns = (uint64_t)boot_options().timeslice_ms * 1000000;
    static_assert(sizeof(PerCpu) <= kFrameSize, "a CPU's scheduler state fits one frame");
    for (uint32_t k = 0; k < cpu_table.usable; ++k) {
        uint64_t frame = frame_alloc_node(1, numa_node_of_cpu(k));
        if (!frame) panic("sched: no memory for cpu %u's run queue", k);
        percpu.at[k] = new ((void*)(uintptr_t)frame) PerCpu();
        runq_init(percpu[k].rq, k);
        queues[k] = &percpu[k].rq;
    }
    Cpu* c = this_cpu();
    memcpy(main_thread.name, "main", 5);
    main_thread.state = ThreadState::Running;
    main_thread.on_cpu = c->id;
    main_thread.last_cpu = c->id;
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) main_thread.affinity.set(k);
    add_to_all(&main_thread);
    c->current = &main_thread;
    CpuMask only0;
    only0.set(0);
    Thread* idle = make_thread("idle0", idle_entry, nullptr, 0, &only0);
    if (!idle) panic("sched: no memory for cpu 0's idle thread");
    idle->is_idle = true;
    percpu[0].idle = idle;
    add_to_all(idle);
    runq_hooks.self = runq_self;
    runq_hooks.relock = runq_relock;
    runq_hooks.waiting = runq_waiting;
    trap_set_handler(vec::timer, on_timer);
    trap_set_handler(vec::reschedule, on_reschedule);
    runlevel_resched_hook = deferred_preempt;
    ready = true;
    log_info("sched: per-cpu run queues, %u priorities, time slice %u ms, idle cpus tickless",
             runq_levels, boot_options().timeslice_ms);
}

namespace {
bool has_work(uint32_t k) { return runq_count(percpu[k].rq) != 0; }
}  // namespace

[[noreturn]] void sched_run_ap() {
    Cpu* c = this_cpu();
    Thread* idle = &idle_threads[c->id];
    ksnprintf(idle->name, sizeof idle->name, "idle%u", c->id);
    idle->is_idle = true;
    idle->state = ThreadState::Running;
    idle->on_cpu = c->id;
    idle->last_cpu = c->id;
    idle->affinity.set(c->id);
    if (!idle->tid) add_to_all(idle);  // once: a CPU brought back online reuses its idle thread
    PerCpu& p = percpu[c->id];
    p.idle = idle;
    p.prev = nullptr;
    p.slice_end = 0;
    p.timer_lent = false;
    c->current = idle;
    smp_ap_wait_bringup(has_work);  // during the boot's bring-up: until every AP is online
    idle_loop();
}

Thread* thread_create(const char* name, void (*entry)(void*), void* arg, uint8_t prio, const CpuMask* affinity,
                      PtRoot root, void* process) {
    Thread* t = make_thread(name, entry, arg, prio, affinity);
    if (!t) {
        log_error("sched: no memory for thread %s", name);
        return nullptr;
    }
    t->uvm_root = root;
    t->process = process;
    add_to_all(t);
    t->state = ThreadState::Runnable;
    t->placed_cpu = choose_cpu(t);
    enqueue(t, t->placed_cpu);
    return t;
}

void thread_exit(intptr_t value) {
    raise_runlevel(Runlevel::Dispatch);
    cli();
    Thread* t = current_thread();
    t->exit_value = value;
    t->tlock.lock();
    t->state = ThreadState::Dead;
    t->tlock.unlock();
    schedule();
    panic("sched: dead thread %s was scheduled again", t->name);
}

namespace {
bool is_gone(void* p) { return ((const Thread*)p)->exited; }
}  // namespace

intptr_t thread_join(Thread* t) {
    t->joiners->wait(is_gone, t);
    {
        IrqSpinGuard g(all_lock);
        for (Thread** pp = &all_threads; *pp; pp = &(*pp)->all_next)
            if (*pp == t) { *pp = t->all_next; break; }
    }
    intptr_t v = t->exit_value;
    stack_free(t->kstack_top, t->kstack_size);
    delete t->joiners;
    delete t;
    return v;
}

void thread_yield() {
    RunlevelGuard g(Runlevel::Dispatch);
    schedule();
}

Thread* current_thread() {
    // One GS-relative load, not this_cpu()->current: a thread preempted
    // between reading its CPU's block and that block's `current` may resume
    // on another CPU and read the thread now running on the first one (seen
    // as "mutex: released by a thread that does not hold it").
    void* t;
    asm volatile("mov %%gs:%c1, %0" : "=r"(t) : "i"(__builtin_offsetof(Cpu, current)));
    return (Thread*)t;
}

void thread_wake(Thread* t) {
    uintptr_t f = read_flags();
    cli();
    t->tlock.lock();
    bool publish = false;
    if (t->state == ThreadState::Blocked) {
        t->state = ThreadState::Runnable;
        // Still switching out on its CPU: finish_switch() there will queue it.
        publish = __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) == NO_CPU;
    }
    t->tlock.unlock();
    if (publish) enqueue(t, choose_cpu(t));
    write_flags(f);
}

void sched_block() {
    RunlevelGuard g(Runlevel::Dispatch);
    schedule();
}

void sleep_ms(uint32_t ms) { sleep_ms_unless(ms, nullptr); }

void sleep_ms_unless(uint32_t ms, const volatile bool* stop) {
    if (!lapic_available()) {  // no timer interrupt to wake us: wait in place
        mdelay(ms);
        return;
    }
    Thread* t = current_thread();
    uintptr_t f = read_flags();
    cli();
    t->wake_ns = now_ns() + (uint64_t)ms * 1000000;
    bool stopped;
    {
        IrqSpinGuard g(sleep_lock);
        // Looked at under the lock sleep_cancel() takes: a stop set before
        // it is seen here, one set after it finds this thread in the list.
        stopped = stop && *stop;
        if (!stopped) {
            Thread** pp = &sleepers;
            while (*pp && (*pp)->wake_ns <= t->wake_ns) pp = &(*pp)->sleep_next;
            t->sleep_next = *pp;
            *pp = t;
            publish_first_wake();
            t->tlock.lock();
            t->state = ThreadState::Blocked;
            t->tlock.unlock();
        }
    }
    write_flags(f);
    if (!stopped) sched_block();
}

void sleep_cancel(Thread* t) {
    bool found = false;
    {
        IrqSpinGuard g(sleep_lock);
        for (Thread** pp = &sleepers; *pp; pp = &(*pp)->sleep_next)
            if (*pp == t) {
                *pp = t->sleep_next;
                t->sleep_next = nullptr;
                publish_first_wake();
                found = true;
                break;
            }
    }
    if (found) thread_wake(t);  // as wake_sleepers(): it may still be switching out
}

void sleep_arm(uint64_t wake_ns) {
    Thread* t = current_thread();
    t->wake_ns = wake_ns;
    IrqSpinGuard g(sleep_lock);
    Thread** pp = &sleepers;
    while (*pp && (*pp)->wake_ns <= t->wake_ns) pp = &(*pp)->sleep_next;
    t->sleep_next = *pp;
    *pp = t;
    publish_first_wake();
}

void sleep_disarm() {
    Thread* t = current_thread();
    IrqSpinGuard g(sleep_lock);
    for (Thread** pp = &sleepers; *pp; pp = &(*pp)->sleep_next)
        if (*pp == t) {
            *pp = t->sleep_next;
            t->sleep_next = nullptr;
            publish_first_wake();
            return;
        }
}

void sched_lend_timer(bool on) {
    uintptr_t f = read_flags();
    cli();
    PerCpu& p = percpu[cpu_number()];
    p.timer_lent = on;
    if (!on) rearm(p);
    write_flags(f);
}

/// [leave]
uint32_t sched_cpu_leave(uint32_t cpu) {
    PerCpu& p = percpu[cpu];
    uint32_t moved = 0;
    // LAB 08 BEGIN: close the queue (LeaveAsked) and take every thread off it in one hold of its lock (interrupts off); then move each with enqueue() and send the reschedule IPI
    uintptr_t f = read_flags();
    cli();
    // Closed and emptied in one critical section: the CPU may take the
    // request (sched_cpu_dying()) the moment the lock is free, and must find
    // its queue empty then.
    RunqNode* taken = nullptr;
    runq_lock(p.rq, spin);
    p.leaving = LeaveAsked;  // closed: from here enqueue() sends threads elsewhere
    while (RunqNode* n = runq_dequeue(p.rq)) {
        n->next = taken;  // off the queue, its link is free to chain them
        taken = n;
    }
    runq_unlock(p.rq);
    // One queue lock at a time: enqueue() takes the target's.
    while (taken) {
        RunqNode* n = taken;
        taken = n->next;
        n->next = nullptr;
        enqueue(of(n), fallback_cpu(of(n)));
        ++moved;
    }
    write_flags(f);
    // Its running thread goes at its next look at the scheduler: the
    // reschedule IPI, or the caller's own yield when it runs there itself.
    ipi_reschedule(cpu);  // not to ourselves: the caller yields instead
    // LAB 08 STUB: lab_todo(8, "closing the run queue and moving its threads in sched_cpu_leave()"); (void)p;
    // LAB 08 LATER: lab_later(8, "no CPU goes offline: its run queue stays open"); (void)p;
    // LAB 08 END
    return moved;
}
/// [leave]

namespace {
/// Move CPU @p cpu's LeaveState from @p from to @p to, under its queue's lock
/// (enqueue() looks at it there). False when it was not @p from.
bool swap_leaving(uint32_t cpu, uint32_t from, uint32_t to) {
    PerCpu& p = percpu[cpu];
    uintptr_t f = read_flags();
    cli();
    runq_lock(p.rq, spin);
    bool done = __atomic_compare_exchange_n(&p.leaving, &from, to, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    runq_unlock(p.rq);
    write_flags(f);
    return done;
}
}  // namespace

bool sched_cpu_stay(uint32_t cpu) { return swap_leaving(cpu, LeaveAsked, LeaveNo); }

void sched_cpu_open(uint32_t cpu) { (void)swap_leaving(cpu, sched_cpu_leave_state(cpu), LeaveNo); }

uint32_t sched_cpu_leave_state(uint32_t cpu) { return __atomic_load_n(&percpu[cpu].leaving, __ATOMIC_ACQUIRE); }

const SchedStats& sched_stats(uint32_t cpu) { return percpu[cpu].stats; }

uint64_t sched_idle_ns(uint32_t cpu) {
    uint64_t since = percpu[cpu].idle_since;  // read once: the CPU may wake meanwhile
    uint64_t now = now_ns();
    return percpu[cpu].stats.idle_ns + (since && now > since ? now - since : 0);
}
uint32_t sched_queue_length(uint32_t cpu) { return runq_count(percpu[cpu].rq); }

void sched_wake_at_idle(uint32_t cpu, uint32_t waker) {
    __atomic_store_n(&percpu[cpu].idle_waker, waker + 1, __ATOMIC_RELEASE);
}
bool sched_idle_reached(uint32_t cpu) { return __atomic_load_n(&percpu[cpu].idle_waker, __ATOMIC_ACQUIRE) == 0; }

const void* sched_cpu_state(uint32_t cpu) { return cpu < COHORT_MAX_CPUS ? percpu.at[cpu] : nullptr; }
bool sched_ready() { return ready; }
bool sched_timer_free() { return ready && !percpu[cpu_number()].timer_lent; }
uint64_t sched_exclusive_violations() { return violations; }

void thread_foreach(void (*fn)(const Thread&, void*), void* ctx) {
    IrqSpinGuard g(all_lock);
    for (Thread* t = all_threads; t; t = t->all_next) fn(*t, ctx);
}
