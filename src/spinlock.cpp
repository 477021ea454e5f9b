/// @file spinlock.cpp
/// Spinlocks with owners and a bounded spin: ticket, or test-and-set with
/// backoff under a hypervisor (spinlock_set_policy()).
#include "spinlock.h"
#include "cpu.h"
#include "panic.h"
#include "symbols.h"
#include "timer.h"
#include "x86.h"

namespace {
constexpr uint32_t NO_CPU = 0xFFFFFFFF;
uint32_t timeout_ms = 0;  // spin_timeout_ms; 0: no bound
}  // namespace

void spinlock_set_timeout_ms(uint32_t ms) { timeout_ms = ms; }

// In ticks when asked, not when set: the option is read before the TSC's
// rate is known, and the rate may still change (CPUID, the PM timer).
uint64_t spinlock_timeout_ticks() { return tsc_khz() * timeout_ms; }

bool spinlock_set_policy(SpinPolicy policy, bool hypervisor) {
    spin_tas_chosen = spin_policy_uses_tas(policy, hypervisor);
    return spin_tas_chosen;
}

bool spinlock_uses_tas() { return spin_tas_chosen; }

void SpinLock::record_owner(uintptr_t ra) {
    owner_ = cpu_number();
    owner_ra_ = ra;
    ++count_;
}

/// [spin bound]
void SpinLock::lock() {
    uintptr_t ra = (uintptr_t)__builtin_return_address(0);
    uint32_t me = cpu_number();
    if (owner_ == me)
        panic("spinlock %s: cpu %u takes it again (already taken at %p)", name_, me, (void*)owner_ra_);
    uint64_t start = 0, timeout_ticks = spinlock_timeout_ticks();
    uint32_t looks = 0;
    policy_acquire(l_, [&](uint32_t) {
        cpu_relax();
        if (!timeout_ticks || (++looks & 1023)) return;
        uint64_t now = rdtsc();
        if (!start) start = now;
        if (now - start > timeout_ticks) {
            char sym[96];
            symbolize(owner_ra_, sym, sizeof sym);
            panic("spinlock %s: cpu %u spun %llu ms; held by cpu %d, taken at %p %s", name_, me,
                  (unsigned long long)(tsc_to_ns(now - start) / 1000000),
                  owner_ == NO_CPU ? -1 : (int)owner_, (void*)owner_ra_, sym);
        }
    });
    record_owner(ra);
}
/// [spin bound]

bool SpinLock::try_lock() {
    if (!policy_try(l_)) return false;
    record_owner((uintptr_t)__builtin_return_address(0));
    return true;
}

void SpinLock::unlock() {
    if (owner_ != cpu_number())
        panic("spinlock %s: cpu %u releases it, but cpu %d holds it", name_, cpu_number(),
              owner_ == NO_CPU ? -1 : (int)owner_);
    owner_ = NO_CPU;
    policy_release(l_);
}

bool SpinLock::holding() const { return policy_locked(l_) && owner_ == cpu_number(); }

SpinGuard::SpinGuard(SpinLock& l, Runlevel level) : l_(l) {
    old_ = current_runlevel();
    if (level > old_) raise_runlevel(level);
    l_.lock();
}

SpinGuard::~SpinGuard() {
    l_.unlock();
    if (current_runlevel() != old_) lower_runlevel(old_);
}

IrqSpinGuard::IrqSpinGuard(SpinLock& l) : l_(l), flags_(read_flags()) {
    cli();
    l_.lock();
}

IrqSpinGuard::~IrqSpinGuard() {
    l_.unlock();
    write_flags(flags_);
}
