/// @file spinlock.h
/// The kernel's spinlock: a fair ticket lock (spinlock_core.h) with a name, the
/// owner's CPU and return address, and a bounded spin.
///
/// Under a hypervisor (and by `spinlock=tas`) every SpinLock is a test-and-set
/// lock with exponential backoff instead: when vCPUs outnumber host cores, the
/// ticket lock's next waiter may have no host core, and then nobody can take
/// the lock (docs/logging.md has the figures). `spinlock=ticket` keeps FIFO.
///
/// Spinning longer than `spin_timeout_ms=` (default 1 s) is a bug: the waiter
/// panics with the lock's name, the owner's CPU id and the address it took
/// the lock from. Taking a lock this CPU already holds is reported at once.
#pragma once
#include "runlevel.h"
#include "spinlock_core.h"
#include "types.h"

/// A named ticket spinlock. Use it through SpinGuard or IrqSpinGuard.
class SpinLock {
public:
    /// An unlocked lock called @p name (shown in reports). No static constructor runs.
    constexpr explicit SpinLock(const char* name) : name_(name) {}
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;

    /// Acquire, spinning with `pause`. The caller has raised the runlevel or
    /// disabled interrupts as the lock requires (the guards do it).
    void lock();
    /// Acquire only if free. True on success.
    bool try_lock();
    /// Release (the caller must hold it).
    void unlock();
    /// True when the calling CPU holds the lock.
    bool holding() const;
    /// The lock's name.
    const char* name() const { return name_; }
    /// How many times the lock was acquired.
    uint64_t acquisitions() const { return count_; }

private:
    void record_owner(uintptr_t ra);
    PolicyLock l_;
    const char* name_;
    volatile uint32_t owner_ = 0xFFFFFFFF;  // kernel id of the holder
    uintptr_t owner_ra_ = 0;                // where the holder took it
    uint64_t count_ = 0;
};

/// Holds a SpinLock for a scope at runlevel >= @p level (Dispatch by default:
/// no reschedule IPI and no preemption while the lock is held).
class [[nodiscard]] SpinGuard {
public:
    /// Raise the runlevel, then lock @p l.
    explicit SpinGuard(SpinLock& l, Runlevel level = Runlevel::Dispatch);
    /// Unlock, then restore the runlevel.
    ~SpinGuard();
    SpinGuard(const SpinGuard&) = delete;
    SpinGuard& operator=(const SpinGuard&) = delete;

private:
    SpinLock& l_;
    Runlevel old_;
};

/// Holds a SpinLock for a scope with interrupts off: for locks that interrupt
/// handlers take too (a handler spinning on a lock its own CPU holds would
/// never return).
class [[nodiscard]] IrqSpinGuard {
public:
    /// Save the interrupt flag, disable interrupts, lock @p l.
    explicit IrqSpinGuard(SpinLock& l);
    /// Unlock and restore the interrupt flag.
    ~IrqSpinGuard();
    IrqSpinGuard(const IrqSpinGuard&) = delete;
    IrqSpinGuard& operator=(const IrqSpinGuard&) = delete;

private:
    SpinLock& l_;
    uintptr_t flags_;
};

/// Set the spin bound (milliseconds); it counts once the TSC is calibrated.
void spinlock_set_timeout_ms(uint32_t ms);

/// The bound of one spinlock wait in TSC ticks (spin_timeout_ms), 0 before
/// the TSC is calibrated. Locks outside SpinLock (the run queues) use it too.
uint64_t spinlock_timeout_ticks();

/// Choose the lock every SpinLock uses from now on: @p policy, with
/// @p hypervisor (CPUID.1:ECX[31] of the boot CPU) deciding `auto`. Call it on
/// the boot CPU before the APs start, while no SpinLock is held (a lock taken
/// as ticket is still released as ticket, but two CPUs must never take one
/// lock by different policies). Returns true when test-and-set was chosen.
bool spinlock_set_policy(SpinPolicy policy, bool hypervisor);

/// True when SpinLocks are test-and-set locks (spinlock_set_policy()).
bool spinlock_uses_tas();
