/// @file sync.h
/// Sleeping synchronisation built on the scheduler: wait queues, a mutex and a
/// counting semaphore. A waiter checks its condition and blocks under the wait
/// queue's lock, and a waker wakes under the same lock, so no wake-up is lost
/// between "the condition is false" and "asleep" (the classic lost wake-up).
#pragma once
#include "proc.h"
#include "spinlock.h"

/// Threads waiting for a condition.
struct WaitQueue {
    SpinLock lock{"waitq"};      ///< protects the list; taken with interrupts off
    Thread* waiters[64] = {};    ///< blocked threads (bounded: the kernel's threads are few)
    uint32_t count = 0;          ///< entries in @ref waiters

    /// Block until @p cond(@p ctx) is true. The condition is checked under the lock.
    void wait(bool (*cond)(void*), void* ctx);
    /// Wake every waiter (they re-check their conditions).
    void wake_all();
    /// Wake one waiter, if any.
    void wake_one();
    /// Set @p *flag and wake every waiter in one critical section: once this
    /// returns nothing touches the queue any more, so a waiter that saw the
    /// flag may free the queue (thread_join() does).
    void set_and_wake_all(volatile bool* flag);
};

/// A sleeping mutex: a contended lock blocks instead of spinning.
class Mutex {
public:
    /// Acquire (may sleep: not from interrupt handlers or with a spinlock held).
    void lock();
    /// Release and wake a waiter.
    void unlock();
    /// True when the calling thread holds it.
    bool held_by_me() const;

private:
    WaitQueue wq_;
    Thread* volatile owner_ = nullptr;
};

/// A counting semaphore.
class Semaphore {
public:
    /// A semaphore holding @p n units.
    explicit Semaphore(uint32_t n = 0) : count_(n) {}
    /// Take one unit, sleeping while there is none.
    void down();
    /// Give one unit back and wake a waiter.
    void up();
    /// Units available now (a snapshot).
    uint32_t value() const { return count_; }

private:
    WaitQueue wq_;
    volatile uint32_t count_;
};
