// A user-space mutex and condition variable on futex_wait/futex_wake
// (docs/syscalls.md). The uncontended lock and unlock are one atomic
// instruction each and never enter the kernel; only a thread that must wait,
// and an unlock that knows someone waits, make a system call.
#pragma once
#include "syscall.h"

namespace sys {

/// Three states in one 32-bit word: 0 free, 1 locked, 2 locked and maybe
/// waited for. The third state is what lets unlock() skip futex_wake() when
/// nobody can be asleep. (The design of Drepper's "Futexes Are Tricky", mutex 2.)
class Mutex {
public:
    void lock() {
        unsigned c = 0;
        if (__atomic_compare_exchange_n(&word_, &c, 1u, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
        // Contended: say there are waiters (2) before sleeping, so the
        // holder's unlock() wakes one. The exchange also takes a lock that
        // became free meanwhile (it returned 0), in state 2: at worst one
        // futex_wake() too many later, never one too few.
        if (c != 2) c = __atomic_exchange_n(&word_, 2u, __ATOMIC_ACQUIRE);
        while (c != 0) {
            // Sleeps only if the word is still 2 when the kernel looks,
            // under its bucket lock: an unlock() in between makes it return at once.
            futex_wait(&word_, 2);
            c = __atomic_exchange_n(&word_, 2u, __ATOMIC_ACQUIRE);
        }
    }
    void unlock() {
        // 1 -> 0: nobody waits. 2 -> 0: someone may sleep; wake one.
        if (__atomic_exchange_n(&word_, 0u, __ATOMIC_RELEASE) == 2) futex_wake(&word_, 1);
    }
    /// The word itself (for tests).
    unsigned state() const { return __atomic_load_n(&word_, __ATOMIC_RELAXED); }

private:
    volatile unsigned word_ = 0;
};

/// A condition variable: a sequence number that every signal bumps. A waiter
/// reads it while holding the mutex, releases the mutex and sleeps only if
/// it is unchanged, so a signal between the release and the sleep is not lost.
class Cond {
public:
    void wait(Mutex& m) {
        unsigned s = __atomic_load_n(&seq_, __ATOMIC_RELAXED);
        m.unlock();
        futex_wait(&seq_, s);
        m.lock();
    }
    void signal() {
        __atomic_fetch_add(&seq_, 1u, __ATOMIC_RELEASE);
        futex_wake(&seq_, 1);
    }
    void broadcast() {
        __atomic_fetch_add(&seq_, 1u, __ATOMIC_RELEASE);
        futex_wake(&seq_, 0x7fffffff);
    }

private:
    volatile unsigned seq_ = 0;
};

}  // namespace sys
