/// @file callq.cpp
/// Call-function mailboxes (see callq.h): a bounded multi-producer queue per
/// CPU, drained by its owner.
#include "callq.h"
#include "log.h"

namespace {

constexpr uint32_t slot_mask = callq_capacity - 1;
static_assert((callq_capacity & slot_mask) == 0, "callq_capacity must be a power of two");
static_assert(callq_max_cpus % 32 == 0, "CallWait::answered holds whole words of CPUs");

/// Acknowledge to @p w on behalf of CPU @p cpu. The bit goes first, and
/// `wake` is read before the decrement: once `pending` reaches 0 the sender
/// may return and its CallWait may be gone.
void ack(CallWait* w, uint32_t cpu) {
    if (!w) return;
    if (cpu < callq_max_cpus) __atomic_fetch_or(&w->answered[cpu / 32], 1u << (cpu % 32), __ATOMIC_RELAXED);
    void (*wake)(uint32_t) = w->wake;
    uint32_t waiter = w->waiter;
    if (__atomic_fetch_sub(&w->pending, 1u, __ATOMIC_RELEASE) == 1 && wake) wake(waiter);
}

/// True when the slot at `tail` is published. Reads `tail` without owning it,
/// so only as a hint.
bool ready(const CallQueue& q) {
    uint32_t pos = __atomic_load_n(&q.tail, __ATOMIC_RELAXED);
    return __atomic_load_n(&q.slots[pos & slot_mask].seq, __ATOMIC_ACQUIRE) == pos + 1;
}

/// [take]
/// Take the request at `tail` into @p out, if it is published. The caller
/// holds `draining`, which makes it the only consumer.
bool take(CallQueue& q, CallReq& out) {
    uint32_t pos = __atomic_load_n(&q.tail, __ATOMIC_RELAXED);
    CallQueue::Slot& s = q.slots[pos & slot_mask];
    if (__atomic_load_n(&s.seq, __ATOMIC_ACQUIRE) != pos + 1) return false;
    out = s.req;
    __atomic_store_n(&q.tail, pos + 1, __ATOMIC_RELAXED);
    // Free the slot for the producer one lap later.
    __atomic_store_n(&s.seq, pos + callq_capacity, __ATOMIC_RELEASE);
    return true;
}
/// [take]

}  // namespace

void callq_init(CallQueue& q, uint32_t cpu) {
    q = CallQueue(cpu);
    if (cpu >= callq_max_cpus)
        log_warn("callq: cpu%u is beyond %u; its answers cannot be named", cpu, callq_max_cpus);
}

/// [post]
bool callq_post(CallQueue& q, const CallReq& r) {
    uint32_t pos = __atomic_load_n(&q.head, __ATOMIC_RELAXED);
    for (;;) {
        CallQueue::Slot& s = q.slots[pos & slot_mask];
        int32_t lap = static_cast<int32_t>(__atomic_load_n(&s.seq, __ATOMIC_ACQUIRE) - pos);
        if (lap < 0) return false;  // the owner has not taken this slot's previous request
        if (lap == 0) {
            if (__atomic_compare_exchange_n(&q.head, &pos, pos + 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
                s.req = r;
                __atomic_store_n(&s.seq, pos + 1, __ATOMIC_RELEASE);
                return true;
            }
            // pos now holds the head another producer moved on to.
        } else {
            pos = __atomic_load_n(&q.head, __ATOMIC_RELAXED);
        }
    }
}
/// [post]

size_t callq_drain(CallQueue& q) {
    size_t ran = 0;
    for (;;) {
        // Hold `draining` only while taking, never while running: a function
        // that itself waits on another CPU drains this mailbox from inside.
        if (__atomic_exchange_n(&q.draining, 1u, __ATOMIC_ACQUIRE)) return ran;
        CallReq r;
        bool got = take(q, r);
        __atomic_store_n(&q.draining, 0u, __ATOMIC_RELEASE);
        if (!got) {
            // A drain nested in ours may have returned while we held the flag.
            if (ready(q)) continue;
            return ran;
        }
        if (r.flags & callflag::ack_on_entry) ack(r.done, q.cpu);
        r.fn(r.arg);
        if (!(r.flags & callflag::ack_on_entry)) ack(r.done, q.cpu);
        ++ran;
    }
}

uint32_t callq_pending(const CallQueue& q) {
    // tail first: it never passes the head read after it, so no underflow.
    uint32_t tail = __atomic_load_n(&q.tail, __ATOMIC_ACQUIRE);
    return __atomic_load_n(&q.head, __ATOMIC_RELAXED) - tail;
}

void callwait_init(CallWait& w, uint32_t targets, void (*wake)(uint32_t), uint32_t waiter) {
    for (uint32_t& word : w.answered) word = 0;
    w.wake = wake;
    w.waiter = waiter;
    __atomic_store_n(&w.pending, targets, __ATOMIC_RELEASE);
}

void callwait_forget(CallWait& w, uint32_t n) { __atomic_fetch_sub(&w.pending, n, __ATOMIC_ACQ_REL); }

bool callwait_done(const CallWait& w) { return __atomic_load_n(&w.pending, __ATOMIC_ACQUIRE) == 0; }

bool callwait_answered(const CallWait& w, uint32_t cpu) {
    return cpu < callq_max_cpus && (__atomic_load_n(&w.answered[cpu / 32], __ATOMIC_RELAXED) >> (cpu % 32)) & 1;
}
