/// @file futex.h
/// A futex in miniature: sleeping on a 32-bit word of user memory, so a
/// user-space lock can block in the kernel only when it is contended
/// (docs/syscalls.md, "futex_wait and futex_wake"; user/lib/mutex.h).
///
/// The waiters are keyed by (process, address) in a small hashed table of
/// wait lists, each bucket with a lock of its own. The whole point is the
/// check under that lock: futex_wait() reads the word and queues the caller
/// while holding the bucket lock, and futex_wake() takes the same lock to
/// dequeue. A user thread changes the word and then calls futex_wake();
/// without the lock, a waiter could read the old value, the other thread
/// could store the new one and wake nobody (the waiter is not queued yet),
/// and the waiter would then sleep on a value that is already gone: the
/// lost wake-up. With it, the wake either comes before the read (and the
/// read sees the new value: -EAGAIN at once) or after the queueing (and
/// finds the waiter). This is the idea of the Linux futex(2) man page:
/// FUTEX_WAIT compares and blocks atomically with respect to FUTEX_WAKE on
/// the same word; the value is a guard against sleeping too late, and the
/// user-space protocol above it does the rest.
#pragma once
#include "types.h"

struct Process;

/// Block the calling user thread while the aligned 32-bit word at user
/// address @p addr holds @p expected, until futex_wake() on it, or for at
/// most @p timeout_ms milliseconds (0: no limit; at most 10000). 0 when
/// woken, -EAGAIN when the word held another value, -ETIMEDOUT, -EFAULT (not
/// a mapped user address), -EINVAL (misaligned, timeout too long).
long futex_wait(uintptr_t addr, uint32_t expected, uintptr_t timeout_ms);
/// Wake up to @p n (>= 1) threads of the calling process waiting on @p addr;
/// how many, or -EFAULT, -EINVAL. A wake with no waiter is not an error (0).
long futex_wake(uintptr_t addr, uintptr_t n);
/// Wake every waiter of @p p (it is being killed or is exiting: its
/// threads must not stay asleep in the kernel); how many.
uint32_t futex_wake_process(const Process* p);
/// Threads of @p p queued now (null: of every process).
uint32_t futex_waiters(const Process* p);
