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

/// Bounded exponential backoff for a test-and-set waiter: the n-th call runs
/// `relax()` min(2^n, @p cap) times. Under a hypervisor a waiter that backs off
/// leaves the lock's cache line (and, under TCG, host time) to the vCPU that
/// holds it; the cap keeps a waiter from sleeping through many releases.
struct Backoff {
    uint32_t delay = 1; ///< relax() calls of the next round.
    uint32_t cap;       ///< Most relax() calls in one round.
    /// Backoff starting at 1 and doubling up to @p most.
    constexpr explicit Backoff(uint32_t most) : cap(most ? most : 1) {}
    /// One round: `relax()` `delay` times, then double `delay` up to `cap`.
    template <typename Relax>
    void operator()(Relax&& relax) {
        for (uint32_t i = 0; i < delay; ++i) relax();
        delay = delay > cap / 2 ? cap : delay * 2;
    }
};

/// How a kernel spinlock makes its waiters wait (the boot option `spinlock=`).
enum class SpinPolicy : uint8_t {
    Auto,   ///< Ticket on bare metal; test-and-set under a hypervisor (CPUID.1:ECX[31]).
    Ticket, ///< Always the fair ticket lock.
    Tas,    ///< Always test-and-set with exponential backoff.
};

/// The lock a @p policy picks on a CPU that @p hypervisor says runs under a
/// hypervisor: true means test-and-set. Linux's virt_spin_lock() makes the
/// same choice: a FIFO lock stalls when the next waiter's vCPU has no host
/// core (lock-waiter preemption); with test-and-set any running waiter wins.
constexpr bool spin_policy_uses_tas(SpinPolicy policy, bool hypervisor) {
    return policy == SpinPolicy::Tas || (policy == SpinPolicy::Auto && hypervisor);
}

/// The policy every PolicyLock follows: true for test-and-set. The kernel
/// sets it once, on the boot CPU before the APs start (spinlock_set_policy());
/// host tests set it to try both kinds.
inline bool spin_tas_chosen = false;

/// Most `spin()` calls between two looks of a test-and-set waiter that backs off.
constexpr uint32_t spin_backoff_cap = 256;

/// A lock that is a ticket lock or a test-and-set lock, as `spin_tas_chosen`
/// said when it was taken. It remembers which, so that a release always
/// matches its acquisition. All zero is unlocked.
struct PolicyLock {
    TicketLock ticket; ///< Used while the policy is ticket.
    TasLock tas;       ///< Used while the policy is test-and-set.
    uint32_t by_tas;   ///< The holder took `tas` (written by the holder only).
    /// An unlocked lock.
    constexpr PolicyLock() : by_tas(0) {}
};

/// Acquire @p l by the policy, calling `spin(ahead)` between looks (ticket)
/// or min(2^n, spin_backoff_cap) times in the n-th round (test-and-set).
template <typename Spin>
void policy_acquire(PolicyLock& l, Spin&& spin) {
    bool tas = spin_tas_chosen;
    if (tas) {
        Backoff backoff(spin_backoff_cap);
        tas_acquire(l.tas, [&](uint32_t) { backoff([&] { spin(1u); }); });
    } else {
        ticket_acquire(l.ticket, spin);
    }
    l.by_tas = tas;
}

/// Acquire @p l by the policy if it is free. True on success.
inline bool policy_try(PolicyLock& l) {
    bool tas = spin_tas_chosen;
    if (!(tas ? tas_try(l.tas) : ticket_try(l.ticket))) return false;
    l.by_tas = tas;
    return true;
}

/// Release @p l (the caller holds it), the way it was taken.
inline void policy_release(PolicyLock& l) {
    if (l.by_tas) tas_release(l.tas);
    else ticket_release(l.ticket);
}

/// True when @p l is held (a snapshot).
inline bool policy_locked(const PolicyLock& l) { return ticket_locked(l.ticket) || tas_locked(l.tas); }
