/// @file lab04_tests.cpp
/// A fixed IPI that the boot CPU sends itself through the ICR: lapic_send()
/// seen end to end without a second CPU.
#include "apicregs.h"
#include "cpu.h"
#include "ktest.h"
#include "lapic.h"
#include "runlevel.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

namespace {
volatile uint32_t by_shorthand = 0, by_id = 0;

void on_shorthand(TrapFrame*) { by_shorthand = by_shorthand + 1; lapic_eoi(); }
void on_id(TrapFrame*) { by_id = by_id + 1; lapic_eoi(); }

/// Interrupts on until @p n IPIs arrived on @p counter or @p ms passed.
void wait_for(volatile uint32_t& counter, uint32_t n, uint64_t ms) {
    uint64_t end = now_ns() + ms * 1000000;
    sti();
    while (counter < n && now_ns() < end) cpu_relax();
    cli();
}
}  // namespace

/// First an IPI by the "self" shorthand whose destination field holds another
/// id (ignored with a shorthand, but left in the ICR's high half), then one
/// to this CPU's own APIC id with no shorthand. In xAPIC mode the second IPI
/// reaches this CPU only if its destination is written before the low half
/// that sends it; in x2APIC mode the ICR is one MSR.
KTEST(selfipi, 14, "fixed IPIs through the ICR to this CPU: by shorthand, then by its own APIC id") {
    by_shorthand = 0;
    by_id = 0;
    trap_set_handler(vec::test, on_shorthand);
    trap_set_handler(vec::test2, on_id);
    uint32_t self = lapic_id();
    bool sent1 = lapic_send(Icr::fixed(0x0F, vec::test).shorthand(Shorthand::Self));
    wait_for(by_shorthand, 1, 20);
    bool sent2 = lapic_send(Icr::fixed(self, vec::test2));
    wait_for(by_id, 1, 20);
    wait_for(by_id, 2, 5);  // and no second arrival
    trap_set_handler(vec::test, nullptr);
    trap_set_handler(vec::test2, nullptr);
    ktest_detail("%s, apic %u: by shorthand %s %u, by id %s %u", apic_mode_name(this_cpu()->apic_mode), self,
                 sent1 ? "sent" : "refused", by_shorthand, sent2 ? "sent" : "refused", by_id);
    return sent1 && sent2 && by_shorthand == 1 && by_id == 1;
}
