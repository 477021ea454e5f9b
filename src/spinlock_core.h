/// @file spinlock_core.h
/// The portable heart of the kernel's spinlocks: a ticket lock and, for
/// comparison, a test-and-set lock, built on the compiler's __atomic builtins.
///
/// Neither knows about CPUs, runlevels or time. What a waiter does between two
/// looks at the lock is the caller's `spin` callable, invoked as
/// `spin(ahead)` with the number of holders and waiters still in front: the
/// kernel's executes `pause` and panics when the wait has lasted too long
/// (spinlock.cpp adds names, owners and the runlevel guard); the host tests'
/// yields the thread, since a test thread may stand in for a CPU that the host
/// has descheduled.
#pragma once
#include "types.h"

/// A fair FIFO spinlock (Mellor-Crummey and Scott's ticket lock): each
/// acquirer takes the next ticket and waits until `owner` reaches it, so the
/// lock is granted strictly in the order the tickets were taken.
/// All zero is unlocked, so a lock in static storage needs no constructor call.
struct TicketLock {
    uint32_t next;  ///< The ticket the next acquirer will take.
    uint32_t owner; ///< The ticket being served: the holder's.
    /// An unlocked lock.
    constexpr TicketLock() : next(0), owner(0) {}
};

/// Take a ticket from @p l. The caller must then wait for it (ticket_wait());
/// a ticket cannot be given back, or every later waiter would hang.
inline uint32_t ticket_take(TicketLock& l) { return __atomic_fetch_add(&l.next, 1, __ATOMIC_RELAXED); }

/// How many tickets are served before @p ticket: 0 means @p ticket holds @p l.
/// The acquire load pairs with ticket_release(): the previous holder's writes
/// are visible once this returns 0.
inline uint32_t ticket_ahead(const TicketLock& l, uint32_t ticket) {
    return ticket - __atomic_load_n(&l.owner, __ATOMIC_ACQUIRE);
}

/// Wait until @p ticket is served, calling `spin(ahead)` between looks.
template <typename Spin>
void ticket_wait(const TicketLock& l, uint32_t ticket, Spin&& spin) {
    for (uint32_t ahead; (ahead = ticket_ahead(l, ticket)) != 0;) spin(ahead);
}

/// Acquire @p l: take a ticket and wait for it. Returns the ticket.
template <typename Spin>
uint32_t ticket_acquire(TicketLock& l, Spin&& spin) {
    uint32_t t = ticket_take(l);
    ticket_wait(l, t, spin);
    return t;
}

/// Acquire @p l only if nobody holds or waits for it. True on success.
inline bool ticket_try(TicketLock& l) {
    uint32_t served = __atomic_load_n(&l.owner, __ATOMIC_ACQUIRE);
    uint32_t expect = served;
    return __atomic_compare_exchange_n(&l.next, &expect, served + 1, false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

/// Release @p l (the caller holds it): serve the next ticket. Only the holder
/// writes `owner`, so a plain increment published with release order is enough.
inline void ticket_release(TicketLock& l) {
    __atomic_store_n(&l.owner, __atomic_load_n(&l.owner, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

/// True when @p l is held (a snapshot, for assertions and reports).
inline bool ticket_locked(const TicketLock& l) {
    return __atomic_load_n(&l.next, __ATOMIC_RELAXED) != __atomic_load_n(&l.owner, __ATOMIC_RELAXED);
}

/// A test-and-set spinlock (test-and-test-and-set while waiting). Unfair: any
/// waiter may win each release, so a CPU can starve. Kept beside the ticket
/// lock so the fairness benchmark can show the difference.
struct TasLock {
    uint32_t held; ///< 1 while held.
    /// An unlocked lock.
    constexpr TasLock() : held(0) {}
};

/// Acquire @p l if it is free. True on success.
inline bool tas_try(TasLock& l) { return __atomic_exchange_n(&l.held, 1u, __ATOMIC_ACQUIRE) == 0; }

/// Acquire @p l, calling `spin(1)` between looks. Waiters only read until the
/// lock looks free, so they do not bounce its cache line with writes.
template <typename Spin>
void tas_acquire(TasLock& l, Spin&& spin) {
    while (!tas_try(l)) {
        do spin(1u);
        while (__atomic_load_n(&l.held, __ATOMIC_RELAXED));
    }
}

/// Release @p l (the caller holds it).
inline void tas_release(TasLock& l) { __atomic_store_n(&l.held, 0u, __ATOMIC_RELEASE); }

/// True when @p l is held (a snapshot).
inline bool tas_locked(const TasLock& l) { return __atomic_load_n(&l.held, __ATOMIC_RELAXED) != 0; }
