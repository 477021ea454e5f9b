/// @file runlevel.cpp
/// The generic runlevel operations; the hardware write is in src/arch/.
#include "runlevel.h"
#include "cpu.h"
#include "panic.h"
#include "x86.h"

void (*runlevel_resched_hook)() = nullptr;

Runlevel current_runlevel() { return (Runlevel)this_cpu()->runlevel; }

/// [raise]
Runlevel raise_runlevel(Runlevel level) {
    uintptr_t f = read_flags();
    cli();  // the level and the CPU it belongs to must not change under us
    Cpu* c = this_cpu();
    Runlevel old = (Runlevel)c->runlevel;
    if (level < old) panic("raise_runlevel(%u) below the current level %u", (unsigned)level, (unsigned)old);
    c->runlevel = (uint8_t)level;
    arch_write_runlevel(*c, level);
    write_flags(f);
    return old;
}
/// [raise]

void lower_runlevel(Runlevel old) {
    uintptr_t f = read_flags();
    cli();
    Cpu* c = this_cpu();
    if (old > (Runlevel)c->runlevel)
        panic("lower_runlevel(%u) above the current level %u", (unsigned)old, (unsigned)c->runlevel);
    c->runlevel = (uint8_t)old;
    arch_write_runlevel(*c, old);  // a held-back interrupt is delivered once IF allows
    write_flags(f);
    // A preemption that had to wait for this level happens now, but never
    // inside an interrupt handler (IF off): it may not have sent its EOI yet.
    if (old < Runlevel::Dispatch && c->need_resched && (f & FLAGS_IF) && runlevel_resched_hook)
        runlevel_resched_hook();
}

RunlevelGuard::RunlevelGuard(Runlevel level) {
    Runlevel cur = current_runlevel();
    old_ = cur;
    if (level > cur) raise_runlevel(level);
}

RunlevelGuard::~RunlevelGuard() {
    if (current_runlevel() != old_) lower_runlevel(old_);
}
