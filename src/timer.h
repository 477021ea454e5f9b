/// @file timer.h
/// Time: the TSC calibrated against the PIT, delays, and the monotonic clock
/// behind the log's timestamps.
#pragma once
#include "types.h"

/// TSC value at the BSP's first kernel instruction (boot.asm): time zero.
extern "C" uint64_t boot_tsc;

/// Measure the TSC frequency against PIT channel 2 (interrupts off, best of
/// several runs) and start the monotonic clock. Logs the figure and method.
void timer_calibrate_tsc();
/// True once the TSC frequency is known.
bool time_ready();
/// TSC ticks per millisecond (kHz), 0 before calibration.
uint64_t tsc_khz();
/// Nanoseconds since time zero.
uint64_t now_ns();
/// Convert a TSC difference to nanoseconds.
uint64_t tsc_to_ns(uint64_t ticks);
/// Busy-wait for @p us microseconds (TSC; PIT before calibration).
void udelay(uint64_t us);
/// Busy-wait for @p ms milliseconds.
void mdelay(uint64_t ms);
/// Busy-wait on the PIT alone for @p us microseconds (at most 50 ms).
uint64_t pit_wait_us(uint32_t us);
