/// @file wait.h
/// Waiting for another CPU: look a few times, then halt until an interrupt
/// says there may be news, until a deadline.
///
/// Under TCG each vCPU is a host thread, and `pause` does not give its host
/// core away (PITFALLS). A CPU that spins while it waits for another takes
/// host time from the very CPU it waits for whenever vCPUs outnumber host
/// cores. `hlt` does give it away: QEMU puts a halted vCPU's thread to sleep.
///
/// So a Waiter spins briefly (an answer often comes within microseconds), then
/// halts. Two things wake it: the CPU that answers calls wait_wake() (an IPI,
/// sent only when the waiter is asleep), and a LAPIC one-shot armed for at
/// most `wait_bound_us`, so the deadline is checked even when no answer
/// comes. With interrupts off, at a runlevel that holds back the timer, or
/// while a self-test owns the LAPIC timer, a Waiter only spins with `pause`:
/// no interrupt could end its `hlt`.
#pragma once
#include "types.h"
#include "x86.h"

/// Longest halt between two looks, in microseconds: how late a deadline may
/// be noticed, and how long a wake-up lost to a missing wait_wake() can cost.
constexpr uint32_t wait_bound_us = 1000;

/// Whether this CPU may halt while it waits (interrupts on, the timer and the
/// wake-up IPI not held back by the runlevel, the timer not lent to a test).
bool wait_may_halt();

/// Halt once, for at most @p bound_us and not past @p deadline, unless
/// `news()` (looked at with interrupts off, after this CPU said it sleeps)
/// is already true. The caller checked wait_may_halt(). A waiter sure to be
/// woken by wait_wake() may pass a longer bound: every bound is a timer
/// interrupt, which under TCG takes QEMU's global lock.
template <typename News>
void wait_halt(uint64_t deadline, News&& news, uint32_t bound_us = wait_bound_us);

/// Wake CPU @p cpu if it is halted in a Waiter: call it after making the news
/// it waits for visible. Cheap when @p cpu is not asleep (no IPI is sent).
void wait_wake(uint32_t cpu);

/// Spin-then-halt waiting, with a deadline (a TSC value).
///
///     Waiter w(deadline);
///     while (!answered()) if (!w.pause([&] { return answered(); })) return report_timeout();
class Waiter {
public:
    /// Looks with `pause` before the first halt.
    static constexpr uint32_t spin_looks = 200;
    /// A wait that gives up at TSC value @p deadline.
    explicit Waiter(uint64_t deadline) : deadline_(deadline) {}
    /// Between two looks at the condition; @p news is the condition itself.
    /// False once the deadline has passed.
    template <typename News>
    bool pause(News&& news) {
        if (rdtsc() >= deadline_) return false;
        if (looks_ < spin_looks) {
            ++looks_;
            cpu_relax();
        } else if (wait_may_halt()) {
            wait_halt(deadline_, news);
        } else {
            cpu_relax();  // interrupts off: nothing could wake a hlt
        }
        return true;
    }

private:
    uint64_t deadline_;
    uint32_t looks_ = 0;
};

/// @cond internal
void wait_announce();
void wait_retire();
void wait_arm(uint64_t deadline, uint32_t bound_us);

template <typename News>
void wait_halt(uint64_t deadline, News&& news, uint32_t bound_us) {
    uintptr_t f = read_flags();
    cli();
    wait_announce();  // from here a wait_wake() sends the IPI
    if (!news()) {
        wait_arm(deadline, bound_us);
        sti_hlt();  // sti's shadow: an IPI pending since the look still ends this hlt
        cli();
    }
    wait_retire();
    write_flags(f);
}
/// @endcond
