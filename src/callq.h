/// @file callq.h
/// Call-function mailboxes: the portable queue behind "run this function on
/// that CPU" (ipi.cpp sends the IPI, this file holds the requests).
///
/// Each CPU owns one CallQueue. Any CPU may post to it (many producers); only
/// its owner runs what is in it (one consumer). Posting is lock-free, with
/// the bounded MPMC queue of 1024cores.net: a producer claims a slot by
/// advancing `head` with compare-and-swap, fills it, then publishes it through the slot's
/// sequence number. So posting never waits for the owner, and an interrupt
/// handler may post while the interrupted code was posting too.
///
/// Deadlock avoidance (PITFALLS "Runtime"): a CPU that waits for others to
/// run its request keeps draining its own mailbox while it waits
/// (callq_wait()), and one whose target's mailbox is full drains its own
/// before retrying (callq_post_retry()). Two CPUs calling each other therefore
/// both make progress, even with interrupts masked.
#pragma once
#include "config.h"
#include "types.h"

/// A function run on another CPU, with its argument.
using CallFn = void (*)(void* arg);

/// Request flags.
namespace callflag {
/// Acknowledge when the request is taken, before the function runs: for
/// functions that do not return (stop this CPU) or whose end the sender
/// need not wait for.
constexpr uint32_t ack_on_entry = 1u << 0;
}  // namespace callflag

/// Highest CPU count a CallWait can name (kernel CPU ids 0..callq_max_cpus-1).
constexpr uint32_t callq_max_cpus = COHORT_MAX_CPUS;
/// Slots per mailbox; a power of two.
constexpr uint32_t callq_capacity = 64;

/// What a sender waits on: how many targets have yet to answer, and which
/// have, so that a timeout can name the CPUs that did not. Usually on the
/// sender's stack: a target touches nothing of it after its last decrement.
struct CallWait {
    uint32_t pending;                         ///< Targets that have not answered yet.
    uint32_t answered[callq_max_cpus / 32];   ///< Bit n: CPU n has answered.
    /// Called as `wake(waiter)` by the last target to answer, so a sender that
    /// halts while it waits (wait.h) is woken; null: nobody to wake.
    void (*wake)(uint32_t cpu);
    uint32_t waiter;                          ///< The argument of `wake`: the sender's CPU.
};

/// One request: run `fn(arg)`, then acknowledge to `done` (if not null).
struct CallReq {
    CallFn fn;      ///< The function.
    void* arg;      ///< Its argument; must stay valid until the target has run it.
    CallWait* done; ///< Acknowledged after the run (or on entry); null: nobody waits.
    uint32_t flags; ///< callflag bits.
};

/// One CPU's mailbox. All fields belong to callq.cpp.
struct CallQueue {
    /// A slot and its sequence number: seq == position means free for the
    /// producer at that position; position + 1 means filled and published.
    struct Slot {
        uint32_t seq; ///< The slot's sequence number.
        CallReq req;  ///< The request, valid while published.
    };
    Slot slots[callq_capacity]; ///< The ring.
    uint32_t head;              ///< Next position producers claim.
    uint32_t tail;              ///< Next position the owner takes.
    uint32_t draining;          ///< 1 while a drain is taking a request (nesting guard).
    uint32_t cpu;               ///< Kernel id of the owning CPU, for acknowledgements.
    /// An empty mailbox of CPU @p owner, usable in static storage.
    constexpr explicit CallQueue(uint32_t owner = 0) : slots{}, head(0), tail(0), draining(0), cpu(owner) {
        for (uint32_t i = 0; i < callq_capacity; ++i) slots[i].seq = i;
    }
};

/// Empty @p q and give it to CPU @p cpu (for mailboxes not built by the constructor).
void callq_init(CallQueue& q, uint32_t cpu);

/// Post @p r to @p q. False when @p q is full (nothing posted). Safe from any
/// CPU and from interrupt handlers. The caller then sends the IPI.
bool callq_post(CallQueue& q, const CallReq& r);

/// Run every request in @p q, on its owner. Returns how many ran. Nesting is
/// safe: an interrupt that drains while a drain is running a function takes
/// the next request; one that arrives while a request is being taken leaves
/// it to the interrupted drain, which looks again before it returns.
size_t callq_drain(CallQueue& q);

/// Requests posted to @p q and not yet taken (a snapshot).
uint32_t callq_pending(const CallQueue& q);

/// Prepare @p w for @p targets acknowledgements; the last calls
/// `wake(waiter)` when @p wake is not null.
void callwait_init(CallWait& w, uint32_t targets, void (*wake)(uint32_t) = nullptr, uint32_t waiter = 0);
/// Stop counting on @p n targets of @p w that were never posted to (their
/// mailbox stayed full): they will not answer.
void callwait_forget(CallWait& w, uint32_t n);
/// True when every target of @p w has answered.
bool callwait_done(const CallWait& w);
/// True when CPU @p cpu has answered @p w.
bool callwait_answered(const CallWait& w, uint32_t cpu);

// [wait drains]
/// Wait for @p w while draining @p own (the caller's mailbox). `spin()`
/// runs between looks and returns false to give up (the kernel's checks a
/// deadline). True when all answered; on false, callwait_answered() tells
/// who did not.
template <typename Spin>
bool callq_wait(CallWait& w, CallQueue& own, Spin&& spin) {
    while (!callwait_done(w)) {
        callq_drain(own);
        if (!spin()) return callwait_done(w);
    }
    return true;
}
// [wait drains]

/// Post @p r to @p target, draining @p own while @p target is full.
/// `spin()` as for callq_wait(). True when posted.
template <typename Spin>
bool callq_post_retry(CallQueue& target, const CallReq& r, CallQueue& own, Spin&& spin) {
    while (!callq_post(target, r)) {
        callq_drain(own);
        if (!spin()) return callq_post(target, r);
    }
    return true;
}
