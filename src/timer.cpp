/// @file timer.cpp
/// The PIT as the reference clock, the TSC as the working clock.
#include "timer.h"
#include "calib.h"
#include "legacy.h"
#include "cpuid.h"
#include "fadt.h"
#include "log.h"
#include "wait.h"
#include "x86.h"

uint64_t boot_tsc = 0;  // declared extern "C" in timer.h: boot.asm writes it

namespace {
uint64_t khz = 0;
uint32_t khz_ppm = 0;  // the error the figure's line stated (tsc_error_ppm())
}  // namespace

SpinLock legacy_lock("legacy-drivers");

namespace {
/// Reads of port 0x61 before a PIT window is given up: 2 ms take a few
/// thousand reads (about 1 us each on ISA-speed hardware, less under QEMU).
constexpr uint32_t kPitReadBound = 10000000;
uint16_t pm_port = 0;
bool pm_wide = false;

// The early window (timer_calibrate_begin()): channel 2 counts down from
// EARLY_COUNT, loaded between two TSC reads that were early_slack apart.
bool early_open = false;     // loaded, and its output went low
bool early_spoiled = false;  // pit_wait_us() reloaded channel 2 meanwhile
uint64_t early_tsc = 0, early_slack = 0;
uint8_t early_p61 = 0;
/// Latched reads before a slow boot's window is given up (each is four port
/// accesses: a few seconds at most, and only when the PIT stopped counting).
constexpr uint32_t kEarlyPollBound = 200000;

/// Channel 2's count, latched (SC=10 RW=00) so that both bytes are of one moment.
uint32_t pit2_latched() {
    outb(0x43, 0x80);
    uint32_t lo = inb(0x42);
    return lo | (uint32_t)inb(0x42) << 8;
}
/// Channel 2's output (port 0x61 bit 5): in mode 0 high from terminal count on.
bool pit2_out() { return inb(0x61) & 0x20; }
}  // namespace

void pm_timer_set(uint32_t port, bool wide) {
    pm_port = (uint16_t)port;
    pm_wide = wide;
}
bool pm_timer_present() { return pm_port != 0; }
uint32_t pm_timer_read() { return pm_port ? inl(pm_port) & (pm_wide ? 0xFFFFFFFFu : 0xFFFFFFu) : 0; }
bool pm_timer_wide() { return pm_wide; }

/// [pit wait]
uint64_t pit_wait_us(uint32_t us) {
    IrqSpinGuard g(legacy_lock);  // the PIT is a legacy device (legacy.h)
    early_spoiled |= early_open;  // reloading channel 2 ends the early window
    // Channel 2, mode 0 (OUT goes high at terminal count), gated through port
    // 0x61 bit 0 with the speaker (bit 1) off; OUT2 is readable at bit 5.
    uint32_t count = pit_count_for_us(us);
    uint8_t p61 = inb(0x61);
    outb(0x61, (uint8_t)((p61 & ~0x03) | 0x00));
    outb(0x43, 0xB0);
    outb(0x42, (uint8_t)count);
    outb(0x42, (uint8_t)(count >> 8));
    uint64_t t0 = rdtsc();
    outb(0x61, (uint8_t)((p61 & ~0x02) | 0x01));
    // In mode 0 OUT2 goes low when the count is written and high only at
    // terminal count: high at once means no PIT behind the port (0 returned).
    if (inb(0x61) & 0x20) {
        outb(0x61, p61);
        return 0;
    }
    // Bounded: a PIT that never counts must not hang the boot (0 returned).
    uint32_t i = 0;
    while (!(inb(0x61) & 0x20) && ++i < kPitReadBound) {}
    uint64_t t1 = rdtsc();
    outb(0x61, p61);
    return i < kPitReadBound ? t1 - t0 : 0;
}
/// [pit wait]

/// [early window]
void timer_calibrate_begin() {
    // Channel 2 in mode 0 with the full count, gate high, speaker off. The
    // write of the count's high byte is the load: the TSC is read around it.
    early_p61 = inb(0x61);
    outb(0x61, (uint8_t)((early_p61 & ~0x02) | 0x01));
    outb(0x43, 0xB0);
    outb(0x42, (uint8_t)EARLY_COUNT);
    uint64_t a = rdtsc();
    outb(0x42, (uint8_t)(EARLY_COUNT >> 8));
    uint64_t b = rdtsc();
    early_tsc = a + (b - a) / 2;
    early_slack = b - a;
    // High at once: no PIT behind the port (as in pit_wait_us()).
    early_open = !pit2_out();
}

namespace {
/// The TSC rate from the early window, or 0 (and why, in @p why) when the
/// window is unusable: it ran past 54.9 ms, or the PIT was used meanwhile.
uint64_t early_window_khz(uint32_t& ppm, uint32_t& us, const char*& why) {
    why = !early_open ? "the PIT did not start" : early_spoiled ? "the PIT was used meanwhile" : nullptr;
    if (why) return 0;
    early_open = false;
    // A boot quicker than the shortest window waits for the rest.
    uint32_t min_periods = pit_count_for_us(EARLY_WINDOW_MIN_US);
    for (uint32_t i = 0; i < kEarlyPollBound; ++i) {
        uint32_t c = pit2_latched();
        if (pit2_out() || pit_elapsed(EARLY_COUNT, c, false) >= min_periods) break;
    }
    // The end: the read with the narrowest bracket wins. The output is looked
    // at after the latch: low then means it was low when the count was latched.
    uint64_t best_slack = ~0ull, best_mid = 0;
    uint32_t best_periods = 0;
    for (uint32_t i = 0; i < EARLY_END_READS; ++i) {
        uint64_t a = rdtsc();
        uint32_t c = pit2_latched();
        uint64_t b = rdtsc();
        uint32_t periods = pit_elapsed(EARLY_COUNT, c, pit2_out());
        if (periods >= min_periods && b - a < best_slack) {
            best_slack = b - a;
            best_mid = a + (b - a) / 2;
            best_periods = periods;
        }
    }
    outb(0x61, early_p61);
    if (!best_periods) {
        why = "the boot's first steps outlasted the PIT's 54.9 ms count";
        return 0;
    }
    uint64_t k = khz_from_pit(best_mid - early_tsc, best_periods);
    ppm = early_error_ppm(best_periods, ticks_to_ns(best_slack + early_slack, k));
    us = (uint32_t)((uint64_t)best_periods * 1000000 / PIT_HZ);
    return k;
}
}  // namespace
/// [early window]

/// [tsc calibrate]
void timer_calibrate_tsc() {
    uint32_t ppm = 0, us = 0;
    const char* why = nullptr;
    bool started = early_open;
    khz = early_window_khz(ppm, us, why);
    khz_ppm = ppm;
    if (khz) {
        log_info("timer: tsc %llu.%03llu MHz (PIT channel 2 across the boot's first %u.%u ms: within %u ppm)",
                 (unsigned long long)(khz / 1000), (unsigned long long)(khz % 1000), us / 1000, us % 1000 / 100,
                 ppm);
        return;
    }
    if (started) log_info("timer: no early figure (%s); measuring on the PIT now", why);
    uintptr_t f = read_flags();
    cli();
    // Best of three 2 ms windows: the smallest count had the least disturbance.
    // Each is within pit_error_ppm() (calib.h: under 0.1%) of the true rate.
    uint64_t best = ~0ull;
    for (uint32_t i = 0; i < PIT_WINDOWS; ++i) {
        uint64_t d = pit_wait_us(PIT_WINDOW_US);
        if (d < best) best = d;
    }
    write_flags(f);
    khz = khz_from_pit(best, pit_count_for_us(PIT_WINDOW_US));
    khz_ppm = pit_error_ppm(PIT_WINDOW_US, PORT_READ_NS);
    if (khz == 0) {
        // A clock-gated 8254, or none (QEMU's `-machine pit=off`): the rate
        // comes from CPUID (timer_check_cpuid()) or the ACPI PM timer
        // (timer_calibrate_pm()), and until then the clock stands still.
        log_warn("timer: the PIT does not count (channel 2's output stays high, or never rises); the TSC rate "
                 "will come from CPUID or the ACPI PM timer");
        return;
    }
    log_info("timer: tsc %llu.%03llu MHz (PIT channel 2, best of %u x %u ms: within %u ppm)",
             (unsigned long long)(khz / 1000), (unsigned long long)(khz % 1000), PIT_WINDOWS,
             PIT_WINDOW_US / 1000, pit_error_ppm(PIT_WINDOW_US, PORT_READ_NS));
}
/// [tsc calibrate]

void timer_check_cpuid(const CpuFeatures& f) {
    // Leaf 0x15 and the hypervisor's leaf 0x40000010 state the TSC rate itself;
    // leaf 0x16's base frequency is the nominal one (SDM Vol. 2A, CPUID 16H).
    uint64_t leaf15 = tsc_khz_from_leaf15(f.tsc_ratio_den, f.tsc_ratio_num, f.crystal_hz);
    uint64_t cpuid = leaf15 ? leaf15 : f.hv_tsc_khz ? f.hv_tsc_khz : (uint64_t)f.base_mhz * 1000;
    const char* which = leaf15 ? "cpuid leaf 0x15" : f.hv_tsc_khz ? "cpuid leaf 0x40000010" : "cpuid leaf 0x16 base frequency";
    if (!khz) {  // no PIT figure to compare with
        if (cpuid) log_info("timer: tsc %llu kHz from %s (no PIT figure)", (unsigned long long)cpuid, which);
        khz = cpuid;
        khz_ppm = 0;
        return;
    }
    if (!cpuid) {
        log_info("timer: cpuid gives no TSC frequency (leaf 0x15/0x16/0x40000010); keeping the PIT figure");
    } else if (rates_agree(cpuid, khz, 2)) {
        log_info("timer: tsc %llu kHz from %s (the PIT measured %llu kHz): using %s", (unsigned long long)cpuid,
                 which, (unsigned long long)khz, which);
        khz = cpuid;
        khz_ppm = 0;
    } else {
        log_warn("timer: %s says %llu kHz but the PIT measured %llu kHz; keeping the PIT figure", which,
                 (unsigned long long)cpuid, (unsigned long long)khz);
    }
}

void timer_calibrate_pm() {
    if (khz) return;
    if (!pm_timer_present()) {
        khz = 1000000;
        log_warn("timer: no PIT, no TSC rate in CPUID, no ACPI PM timer: the TSC did not count; assuming 1 GHz");
        return;
    }
    // Best of three windows of 2 ms on the PM timer, as on the PIT: the
    // shortest TSC count had the least disturbance.
    constexpr uint32_t window = pm_timer_hz / 500;
    uintptr_t f = read_flags();
    cli();
    uint64_t best = ~0ull;
    for (uint32_t i = 0; i < PIT_WINDOWS; ++i) {
        uint32_t p0 = pm_timer_read(), p1 = p0;
        uint64_t t0 = rdtsc();
        for (uint32_t n = 0; pm_timer_delta(p0, p1, pm_wide) < window && n < kPitReadBound; ++n) p1 = pm_timer_read();
        uint64_t d = rdtsc() - t0;
        if (pm_timer_delta(p0, p1, pm_wide) >= window && d < best) best = d;
    }
    write_flags(f);
    if (best == ~0ull) {
        khz = 1000000;
        log_warn("timer: the ACPI PM timer did not count either; assuming a 1 GHz TSC");
        return;
    }
    khz = best * pm_timer_hz / window / 1000;
    // Not in its line: one PM period at each end of a 2 ms window (280 ppm)
    // and the port reads, rounded up.
    khz_ppm = 1000;
    log_info("timer: tsc %llu.%03llu MHz (ACPI PM timer, best of %u x 2 ms)", (unsigned long long)(khz / 1000),
             (unsigned long long)(khz % 1000), PIT_WINDOWS);
}

bool time_ready() { return khz != 0; }
uint64_t tsc_khz() { return khz; }
uint32_t tsc_error_ppm() { return khz_ppm; }

uint64_t tsc_to_ns(uint64_t t) { return ticks_to_ns(t, khz); }

uint64_t now_ns() { return tsc_to_ns(rdtsc() - boot_tsc); }

void udelay(uint64_t us) {
    if (!khz) {
        while (us > 50000) { pit_wait_us(50000); us -= 50000; }
        pit_wait_us((uint32_t)us);
        return;
    }
    uint64_t end = rdtsc() + us * khz / 1000;
    // Halting gives the host core away (wait.h): a delay of the BSP during
    // bring-up is time the APs' vCPUs can use. Short delays spin. A halt
    // ends late by however long the host takes to run the woken vCPU: under
    // TCG 0.2 to 0.7 ms at 8 vCPUs, which the INIT wait added to every
    // bring-up. So the halts stop halt_tail_us early and the rest is spun.
    if (us >= halt_delay_min_us && wait_may_halt()) {
        uint64_t tail = (us / 2 < halt_tail_us ? us / 2 : halt_tail_us) * khz / 1000;
        Waiter w(end - tail);
        while (w.pause([] { return false; })) {}
    }
    while (rdtsc() < end) cpu_relax();
}

void udelay_since(uint64_t since, uint64_t us) {
    if (!khz) return udelay(us);  // no TSC rate: the whole wait, on the PIT
    uint64_t done = tsc_to_ns(rdtsc() - since) / 1000;
    if (done < us) udelay(us - done);
}

void mdelay(uint64_t ms) { udelay(ms * 1000); }

// ---- The LAPIC timer --------------------------------------------------------

#include "apicregs.h"
#include "cpu.h"
#include "cpuid.h"
#include "lapic.h"

namespace {
uint64_t apic_khz = 0;
constexpr uint32_t MSR_TSC_DEADLINE = 0x6E0;
}  // namespace

/// [lapic calibrate]
void lapic_timer_calibrate() {
    if (!lapic_available()) return;
    const CpuFeatures& feat = this_cpu()->features;
    if (feat.hv_bus_khz && rates_agree(feat.hv_tsc_khz, khz, 2)) {
        // The hypervisor states the timer's input clock; the divider does the rest.
        apic_khz = feat.hv_bus_khz / 16;
        log_info("timer: lapic timer %llu.%03llu MHz at divide 16 (cpuid leaf 0x40000010)",
                 (unsigned long long)(apic_khz / 1000), (unsigned long long)(apic_khz % 1000));
        return;
    }
    // Against the TSC, now known: three 1 ms windows, each end bracketed by a
    // TSC read before and after the timer read. The window with the narrowest
    // brackets wins; its error is half of those brackets plus the TSC's own.
    uintptr_t f = read_flags();
    cli();
    lapic_write(LapicReg::TimerDivide, timer_dcr(TimerDivide::By16));
    lapic_write(LapicReg::LvtTimer, Lvt{}.timer_mode(TimerMode::OneShot).encode());  // masked
    uint64_t best_ticks = 0, best_tsc = 0, best_slack = ~0ull;
    for (int i = 0; i < 3; ++i) {
        lapic_write(LapicReg::TimerInitial, 0xFFFFFFFF);
        uint64_t a0 = rdtsc();
        uint32_t c0 = lapic_read(LapicReg::TimerCurrent);
        uint64_t b0 = rdtsc();
        while (rdtsc() - b0 < khz) cpu_relax();  // khz TSC ticks: 1 ms
        uint64_t a1 = rdtsc();
        uint32_t c1 = lapic_read(LapicReg::TimerCurrent);
        uint64_t b1 = rdtsc();
        uint64_t slack = (b0 - a0) + (b1 - a1);
        if (c1 < c0 && slack < best_slack) {
            best_slack = slack;
            best_ticks = c0 - c1;
            best_tsc = (a1 + b1) / 2 - (a0 + b0) / 2;
        }
    }
    lapic_write(LapicReg::TimerInitial, 0);
    write_flags(f);
    apic_khz = khz_from_tsc(best_ticks, best_tsc, khz);
    if (apic_khz == 0) {
        apic_khz = 1000;
        log_warn("timer: the LAPIC timer did not count; assuming 1 MHz");
        return;
    }
    uint64_t ppm = best_tsc ? best_slack * 1000000 / 2 / best_tsc : 0;
    log_info("timer: lapic timer %llu.%03llu MHz at divide 16 (TSC, best of 3 x 1 ms: within %llu ppm "
             "of the TSC figure)",
             (unsigned long long)(apic_khz / 1000), (unsigned long long)(apic_khz % 1000),
             (unsigned long long)(ppm + 1));
}
/// [lapic calibrate]

uint64_t lapic_timer_khz() { return apic_khz; }

bool lapic_timer_has_deadline() { return cpu_has(this_cpu()->features, CpuFlag::TscDeadline); }

void lapic_timer_periodic(uint32_t hz, uint8_t vector) {
    if (this_cpu()->apic_mode == ApicMode::None) return;
    uint64_t count = apic_khz * 1000 / (hz ? hz : 1);
    if (count == 0) count = 1;
    if (count > 0xFFFFFFFF) count = 0xFFFFFFFF;
    lapic_write(LapicReg::TimerDivide, timer_dcr(TimerDivide::By16));
    lapic_write(LapicReg::LvtTimer, Lvt::timer(vector, TimerMode::Periodic).encode());
    lapic_write(LapicReg::TimerInitial, (uint32_t)count);
}

void lapic_timer_oneshot(uint64_t us, uint8_t vector, bool use_deadline) {
    if (this_cpu()->apic_mode == ApicMode::None) return;
    if (use_deadline && lapic_timer_has_deadline()) {
        // SDM 10.5.4.1: select the mode first, then arm with the MSR.
        lapic_write(LapicReg::LvtTimer, Lvt::timer(vector, TimerMode::TscDeadline).encode());
        asm volatile("mfence" ::: "memory");
        wrmsr(MSR_TSC_DEADLINE, rdtsc() + us * khz / 1000);
        return;
    }
    uint64_t count = apic_khz * us / 1000;
    if (count == 0) count = 1;
    if (count > 0xFFFFFFFF) count = 0xFFFFFFFF;
    lapic_write(LapicReg::TimerDivide, timer_dcr(TimerDivide::By16));
    lapic_write(LapicReg::LvtTimer, Lvt::timer(vector, TimerMode::OneShot).encode());
    lapic_write(LapicReg::TimerInitial, (uint32_t)count);
}

void lapic_timer_stop() {
    if (this_cpu()->apic_mode == ApicMode::None) return;
    lapic_write(LapicReg::LvtTimer, Lvt{}.encode());
    lapic_write(LapicReg::TimerInitial, 0);
    if (lapic_timer_has_deadline()) wrmsr(MSR_TSC_DEADLINE, 0);
}
