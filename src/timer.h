/// @file timer.h
/// Time: the TSC calibrated against the PIT, delays, and the monotonic clock
/// behind the log's timestamps.
#pragma once
#include "types.h"

/// TSC value at the BSP's first kernel instruction (boot.asm): time zero.
extern "C" uint64_t boot_tsc;

/// Start PIT channel 2 counting down its full 54.9 ms, the TSC read around
/// the load: the boot's first steps are the calibration's window. At kernel
/// entry, interrupts off, before anything else uses the PIT.
void timer_calibrate_begin();
/// Measure the TSC frequency and start the monotonic clock: from the window
/// timer_calibrate_begin() opened (at least EARLY_WINDOW_MIN_US long), else,
/// when that ran past the count or the PIT was used meanwhile, against PIT
/// channel 2 (interrupts off, best of several runs). Logs the figure and method.
void timer_calibrate_tsc();
struct CpuFeatures;
/// Compare the PIT figure with CPUID leaf 0x15 (or 0x16) and use the CPUID
/// one when both agree within 2% (a rate stated by the CPU is exact; one
/// measured against the PIT is not). Logs which was chosen.
void timer_check_cpuid(const CpuFeatures& f);
/// When neither the PIT nor CPUID gave the TSC rate: measure it against the
/// ACPI PM timer (after discovery found it), else assume 1 GHz, said loudly.
void timer_calibrate_pm();
/// True once the TSC frequency is known.
bool time_ready();
/// TSC ticks per millisecond (kHz), 0 before calibration.
uint64_t tsc_khz();
/// The error, in ppm, that the TSC figure's line stated (0 when CPUID gave the rate).
uint32_t tsc_error_ppm();
/// Nanoseconds since time zero.
uint64_t now_ns();
/// Convert a TSC difference to nanoseconds.
uint64_t tsc_to_ns(uint64_t ticks);
/// Shortest udelay() that halts instead of spinning when it may (wait.h).
constexpr uint64_t halt_delay_min_us = 50;
/// The last part of a halting udelay(), spun: a halt may end that late.
constexpr uint64_t halt_tail_us = 500;
/// Wait for at least @p us microseconds (TSC; PIT before calibration). From
/// halt_delay_min_us on, and where wait_may_halt() allows, it halts between
/// looks and so gives the host core away, up to its last halt_tail_us, which
/// it spins; otherwise it spins.
void udelay(uint64_t us);
/// Wait until @p us microseconds have passed since TSC value @p since (a
/// udelay() of what is left of them; none if they have passed). For a wait
/// that began earlier, with other work done in it: the INIT wait of the
/// parallel bring-up (smpboot.cpp).
void udelay_since(uint64_t since, uint64_t us);
/// udelay() in milliseconds.
void mdelay(uint64_t ms);
/// @name The ACPI PM timer (fadt.h): a clock with its own crystal
//@{
/// Use the PM timer at I/O port @p port (0: there is none), @p wide when
/// its counter has 32 bits. Called by discovery with what the FADT says.
void pm_timer_set(uint32_t port, bool wide);
/// True when the FADT named a usable PM timer.
bool pm_timer_present();
/// The PM timer's counter (24 or 32 bits; pm_timer_delta() takes the wrap).
uint32_t pm_timer_read();
/// Its counter width flag, for pm_timer_delta().
bool pm_timer_wide();
//@}

/// Busy-wait on the PIT alone for @p us microseconds (at most 50 ms).
uint64_t pit_wait_us(uint32_t us);

/// @name The LAPIC timer of the calling CPU (SDM Vol. 3A 10.5.4)
//@{
/// Measure the LAPIC timer's rate at divide-by-16 against the PIT (best of
/// three 10 ms windows, interrupts off) on the BSP; APs reuse the figure, since
/// every LAPIC timer counts the same bus clock.
void lapic_timer_calibrate();
/// LAPIC timer ticks per millisecond at divide-by-16 (0 before calibration).
uint64_t lapic_timer_khz();
/// Fire @p vector at @p hz, periodically.
void lapic_timer_periodic(uint32_t hz, uint8_t vector);
/// Fire @p vector once, @p us microseconds from now (one-shot mode; TSC-deadline
/// mode when the CPU has it and `use_deadline` is set).
void lapic_timer_oneshot(uint64_t us, uint8_t vector, bool use_deadline = false);
/// Stop and mask the timer.
void lapic_timer_stop();
/// True when this CPU offers TSC-deadline mode (CPUID.01H:ECX[24]).
bool lapic_timer_has_deadline();
//@}
