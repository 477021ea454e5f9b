/// @file futex.cpp
/// The futex table (futex.h).
#include "futex.h"
#include "process.h"
#include "proc.h"
#include "spinlock.h"
#include "timer.h"
#include "usercopy.h"
#include "x86.h"
#include "../user/lib/sysnum.h"

namespace {

/// One blocked futex_wait(): on its thread's kernel stack, listed in a
/// bucket from the check to the wake-up. Whoever takes it off the list
/// (the waker, or the waiter itself on a timeout) does so under the lock.
struct Waiter {
    Thread* thread;
    const Process* proc;
    uintptr_t addr;
    Waiter* next;
    bool woken;  ///< taken off by a waker (under the bucket lock)
};

/// A hash bucket: the waiters of every (process, address) that hashes here.
struct Bucket {
    SpinLock lock{"futex"};
    Waiter* head = nullptr;
};

constexpr uint32_t BUCKETS = 64;
Bucket buckets[BUCKETS];

Bucket& bucket_of(const Process* p, uintptr_t addr) {
    uint32_t h = (uint32_t)((addr >> 2) ^ ((uintptr_t)p >> 4)) * 0x9E3779B1u;  // Fibonacci hashing
    return buckets[h >> 26];                                                  // the top 6 bits: 64 buckets
}

/// Take @p w off @p b's list (the caller holds b.lock).
void unlink(Bucket& b, Waiter* w) {
    for (Waiter** pp = &b.head; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            return;
        }
}

/// Mark the calling thread Blocked: under the bucket lock, so that a waker
/// that comes right after the lock is released finds it Blocked (see WaitQueue::wait()).
void mark_blocked() {
    Thread* me = current_thread();
    me->tlock.lock();
    me->state = ThreadState::Blocked;
    me->tlock.unlock();
}

/// Wake up to @p n waiters of @p p in @p b on @p addr (0: on any address).
uint32_t wake(Bucket& b, const Process* p, uintptr_t addr, uintptr_t n) {
    uint32_t woken = 0;
    IrqSpinGuard g(b.lock);
    for (Waiter** pp = &b.head; *pp && woken < n;) {
        Waiter* w = *pp;
        if (w->proc != p || (addr && w->addr != addr)) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;  // off the list first: once woken it may return, and its frame is gone
        w->woken = true;
        thread_wake(w->thread);  // may still be on its way into sched_block(): thread_wake() copes
        ++woken;
    }
    return woken;
}

long check_addr(uintptr_t addr) {
    if (addr & 3) return -EINVAL;
    if (!user_range_ok(addr, 4)) return -EFAULT;
    return 0;
}

}  // namespace

/// [futex_wait]
long futex_wait(uintptr_t addr, uint32_t expected, uintptr_t timeout_ms) {
    if (long e = check_addr(addr)) return e;
    if (timeout_ms > 10000) return -EINVAL;
    Process* p = process_current();
    uint64_t deadline = timeout_ms ? now_ns() + (uint64_t)timeout_ms * 1000000 : 0;
    Bucket& b = bucket_of(p, addr);
    Waiter w{current_thread(), p, addr, nullptr, false};
    // The bucket lock with interrupts off, by hand rather than by a guard:
    // it is dropped and taken again around each sched_block().
    uintptr_t f = read_flags();
    cli();
    b.lock.lock();
    auto leave = [&](long r) {
        b.lock.unlock();
        write_flags(f);
        return r;
    };
    // The check under the bucket lock: a futex_wake() of this word takes the
    // same lock, so it comes either before this read (which then sees the
    // new value) or after the queueing below (and finds us).
    uint32_t now;
    if (long e = process_load_u32(addr, &now)) return leave(e);
    if (now != expected) return leave(-EAGAIN);
    if (p->killed) return leave(0);  // futex_wake_process() ran already: do not sleep past it
    w.next = b.head;
    b.head = &w;
    for (;;) {
        mark_blocked();
        if (deadline) sleep_arm(deadline);  // after Blocked: a deadline already past still wakes us
        b.lock.unlock();
        write_flags(f);
        sched_block();
        if (deadline) sleep_disarm();
        cli();
        b.lock.lock();
        if (w.woken) return leave(0);
        // Killed (futex_wake_process() takes every waiter off, so this is
        // rare) or timed out: the waiter leaves the list itself, under the
        // lock, so no waker can still hold a pointer to this stack frame.
        if (p->killed) {
            unlink(b, &w);
            return leave(0);
        }
        if (deadline && now_ns() >= deadline) {
            unlink(b, &w);
            return leave(-ETIMEDOUT);
        }
        // Woken for nothing: still listed, block again.
    }
}
/// [futex_wait]

long futex_wake(uintptr_t addr, uintptr_t n) {
    if (long e = check_addr(addr)) return e;
    if (n == 0 || n > (uintptr_t)0x7fffffff) return -EINVAL;
    Process* p = process_current();
    return wake(bucket_of(p, addr), p, addr, n);
}

uint32_t futex_wake_process(const Process* p) {
    uint32_t woken = 0;
    for (Bucket& b : buckets) woken += wake(b, p, 0, ~(uintptr_t)0);
    return woken;
}

uint32_t futex_waiters(const Process* p) {
    uint32_t n = 0;
    for (Bucket& b : buckets) {
        IrqSpinGuard g(b.lock);
        for (Waiter* w = b.head; w; w = w->next) n += !p || w->proc == p;
    }
    return n;
}
