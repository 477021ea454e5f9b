/// @file apic_tests.cpp
/// Self-tests of the BSP's local APIC: the timer in both modes, runlevel
/// masking, and an APIC error reported by name. They borrow the BSP's LAPIC
/// timer from the scheduler and fire it on the test vector (class 12, below
/// the clock's), then stop it; the scheduler re-arms it at its next switch.
#include "acpi.h"
#include "apicregs.h"
#include "cmdline.h"
#include "config.h"
#include "cpumask.h"
#include "cputable.h"
#include "discover.h"
#include "fadt.h"
#include "format.h"
#include "ipi.h"
#include "kstring.h"
#include "cpu.h"
#include "ktest.h"
#include "lapic.h"
#include "log.h"
#include "mp.h"
#include "proc.h"
#include "runlevel.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

namespace {
volatile uint32_t ticks = 0;
volatile uint64_t first_tick_tsc = 0, last_tick_tsc = 0;
constexpr uint32_t kMaxTicks = 128;
uint64_t tick_tsc[kMaxTicks];
uint32_t tick_pm[kMaxTicks];  // the ACPI PM timer at each tick, where there is one

void on_tick(TrapFrame*) {
    uint64_t t = rdtsc();
    if (ticks < kMaxTicks) tick_pm[ticks] = pm_timer_read();
    if (ticks == 0) first_tick_tsc = t;
    last_tick_tsc = t;
    if (ticks < kMaxTicks) tick_tsc[ticks] = t;
    ticks = ticks + 1;
    lapic_eoi();
}

/// The median of the first @p n - 1 intervals between ticks, `delta(i)` being
/// the i-th (insertion sort: n is small).
template <typename Delta>
uint64_t median_delta(uint32_t n, Delta delta) {
    uint64_t d[kMaxTicks];
    uint32_t m = 0;
    for (uint32_t i = 1; i < n && i < kMaxTicks; ++i) {
        uint64_t v = delta(i);
        uint32_t j = m++;
        for (; j > 0 && d[j - 1] > v; --j) d[j] = d[j - 1];
        d[j] = v;
    }
    return m ? d[m / 2] : 0;
}
/// In TSC ticks.
uint64_t median_interval(uint32_t n) {
    return median_delta(n, [](uint32_t i) { return tick_tsc[i] - tick_tsc[i - 1]; });
}
/// In ticks of the ACPI PM timer (3.579545 MHz).
uint64_t median_pm_interval(uint32_t n) {
    return median_delta(n, [](uint32_t i) -> uint64_t {
        return pm_timer_delta(tick_pm[i - 1], tick_pm[i], pm_timer_wide());
    });
}

/// Wait with interrupts on until @p n ticks arrived or @p ms passed.
bool wait_ticks(uint32_t n, uint64_t ms) {
    uint64_t end = now_ns() + ms * 1000000;
    sti();
    // Spin, not hlt: after the last expected interrupt nothing would wake us.
    while (ticks < n && now_ns() < end) cpu_relax();
    cli();
    return ticks >= n;
}
}  // namespace

/// Periodic mode at 100 Hz: 100 intervals, measured with the TSC. The verdict
/// uses the median interval: under TCG on a busy host QEMU coalesces expiries
/// its vCPU thread was not scheduled to see, which lengthens a few intervals
/// and lowers the mean rate, while a wrongly programmed count or divider moves
/// every interval and so the median. A heavily loaded host can still distort
/// one measurement, so up to three are taken: a programming error fails all
/// three, and every attempt is printed.
namespace {
bool measure_periodic(uint64_t* med_x10_out, uint64_t* mean_x10_out, uint64_t* pm_x10_out) {
    ticks = 0;
    sched_lend_timer(true);
    trap_set_handler(vec::test, on_tick);
    lapic_timer_periodic(100, vec::test);
    bool got = wait_ticks(101, 3000);
    lapic_timer_stop();
    trap_set_handler(vec::test, nullptr);
    sched_lend_timer(false);
    if (!got) return false;
    // 100 intervals between the first and the 101st tick.
    uint64_t ns = tsc_to_ns(last_tick_tsc - first_tick_tsc);
    *mean_x10_out = 100ull * 10000000000ull / (ns ? ns : 1);
    uint64_t med = tsc_to_ns(median_interval(101));
    *med_x10_out = 10000000000ull / (med ? med : 1);
    uint64_t pm = median_pm_interval(101);
    *pm_x10_out = pm_timer_present() ? 10ull * pm_timer_hz / (pm ? pm : 1) : 0;
    return true;
}
}  // namespace

/// The rate is measured twice: with the TSC, which was calibrated on the PIT
/// like the LAPIC timer itself, and with the ACPI PM timer (fadt.h), which
/// has its own crystal. A calibration error shared by the TSC and the LAPIC
/// timer cancels out of the first figure, not out of the second.
KTEST(lapic_timer, -2, "periodic LAPIC timer within 10% of 100 Hz over 100 ticks, by the TSC and by the ACPI PM timer (by name: needs a quiet host or -icount)") {
    if (!pm_timer_present()) ktest_detail("no ACPI PM timer (no FADT, or none in it): the TSC alone;");
    for (int attempt = 1; attempt <= 3; ++attempt) {
        uint64_t med = 0, mean = 0, pm = 0;
        if (!measure_periodic(&med, &mean, &pm)) {
            ktest_detail("attempt %d: only %u ticks in 3 s;", attempt, ticks);
            continue;
        }
        if (pm_timer_present())
            ktest_detail("attempt %d: median %llu.%llu Hz (by the PM timer %llu.%llu Hz), mean %llu.%llu Hz;", attempt,
                         (unsigned long long)(med / 10), (unsigned long long)(med % 10), (unsigned long long)(pm / 10),
                         (unsigned long long)(pm % 10), (unsigned long long)(mean / 10), (unsigned long long)(mean % 10));
        else
            ktest_detail("attempt %d: median %llu.%llu Hz, mean %llu.%llu Hz;", attempt, (unsigned long long)(med / 10),
                         (unsigned long long)(med % 10), (unsigned long long)(mean / 10), (unsigned long long)(mean % 10));
        bool by_tsc = med >= 900 && med <= 1100, by_pm = !pm_timer_present() || (pm >= 900 && pm <= 1100);
        if (by_tsc && by_pm) return true;
    }
    return false;
}

namespace {
/// One reading of the PM timer between two TSC reads, the narrowest of 8:
/// the TSC at its middle, and the bracket's width (a host that preempted
/// the vCPU between the reads widens it; the narrowest had the least).
struct PmStamp {
    uint64_t tsc = 0, slack = ~0ull;
    uint32_t pm = 0;
};
PmStamp pm_stamp() {
    PmStamp best;
    for (int i = 0; i < 8; ++i) {
        uint64_t a = rdtsc();
        uint32_t p = pm_timer_read();
        uint64_t b = rdtsc();
        if (b - a < best.slack) best = PmStamp{a + (b - a) / 2, b - a, p};
    }
    return best;
}
}  // namespace

/// The TSC's figure (timer.cpp) checked against a clock it was not measured
/// with: the ACPI PM timer, over 50 ms. Under QEMU both follow one clock,
/// with or without -icount, so the only errors are the figure's own (what
/// its line stated) and this measurement's (its brackets, a PM period at
/// each end); 0.1% more is allowed. A figure 1% off fails.
KTEST(tsc_rate, -2, "the TSC's figure agrees with the ACPI PM timer over 50 ms, within the error its line stated + 0.1% (by name)") {
    if (!pm_timer_present()) {
        ktest_detail("not applicable: no ACPI PM timer");
        return false;
    }
    constexpr uint32_t kWindow = pm_timer_hz / 20;  // 50 ms
    uint64_t k = tsc_khz(), give_up = rdtsc() + 2000 * k;
    PmStamp s0 = pm_stamp(), s1 = s0;
    while (pm_timer_delta(s0.pm, s1.pm, pm_timer_wide()) < kWindow && rdtsc() < give_up) s1 = pm_stamp();
    uint32_t dpm = pm_timer_delta(s0.pm, s1.pm, pm_timer_wide());
    if (dpm < kWindow || s1.tsc <= s0.tsc) {
        ktest_detail("the PM timer advanced %u of %u counts in what the TSC figure calls 2 s", dpm, kWindow);
        return false;
    }
    uint64_t dt = s1.tsc - s0.tsc;
    uint64_t measured = dt * pm_timer_hz / dpm / 1000;
    uint64_t apart = (measured > k ? measured - k : k - measured) * 1000000 / k;
    uint64_t own = (s0.slack + s1.slack) / 2 * 1000000 / dt + 2ull * 1000000 / dpm;
    uint64_t bound = tsc_error_ppm() + own + 1000;
    ktest_detail("tsc %llu kHz, the PM timer measured %llu kHz over %llu ms: %llu ppm apart (bound %llu: stated %u, "
                 "this measurement %llu, 1000 more)", (unsigned long long)k, (unsigned long long)measured,
                 (unsigned long long)(dpm * 1000ull / pm_timer_hz), (unsigned long long)apart,
                 (unsigned long long)bound, tsc_error_ppm(), (unsigned long long)own);
    return apart <= bound;
}

/// One-shot mode: one interrupt, and no second one; not early (the count
/// converts microseconds by the calibrated rate), and, when the boot sets
/// `late_bound_us=` (under -icount), not late either: a count scaled wrong
/// would still fire once. The first interrupt may take up to 2 s: without
/// -icount QEMU's timers run on a host thread of their own, which a loaded
/// host with many busy vCPU threads left without a core for over 30 ms. Any
/// second one must come within 30 ms of it.
KTEST(oneshot, 11, "a one-shot LAPIC timer fires exactly once, after the time asked (and within late_bound_us)") {
    constexpr uint64_t kAskUs = 2000;
    ticks = 0;
    sched_lend_timer(true);
    trap_set_handler(vec::test, on_tick);
    uint64_t armed = rdtsc();
    lapic_timer_oneshot(kAskUs, vec::test);
    if (wait_ticks(1, 2000)) wait_ticks(2, 30);
    lapic_timer_stop();
    trap_set_handler(vec::test, nullptr);
    sched_lend_timer(false);
    uint64_t after_us = ticks ? tsc_to_ns(first_tick_tsc - armed) / 1000 : 0;
    // Without late_bound_us=, a second is "late": a count off by a factor
    // of 500, microseconds taken for milliseconds, still fails.
    uint32_t bound = boot_options().late_bound_us != UINT32_MAX ? boot_options().late_bound_us : 1000000;
    // 5% early is allowed: the LAPIC and TSC rates are each calibrated within 0.1%.
    bool early = ticks && after_us < kAskUs * 95 / 100;
    bool late = ticks && after_us > kAskUs + bound;
    ktest_detail("%u interrupt(s) (the first within 2 s, any second within 30 ms of it), the first %llu us after "
                 "arming for %llu us%s%s", ticks,
                 (unsigned long long)after_us, (unsigned long long)kAskUs, early ? " (early)" : "",
                 late ? " (late: more than late_bound_us, or 1 s without it)" : "");
    return ticks == 1 && !early && !late;
}

/// udelay() is a lower bound, whichever way it waits: spinning (short, or
/// interrupts off), or halting with its last halt_tail_us spun (timer.cpp).
/// By the TSC, udelay()'s own clock (`tsc_rate` checks that clock).
KTEST(udelay, 11, "udelay() never ends early: spinning, halting, and halting with its tail spun, interrupts on and off") {
    static constexpr uint64_t kUs[] = {20, halt_delay_min_us, 200, 2000, 10000};
    uint32_t failed = 0;
    for (int pass = 0; pass < 2; ++pass) {
        bool irqs = pass == 0;
        for (uint64_t us : kUs) {
            uintptr_t f = read_flags();
            if (irqs) sti(); else cli();
            uint64_t t0 = rdtsc();
            udelay(us);
            uint64_t ns = tsc_to_ns(rdtsc() - t0);
            write_flags(f);
            char what[64];
            ksnprintf(what, sizeof what, "udelay(%llu) with interrupts %s, ns", (unsigned long long)us,
                      irqs ? "on" : "off");
            // 1 us of rounding between udelay()'s TSC count and tsc_to_ns().
            ktest_check("udelay", ns + 1000 >= us * 1000, what, (long)ns, (long)(us * 1000), failed);
        }
    }
    ktest_detail("%u of %u delays ended early", failed, (unsigned)(2 * array_size(kUs)));
    return failed == 0;
}

/// Raising the runlevel to Clock holds the timer vector back; lowering it
/// delivers the interrupt that was waiting.
KTEST(runlevel, 12, "raising the runlevel holds the timer interrupt until it is lowered") {
    ticks = 0;
    sched_lend_timer(true);
    trap_set_handler(vec::test, on_tick);
    Runlevel old = raise_runlevel(Runlevel::Clock);
    lapic_timer_oneshot(1000, vec::test);
    // Interrupts on, but the TPR masks class 13. The hold is shown only once
    // the timer has expired (its count reads 0) with nothing taken: under TCG
    // on a loaded host QEMU may fire a 1 ms timer tens of ms late, so wait
    // for the expiry (up to 2 s), then 20 ms more, and as long for the
    // interrupt after lowering.
    uint64_t end = now_ns() + 2000000000ull;
    sti();
    while (ticks == 0 && lapic_read(LapicReg::TimerCurrent) != 0 && now_ns() < end) cpu_relax();
    cli();
    bool expired = lapic_read(LapicReg::TimerCurrent) == 0;
    wait_ticks(1, 20);
    uint32_t held = ticks;
    lower_runlevel(old);
    wait_ticks(1, 2000);
    uint32_t after = ticks;
    lapic_timer_stop();
    trap_set_handler(vec::test, nullptr);
    sched_lend_timer(false);
    // Lab 04's grader reads this line up to the closing parenthesis.
    ktest_detail("while raised: %u, after lowering: %u (tpr path: %s; runlevel via %s); the timer %s", held, after,
                 apic_mode_name(this_cpu()->apic_mode), arch_runlevel_path(*this_cpu()),
                 expired ? "had expired while raised" : "had not expired within 2 s");
    return expired && held == 0 && after == 1;
}

/// [runlevel every cpu]
/// The same on every online CPU, each in a thread pinned to it, with a
/// self-IPI on the test vector (class 12) instead of the timer: raised to
/// Clock (class 13) the CPU must hold it, lowered it must take it. Each CPU
/// also reads its priority register back through the path it really uses:
/// on amd64 CR8, which the SDM says is TPR[7:4] (Vol. 3A 10.8.6.1), so the
/// TPR read through the CPU's APIC mode (MMIO or MSR) must agree; on i686 the
/// TPR alone. A backend that wrote the wrong register, or none in one mode,
/// fails on the CPUs in that mode, named.
namespace {
struct LevelCheck {
    volatile uint32_t hits;  // test-vector interrupts taken on this CPU
    uint32_t cr8, tpr;       // read back while raised (cr8: amd64 only)
    uint32_t held, after;    // interrupts taken while raised, and after lowering
    bool done;
};
LevelCheck level_checks[COHORT_MAX_CPUS];

void on_level_ipi(TrapFrame*) {
    LevelCheck& c = level_checks[cpu_number()];
    c.hits = c.hits + 1;
    lapic_eoi();
}

/// With interrupts on, until this CPU took @p n test interrupts or @p us passed.
void wait_hits(uint32_t n, uint64_t us) {
    LevelCheck& c = level_checks[cpu_number()];
    uint64_t end = now_ns() + us * 1000;
    sti();
    while (c.hits < n && now_ns() < end) cpu_relax();
    cli();
}

void check_level_here(void*) {
    LevelCheck& c = level_checks[cpu_number()];
    uintptr_t f = read_flags();
    cli();
    c.hits = 0;
    Runlevel old = raise_runlevel(Runlevel::Clock);
    c.tpr = lapic_read(LapicReg::Tpr);
#if UINTPTR_MAX > 0xFFFFFFFFu
    uint64_t cr8;
    asm volatile("mov %%cr8, %0" : "=r"(cr8));
    c.cr8 = (uint32_t)cr8;
#endif
    ipi_send(cpu_number(), vec::test);
    wait_hits(1, 2000);  // long enough for a self-IPI to arrive, were it let through
    c.held = c.hits;
    lower_runlevel(old);
    wait_hits(1, 20000);
    c.after = c.hits;
    c.done = true;
    write_flags(f);
}

bool level_ok(const LevelCheck& c) {
    uint32_t want = runlevel_value(Runlevel::Clock);
    bool regs = (c.tpr >> 4) == want;
#if UINTPTR_MAX > 0xFFFFFFFFu
    regs = regs && c.cr8 == want;
#endif
    return c.done && regs && c.held == 0 && c.after == 1;
}
}  // namespace

KTEST(runlevel_cpus, 12, "on every CPU: the priority register read back through its path, a self-IPI held while raised") {
    memset(level_checks, 0, sizeof level_checks);
    trap_set_handler(vec::test, on_level_ipi);
    Thread* t[COHORT_MAX_CPUS] = {};
    uint32_t n = 0, failed = 0, made = 0;
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) {
        if (!cpu_online_mask.test(k)) continue;
        ++n;
        CpuMask only;
        only.set(k);
        t[k] = thread_create("runlevel", check_level_here, nullptr, 1, &only);
        made += t[k] != nullptr;
    }
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k)
        if (t[k]) thread_join(t[k]);
    trap_set_handler(vec::test, nullptr);
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) {
        if (!cpu_online_mask.test(k) || level_ok(level_checks[k])) continue;
        const LevelCheck& c = level_checks[k];
        if (++failed <= 8)
            ktest_detail("cpu %u (%s, runlevel via %s): %s cr8 %u tpr 0x%02x, held %u, after lowering %u;", k,
                         apic_mode_name(cpus[k].apic_mode), arch_runlevel_path(cpus[k]),
                         c.done ? "raised to Clock:" : "did not run;", c.cr8, c.tpr, c.held, c.after);
    }
    ktest_detail("%u of %u cpus correct, runlevel via %s on cpu 0", n - failed, n, arch_runlevel_path(cpus[0]));
    return made == n && failed == 0;
}
/// [runlevel every cpu]

/// Provoke an APIC error. In xAPIC mode a read of a reserved register sets
/// "illegal register address" (SDM Vol. 3A 10.5.3). In x2APIC mode the same
/// access is a WRMSR to a reserved MSR, which raises #GP: the test catches it
/// and steps over the instruction (QEMU also sets the ESR bit). An IPI with an
/// illegal vector (0-15) would be the other way, but QEMU delivers it instead
/// of refusing it: vector 3 arrives as #BP.
namespace {
volatile uint32_t gp_caught = 0;
extern "C" char esr_probe_wrmsr[];
void skip_probe(TrapFrame* tf) {
    if ((uintptr_t)tf->ip != (uintptr_t)esr_probe_wrmsr) exception_report(tf);
    tf->ip += 2;  // wrmsr is 0F 30
    gp_caught = gp_caught + 1;
}
}  // namespace

KTEST(esr, 13, "an APIC error provoked on purpose is reported by name") {
    lapic_read_esr();
    if (this_cpu()->apic_mode == ApicMode::XApic) {
        (void)lapic_read((LapicReg)0x010);  // reserved offset
    } else {
        gp_caught = 0;
        trap_set_handler(13, skip_probe);
        asm volatile(".globl esr_probe_wrmsr\nesr_probe_wrmsr: wrmsr" ::"c"(0x801), "a"(0), "d"(0) : "memory");
        trap_set_handler(13, nullptr);
        ktest_detail("reserved MSR write: %s;", gp_caught ? "#GP caught" : "no #GP");
        if (!gp_caught) return false;
    }
    uint32_t esr = lapic_read_esr();
    char names[160];
    esr_describe(esr, names, sizeof names);
    log_info("ktest: esr: esr 0x%x (%s)", esr, names);
    ktest_detail("esr 0x%x %s", esr, names);
    return esr != 0;
}

namespace {
volatile uint32_t after_stray = 0;
void on_after_stray(TrapFrame*) { after_stray = after_stray + 1; lapic_eoi(); }
bool in_service(uint8_t v) { return lapic_read(lapic_vector_reg(LapicReg::IsrBase, v)) & lapic_vector_bit(v); }
}  // namespace

/// A LAPIC-delivered vector with no handler must still be acknowledged: until
/// its EOI, its ISR bit holds back every vector of its priority class and
/// below (SDM Vol. 3A 10.8.3.1). A self-IPI to vec::test with no handler,
/// then one to vec::test2 (same class 0xC) with a handler: the second arrives
/// only if the first was acknowledged.
KTEST(stray_vector_eoi, 15, "an interrupt vector with no handler is acknowledged, so its class is not blocked") {
    after_stray = 0;
    trap_set_handler(vec::test, nullptr);
    trap_expect_stray(vec::test);  // counted, not reported as unexpected
    trap_set_handler(vec::test2, on_after_stray);
    uint64_t end;
    sti();
    bool sent = lapic_send(Icr::fixed(0, vec::test).shorthand(Shorthand::Self));
    for (end = now_ns() + 20000000; now_ns() < end;) cpu_relax();
    sent = lapic_send(Icr::fixed(0, vec::test2).shorthand(Shorthand::Self)) && sent;
    for (end = now_ns() + 20000000; now_ns() < end && !after_stray;) cpu_relax();
    cli();
    bool stuck = in_service(vec::test);
    if (stuck) lapic_eoi();  // leave this CPU usable for the tests that follow
    bool blocked_irr = lapic_read(lapic_vector_reg(LapicReg::IrrBase, vec::test2)) & lapic_vector_bit(vec::test2);
    if (stuck && blocked_irr) {  // the held-back one arrives now
        sti();
        for (end = now_ns() + 20000000; now_ns() < end && !after_stray;) cpu_relax();
        cli();
    }
    trap_set_handler(vec::test2, nullptr);
    uint32_t strays = trap_strays_seen();
    trap_expect_stray(0x100);
    ktest_detail("stray vector 0x%x arrived %u time(s), %s; the next of its class (0x%x) %s", vec::test, strays,
                 stuck ? "left in service (no EOI)" : "acknowledged", vec::test2,
                 stuck ? "was held back" : after_stray ? "arrived" : "did not arrive");
    return sent && strays == 1 && !stuck && after_stray == 1;
}

/// [lint nmi]
/// Each CPU's LINT pins read back against the firmware table the CPU list came
/// from: a MADT Local APIC NMI entry (type 4, ACPI 6.5 5.2.12.7) names one
/// processor by ACPI uid or, with uid 0xFF, all; a Local x2APIC NMI entry
/// (type 0xA, 5.2.12.13) names one by uid, all only with 0xFFFFFFFF; an MP
/// local interrupt entry of type NMI (MP spec 1.4 4.3.4) names one by APIC id
/// or, with 0xFF, all. The rule is restated here, not taken from discover.cpp.
namespace {
uint32_t lint_read[COHORT_MAX_CPUS][2];

void read_lints(void*) {
    uint32_t k = cpu_number();
    lint_read[k][0] = lapic_read(LapicReg::LvtLint0);
    lint_read[k][1] = lapic_read(LapicReg::LvtLint1);
}

/// Bit @p lint of the result: that pin of kernel CPU @p k is NMI per the
/// table; bit 2 + @p lint: that entry says active low (MPS INTI flags 3).
uint32_t lints_named(uint32_t k) {
    const CpuEntry& c = cpu_table.cpus[k];
    uint32_t pins = 0;
    auto add = [&](uint32_t pin, uint16_t flags) {
        if (pin > 1) return;
        pins |= 1u << pin;
        if ((flags & 3) == 3) pins |= 4u << pin;
    };
    if (cpu_table.source == CpuSource::Acpi) {
        const MadtInfo& m = discovered_madt();
        for (uint32_t i = 0; i < m.nlapic_nmis; ++i)
            if (m.lapic_nmis[i].uid == LAPIC_NMI_ALL || m.lapic_nmis[i].uid == c.acpi_uid)
                add(m.lapic_nmis[i].lint, m.lapic_nmis[i].flags);
    } else if (cpu_table.source == CpuSource::Mp) {
        const MpInfo& m = discovered_mp();
        for (uint32_t i = 0; i < m.nlints; ++i)
            if (m.lints[i].irq_type == 1 && (m.lints[i].dst_id == 0xFF || m.lints[i].dst_id == c.apic_id))
                add(m.lints[i].dst_pin, m.lints[i].flags);
    }
    return pins & 0xF;
}

/// Append the kernel ids in @p set as ranges ("0-2,5") or "none".
void append_cpus(char* out, size_t cap, const CpuMask& set) {
    size_t n = 0;
    out[0] = 0;
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) {
        if (!set.test(k) || (k > 0 && set.test(k - 1))) continue;
        uint32_t e = k;
        while (e + 1 < COHORT_MAX_CPUS && set.test(e + 1)) ++e;
        size_t w = e == k ? ksnprintf(out + n, cap - n, "%s%u", n ? "," : "", k)
                       : ksnprintf(out + n, cap - n, "%s%u-%u", n ? "," : "", k, e);
        if (w >= cap - n) break;
        n += w;
    }
    if (n == 0) ksnprintf(out, cap, "none");
}
}  // namespace

KTEST(lint_nmi, 13, "on every CPU: LVT LINT0/LINT1 are NMI, with the polarity the entry gives, exactly where the MADT or MP table names that CPU") {
    memset(lint_read, 0, sizeof lint_read);
    CpuMask online = online_cpus();
    bool called = ipi_call(online, read_lints, nullptr, true);
    CpuMask nmi[2];
    uint32_t n = 0, wrong = 0;
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) {
        if (!online.test(k)) continue;
        ++n;
        uint32_t want = lints_named(k), got = 0;
        for (uint32_t pin = 0; pin < 2; ++pin) {
            Lvt l = Lvt::from_raw(lint_read[k][pin]);
            if (!l.is_masked() && l.delivery() == Delivery::Nmi) {
                got |= (1u << pin) | (l.is_active_low() ? 4u << pin : 0);
                nmi[pin].set(k);
            }
        }
        if (got != want && ++wrong <= 8)
            ktest_detail("cpu %u (apic %u, uid %u): NMI on pins 0x%x, the %s table names 0x%x (bits 2-3: active low);", k,
                         cpu_table.cpus[k].apic_id, cpu_table.cpus[k].acpi_uid, got,
                         cpu_source_name(cpu_table.source), want);
    }
    char l0[64], l1[64];
    append_cpus(l0, sizeof l0, nmi[0]);
    append_cpus(l1, sizeof l1, nmi[1]);
    ktest_detail("%u cpus, %u wrong; lint0 nmi on cpus %s; lint1 nmi on cpus %s", n, wrong, l0, l1);
    return called && wrong == 0;
}
/// [lint nmi]
