/// @file sci_tests.cpp
/// The ACPI SCI end to end: a level-triggered ISA interrupt whose polarity
/// and trigger come from an interrupt source override (docs/lapic.md).
///
/// The event is one the kernel can cause by waiting: the PM timer's overflow
/// (ACPI 6.5 Table 4.11, TMR_STS), set each time the top bit of its 24-bit
/// counter changes, every 2^23 ticks of 3.579545 MHz = 2.34 s. While TMR_STS
/// and TMR_EN are both set the chipset holds the SCI line asserted (QEMU
/// hw/acpi: the line is sts & en), so the handler must clear TMR_STS before
/// its EOI: a level-triggered entry re-delivers an input still asserted when
/// the EOI clears its Remote IRR (82093AA 3.2.4).
#include "cpu.h"
#include "cpumask.h"
#include "cputable.h"
#include "discover.h"
#include "fadt.h"
#include "ioapic.h"
#include "ktest.h"
#include "lapic.h"
#include "log.h"
#include "proc.h"
#include "runlevel.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

namespace {
constexpr uint32_t kEvents = 2;               // overflows to wait for
constexpr uint32_t kMaxIrqs = 16;             // a storm is cut off (the entry masked) here
constexpr uint32_t kPeriodTicks = 1u << 23;   // TMR_STS period of a 24-bit counter
constexpr uint64_t kPeriodMs = 2344;          // 2^23 / 3.579545 MHz, rounded up
constexpr uint64_t kEnableWaitMs = 3000;      // for SCI_EN after ACPI_ENABLE (ACPICA waits 3 s too)
constexpr uint64_t kSettleMs = 300;           // after the last event: a second interrupt would show here

/// What the handler saw, one record per interrupt.
struct Seen {
    uint32_t pm;       ///< PM timer at entry.
    uint16_t sts;      ///< PM1 status at entry.
    bool remote_irr;   ///< The RTE's Remote IRR, before the EOI.
    bool lapic_tmr;    ///< The local APIC accepted the vector as level triggered (SDM 10.8.4).
};
Seen seen[kMaxIrqs];
uint32_t nirq;         // written by the handler's CPU only, read with acquire
uint16_t sts_port;
uint32_t sci_irq;
uint8_t sci_vector;

void on_sci(TrapFrame*) {
    uint32_t n = nirq;
    Seen s{};
    s.pm = pm_timer_read();
    s.sts = inw(sts_port);
    RedirEntry e;
    s.remote_irr = ioapic_entry_of_irq(sci_irq, &e) && e.remote_irr();
    s.lapic_tmr = lapic_read(lapic_vector_reg(LapicReg::TmrBase, sci_vector)) & lapic_vector_bit(sci_vector);
    // Write 1 to clear (ACPI 6.5 Table 4.11); the line drops with it. Only then
    // the EOI, which clears Remote IRR and lets the IOAPIC sample the line anew.
    outw(sts_port, s.sts & pm1::tmr);
    if (n < kMaxIrqs) seen[n] = s;
    if (n + 1 == kMaxIrqs) ioapic_mask(sci_irq);  // a storm: stop it so the test can say so
    __atomic_store_n(&nirq, n + 1, __ATOMIC_RELEASE);
    lapic_eoi();
}

/// Wait until @p n interrupts were taken or @p ms passed, sleeping between
/// looks: a spinning vCPU would take a host core from the one that handles
/// the SCI.
void wait_irqs(uint32_t n, uint64_t ms) {
    uint64_t end = now_ns() + ms * 1000000ull;
    while (__atomic_load_n(&nirq, __ATOMIC_ACQUIRE) < n && now_ns() < end) sleep_ms(5);
}

/// ACPI mode (ACPI 6.5 4.8, "Legacy/ACPI Select and the SCI Interrupt"; Table
/// 5.9, SMI_CMD and ACPI_ENABLE): with SCI_EN clear the events go to SMM
/// firmware; writing ACPI_ENABLE to SMI_CMD asks it to hand them over, and
/// SCI_EN says when it has. False (with the reason) when it does not happen.
bool enter_acpi_mode(const FadtInfo& f) {
    if (inw(f.pm1a_cnt) & pm1::sci_en) {
        ktest_detail("ACPI mode already on;");
        return true;
    }
    if (f.smi_cmd == 0 || f.acpi_enable == 0) {
        ktest_detail("SCI_EN is clear and the FADT gives no SMI_CMD/ACPI_ENABLE to set it;");
        return false;
    }
    uint64_t t0 = now_ns(), end = t0 + kEnableWaitMs * 1000000ull;
    outb(f.smi_cmd, f.acpi_enable);
    while (!(inw(f.pm1a_cnt) & pm1::sci_en)) {
        if (now_ns() > end) {
            ktest_detail("SCI_EN (PM1a_CNT 0x%x bit 0) still clear %llu ms after writing ACPI_ENABLE 0x%x to "
                         "SMI_CMD 0x%x;", f.pm1a_cnt, (unsigned long long)kEnableWaitMs, f.acpi_enable, f.smi_cmd);
            return false;
        }
        cpu_relax();
    }
    ktest_detail("ACPI mode entered in %llu us;", (unsigned long long)((now_ns() - t0) / 1000));
    return true;
}

/// The mode the firmware tables give the SCI: its override's flags over the
/// SCI's own default (level, active low; ACPI 6.5 5.2.9).
InputMode table_mode(uint32_t irq, uint16_t* flags) {
    for (uint32_t i = 0; i < cpu_table.noverrides; ++i)
        if (cpu_table.overrides[i].irq == irq) return inti_mode(*flags = cpu_table.overrides[i].flags, sci_input);
    *flags = 0;
    return sci_input;
}

const char* polarity(InputMode m) { return m.active_low ? "active-low" : "active-high"; }
const char* trigger(InputMode m) { return m.level ? "level" : "edge"; }

/// The verdict on what the handler saw; every finding goes into the detail.
bool judge(uint32_t n) {
    bool ok = n == kEvents;
    if (n != kEvents)
        ktest_detail("%u interrupts for %u events%s;", n, kEvents, n >= kMaxIrqs ? " (a storm: entry masked)" : "");
    uint32_t no_sts = 0, no_irr = 0, no_tmr = 0;
    for (uint32_t i = 0; i < n && i < kMaxIrqs; ++i) {
        no_sts += !(seen[i].sts & pm1::tmr);
        no_irr += !seen[i].remote_irr;
        no_tmr += !seen[i].lapic_tmr;
    }
    if (no_sts) ktest_detail("%u without TMR_STS;", no_sts);
    if (no_irr) ktest_detail("%u without Remote IRR;", no_irr);
    if (no_tmr) ktest_detail("%u not level in the local APIC's TMR;", no_tmr);
    ok = ok && !no_sts && !no_irr && !no_tmr;
    // One interrupt per toggle of the counter's top bit: consecutive
    // interrupts see it different, and about one period apart. Half a period
    // either way is left to the handler's latency, which a busy host can make
    // 200 ms (4 vCPUs on 2 cores); a second interrupt for the same event
    // comes within a millisecond.
    for (uint32_t i = 1; i < n && i < kMaxIrqs; ++i) {
        uint32_t d = pm_timer_delta(seen[i - 1].pm, seen[i].pm, false);
        bool toggled = ((seen[i - 1].pm ^ seen[i].pm) & kPeriodTicks) != 0;
        if (!toggled || d < kPeriodTicks / 2 || d > kPeriodTicks + kPeriodTicks / 2) {
            ktest_detail("interrupts %u and %u %u PM ticks apart, not ~%u;", i - 1, i, d, kPeriodTicks);
            ok = false;
        }
    }
    if (ok && n >= 2)
        ktest_detail("%u events, %u interrupts, remote IRR seen, %llu ms apart", kEvents, n,
                     (unsigned long long)(pm_timer_delta(seen[0].pm, seen[1].pm, false) * 1000ull / pm_timer_hz));
    return ok;
}
}  // namespace

/// Not in `test=all`: it takes two PM timer periods (up to 4.7 s) and needs
/// a FADT, which `acpi=off` machines lack.
KTEST(sci, -2, "the ACPI SCI through its override: level triggered, Remote IRR set, one interrupt per PM timer overflow") {
    const FadtInfo& f = discovered_fadt();
    if (!f.found) {
        ktest_detail("not applicable: no FADT (acpi=off, or the firmware has none), so no SCI");
        return false;
    }
    if (!f.sci) {
        ktest_detail("not applicable: %s", f.hw_reduced ? "hardware-reduced ACPI has no fixed events"
                                                         : "the FADT's SCI blocks are unusable (warned at boot)");
        return false;
    }
    if (!pm_timer_present() || pm_timer_wide()) {
        ktest_detail("not applicable: %s", pm_timer_present() ? "a 32-bit PM timer overflows every 10 min"
                                                              : "no PM timer to raise TMR_STS");
        return false;
    }
    sci_irq = f.sci_irq;
    uint32_t gsi = ioapic_gsi_of_irq(sci_irq);
    if (!vec::irq_fits(gsi)) {
        ktest_detail("gsi %u has no vector", gsi);
        return false;
    }
    uint16_t flags = 0;
    InputMode want = table_mode(sci_irq, &flags);
    if (!want.level) {
        ktest_detail("the tables make the SCI edge-triggered (flags 0x%x): Remote IRR would mean nothing", flags);
        return false;
    }
    if (!enter_acpi_mode(f)) return false;

    // Only TMR_EN during the test, so TMR_STS is the only PM1 reason to
    // assert the SCI; the status half first, the enable half after it.
    sts_port = f.pm1a_evt;
    uint16_t en_port = (uint16_t)(f.pm1a_evt + f.pm1_evt_len / 2), en_old = inw(en_port);
    outw(en_port, 0);
    outw(sts_port, pm1::tmr);
    uint32_t cpu = 0;
    for_each_cpu(k, cpu_online_mask) cpu = k;  // the last online CPU takes it
    sci_vector = vec::irq(gsi);
    nirq = 0;
    trap_set_handler(sci_vector, on_sci);
    bool ok = ioapic_route(sci_irq, sci_vector, cpu, sci_input);
    RedirEntry e;
    ok = ok && ioapic_entry_of_irq(sci_irq, &e);
    InputMode got = e.input();
    log_info("ktest: sci: irq %u -> gsi %u %s %s (override flags 0x%x), vector 0x%x on cpu %u", sci_irq, gsi,
             trigger(got), polarity(got), flags, sci_vector, cpu);
    ktest_detail("irq %u -> gsi %u %s %s,", sci_irq, gsi, trigger(got), polarity(got));
    if (ok && (got.level != want.level || got.active_low != want.active_low)) {
        ktest_detail("but the tables say %s %s;", trigger(want), polarity(want));
        ok = false;
    }
    if (ok) {
        outw(en_port, pm1::tmr);
        wait_irqs(kEvents, kEvents * kPeriodMs + 500);
        wait_irqs(kMaxIrqs, kSettleMs);  // nothing more should come
    }
    ioapic_mask(sci_irq);
    outw(en_port, en_old);
    outw(sts_port, pm1::tmr);
    trap_set_handler(sci_vector, nullptr);
    return ok && judge(__atomic_load_n(&nirq, __ATOMIC_ACQUIRE));
}
