/// @file runq.h
/// Per-CPU run queues: the portable list logic under the scheduler (proc.cpp).
///
/// A queue holds the runnable threads waiting for one CPU, one FIFO per
/// priority, with a bitmap of the non-empty priorities so the next thread is
/// found in constant time. Threads are linked through a RunqNode embedded in
/// them, so queueing never allocates. A node records the queue it is on: a
/// thread is runnable on exactly one queue, or on none while it runs, and
/// runq_enqueue() refuses a node that is already queued somewhere.
///
/// Each queue has its own lock (a PolicyLock: ticket, or test-and-set under a
/// hypervisor, as every kernel spinlock). Most operations expect the caller to
/// hold it (the scheduler holds it across its decision). Stealing needs two
/// queues at once and takes both locks itself, always the lower CPU's first,
/// so two CPUs stealing from each other cannot deadlock.
#pragma once
#include "spinlock_core.h"
#include "labs.h"
#include "types.h"

struct RunQueue;

/// Priorities 0 (lowest) .. runq_levels - 1 (highest).
constexpr uint32_t runq_levels = 8;

/// The link a thread embeds to sit on a run queue.
struct RunqNode {
    RunqNode* next = nullptr;  ///< Next in the same priority's FIFO.
    RunqNode* prev = nullptr;  ///< Previous in the same priority's FIFO.
    RunQueue* queue = nullptr; ///< The queue this node is on, or null.
    uint8_t prio = 0;          ///< Priority, read when the node is enqueued.
};

/// One priority's FIFO.
struct RunqLevel {
    RunqNode* head = nullptr; ///< Runs next.
    RunqNode* tail = nullptr; ///< Queued last.
};

/// One CPU's run queue. Fields other than `lock` and `cpu` belong to runq.cpp.
struct RunQueue {
    PolicyLock lock;                 ///< Protects everything below except `count` reads.
    uint32_t cpu = 0;                ///< Kernel id of the owning CPU (the lock order key).
    uint32_t holder = 0xFFFFFFFF;    ///< Who holds `lock` (RunqHooks::self), for reports only.
    uint32_t count = 0;              ///< Queued nodes; readable without the lock (runq_count()).
    uint32_t nonempty = 0;           ///< Bit p set when level[p] is not empty.
    RunqLevel level[runq_levels];    ///< The FIFOs by priority.
    uint64_t stolen_from = 0;        ///< Nodes other CPUs took from this queue.
    uint64_t stolen_to = 0;          ///< Nodes this queue's CPU took from others.
    /// An empty queue of CPU @p owner.
    constexpr explicit RunQueue(uint32_t owner = 0) : cpu(owner) {}
};

/// Decides whether @p n may run on CPU @p cpu (its affinity); @p ctx is the
/// caller's. The kernel's looks at the thread around the node.
using RunqFilter = bool (*)(const RunqNode* n, uint32_t cpu, void* ctx);

/// Empty @p q and give it to CPU @p cpu.
void runq_init(RunQueue& q, uint32_t cpu);

/// Append @p n to the FIFO of its priority (priorities above the highest are
/// clamped, with a warning). False, with an error logged, when @p n is
/// already on a queue. The caller holds q.lock.
bool runq_enqueue(RunQueue& q, RunqNode* n);
/// Remove and return the first node of the highest non-empty priority, or
/// null. The caller holds q.lock.
RunqNode* runq_dequeue(RunQueue& q);
/// Unlink @p n from @p q. False when @p n is not on @p q. The caller holds q.lock.
bool runq_remove(RunQueue& q, RunqNode* n);
/// Unlink and return a node of @p q that @p ok allows on CPU @p cpu: the
/// highest priority first, and within it the one queued last (it would wait
/// longest here). A null @p ok allows every node. Null when there is none.
/// The caller holds q.lock.
RunqNode* runq_take_for(RunQueue& q, uint32_t cpu, RunqFilter ok, void* ctx);
/// Queued nodes of @p q: a snapshot, without the lock, for balancing decisions.
uint32_t runq_count(const RunQueue& q);
/// The queue with the most queued nodes among @p n queues, @p self excluded;
/// ties go to the lower index. Null when all others are empty.
RunQueue* runq_busiest(RunQueue* const* queues, size_t n, const RunQueue* self);

/// `holder` of a queue nobody holds, and the caller's id when no hook says it.
constexpr uint32_t runq_nobody = 0xFFFFFFFF;

/// How long one wait for a queue's lock has lasted, for RunqHooks::waiting.
struct RunqWait {
    uint64_t start = 0;  ///< When the wait began, in the hook's units (0: not yet noted).
    uint32_t looks = 0;  ///< Times the lock was found taken.
};

/// What a queue lock reports, filled in by the kernel (proc.cpp: the caller's
/// CPU, a panic that names the holder). Host tests may fill them in; left
/// empty, a lock records no holder and waits without a bound.
struct RunqHooks {
    uint32_t (*self)() = nullptr;  ///< The caller's id (its CPU).
    /// The caller already holds @p q and asks for it again: it would wait for itself.
    void (*relock)(const RunQueue& q, uint32_t me) = nullptr;
    /// Called on every look at a taken lock; may report a wait that lasts too long.
    void (*waiting)(const RunQueue& q, uint32_t me, RunqWait& w) = nullptr;
};
/// The hooks every queue lock uses.
extern RunqHooks runq_hooks;

/// Lock @p q, calling `spin(ahead)` while waiting (spinlock_core.h). The
/// queue records its holder, so that taking it twice and waiting too long
/// are reported with names (runq_hooks) instead of hanging in silence.
template <typename Spin>
void runq_lock(RunQueue& q, Spin&& spin) {
    uint32_t me = runq_hooks.self ? runq_hooks.self() : runq_nobody;
    if (me != runq_nobody && __atomic_load_n(&q.holder, __ATOMIC_RELAXED) == me && runq_hooks.relock)
        runq_hooks.relock(q, me);
    RunqWait w;
    policy_acquire(q.lock, [&](uint32_t ahead) {
        spin(ahead);
        if (runq_hooks.waiting) runq_hooks.waiting(q, me, w);
    });
    __atomic_store_n(&q.holder, me, __ATOMIC_RELAXED);
}
/// Unlock @p q.
inline void runq_unlock(RunQueue& q) {
    __atomic_store_n(&q.holder, runq_nobody, __ATOMIC_RELAXED);
    policy_release(q.lock);
}

/// Lock two different queues in the one global order: lower CPU id first
/// (and, should two queues share an id, lower address first).
template <typename Spin>
void runq_lock_two(RunQueue& a, RunQueue& b, Spin&& spin) {
    // LAB 07 BEGIN: take both locks in the one global order, whichever queue is the thief's
    bool a_first = a.cpu != b.cpu ? a.cpu < b.cpu : &a < &b;
    RunQueue& first = a_first ? a : b;
    runq_lock(first, spin);
    runq_lock(&first == &a ? b : a, spin);
    // LAB 07 STUB: lab_todo(7, "locking two queues in runq_lock_two()");
    // LAB 07 STUB: (void)a; (void)b; (void)spin;
    // LAB 07 LATER: for (;;) {  // a stand-in: back off instead of an order
    // LAB 07 LATER:     runq_lock(a, spin);
    // LAB 07 LATER:     if (policy_try(b.lock)) return;
    // LAB 07 LATER:     runq_unlock(a);
    // LAB 07 LATER:     spin(1u);
    // LAB 07 LATER: }
    // LAB 07 END
}
/// Unlock two queues locked with runq_lock_two().
inline void runq_unlock_two(RunQueue& a, RunQueue& b) {
    runq_unlock(a);
    runq_unlock(b);
}

/// Move one node that @p ok allows on @p thief's CPU from @p victim to
/// @p thief, holding both locks. Returns the node moved, or null.
template <typename Spin>
RunqNode* runq_steal(RunQueue& victim, RunQueue& thief, RunqFilter ok, void* ctx, Spin&& spin) {
    if (&victim == &thief || runq_count(victim) == 0) return nullptr;
    runq_lock_two(victim, thief, spin);
    RunqNode* n = runq_take_for(victim, thief.cpu, ok, ctx);
    if (n) {
        runq_enqueue(thief, n);
        ++victim.stolen_from;
        ++thief.stolen_to;
    }
    runq_unlock_two(victim, thief);
    return n;
}

/// Steal one node for @p thief (one of @p queues), nearest queues first.
/// `near(thief cpu, victim cpu)` ranks each other CPU's queue, 0 nearest (an
/// integer or an enum such as stealorder.h's StealLevel). Among the queues of
/// the nearest rank that holds queued nodes: the busiest first, then, if
/// everything there is pinned elsewhere, the others of that rank in index
/// order; only then the next rank. So a sibling with one thread waiting is
/// taken from before a far CPU with many: the near CPU's caches still hold
/// some of what the thread touched, and the far queue's own neighbours will
/// take from it. Returns the node moved, or null.
template <typename Near, typename Spin>
RunqNode* runq_steal_nearest(RunQueue* const* queues, size_t n, RunQueue& thief, Near&& near, RunqFilter ok,
                             void* ctx, Spin&& spin) {
    auto rank = [&](size_t i) { return static_cast<uint32_t>(near(thief.cpu, queues[i]->cpu)); };
    for (uint32_t r = 0;;) {
        RunQueue* busiest = nullptr;
        uint32_t most = 0, next = ~0u;  // next: the nearest rank beyond r that has work
        for (size_t i = 0; i < n; ++i) {
            uint32_t c = queues[i] == &thief ? 0 : runq_count(*queues[i]);
            if (!c) continue;
            uint32_t ri = rank(i);
            if (ri == r && c > most) busiest = queues[i], most = c;
            if (ri > r && ri < next) next = ri;
        }
        if (busiest) {
            if (RunqNode* got = runq_steal(*busiest, thief, ok, ctx, spin)) return got;
            for (size_t i = 0; i < n; ++i) {
                if (queues[i] == busiest || queues[i] == &thief || rank(i) != r) continue;
                if (RunqNode* got = runq_steal(*queues[i], thief, ok, ctx, spin)) return got;
            }
        }
        if (next == ~0u) return nullptr;
        r = next;
    }
}

/// Steal one node for @p thief (one of @p queues) as if every queue were
/// equally near: from the busiest queue first, then, if everything there is
/// pinned elsewhere, from any other non-empty queue in index order. Returns
/// the node moved, or null.
template <typename Spin>
RunqNode* runq_steal_busiest(RunQueue* const* queues, size_t n, RunQueue& thief, RunqFilter ok, void* ctx,
                             Spin&& spin) {
    auto same = [](uint32_t, uint32_t) { return 0u; };
    return runq_steal_nearest(queues, n, thief, same, ok, ctx, spin);
}
