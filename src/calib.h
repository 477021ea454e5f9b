/// @file calib.h
/// The arithmetic of time: turning counts measured against the PIT (or read
/// from CPUID) into rates, and TSC ticks into nanoseconds without overflow.
/// Pure functions, the same in the kernel (timer.cpp) and the host tests.
#pragma once
#include "types.h"

/// The 8254 PIT's input clock, in Hz.
constexpr uint32_t PIT_HZ = 1193182;

/// The PIT count that lasts @p us microseconds (clamped to the 16-bit counter, at least 2).
constexpr uint32_t pit_count_for_us(uint32_t us) {
    uint64_t c = (uint64_t)PIT_HZ * us / 1000000;
    return c > 0xFFFF ? 0xFFFF : c < 2 ? 2 : (uint32_t)c;
}

/// Ticks per millisecond (kHz) of a counter that advanced @p ticks while the
/// PIT counted down @p pit_count: ticks / (pit_count / PIT_HZ s) / 1000.
constexpr uint64_t khz_from_pit(uint64_t ticks, uint32_t pit_count) {
    return pit_count ? ticks * PIT_HZ / pit_count / 1000 : 0;
}

/// The PIT window the TSC is calibrated over, in microseconds.
constexpr uint32_t PIT_WINDOW_US = 2000;
/// How many windows: the smallest count wins, as a disturbance only ever
/// makes a window longer.
constexpr uint32_t PIT_WINDOWS = 3;
/// What one read of port 0x61 may take (an ISA-speed read on real chipsets is
/// about 1 us; under QEMU TCG it is a fraction of that).
constexpr uint32_t PORT_READ_NS = 1000;

/// The worst error, in parts per million, of a rate measured over one PIT
/// window of @p window_us: the gated counter starts at the next PIT clock
/// edge after the TSC was read (up to one period, 1 / 1.193182 MHz = 838 ns),
/// and the poll sees OUT go high up to one port read (@p read_ns) late. Both
/// only lengthen the window as the TSC sees it; nothing shortens it.
constexpr uint32_t pit_error_ppm(uint32_t window_us, uint32_t read_ns) {
    return window_us ? (uint32_t)(((uint64_t)1000000000 / PIT_HZ + 1 + read_ns) * 1000 / window_us) : 0;
}

/// @name The early window: the PIT counts while the kernel boots
/// timer_calibrate_begin() loads PIT channel 2 with the full count at kernel
/// entry; timer_calibrate_end() reads how far it got once the memory map and
/// the CPU's features are known. The boot's own work is the window.
//@{
/// The count the early window starts from: 65535 periods, 54.9 ms.
constexpr uint32_t EARLY_COUNT = 0xFFFF;
/// The shortest early window, in microseconds: a boot quicker than this waits
/// for the rest (on hardware the steps take far less; under QEMU about 4 ms).
constexpr uint32_t EARLY_WINDOW_MIN_US = 4000;
/// How many times the window's end is read: the read with the narrowest
/// bracket of TSC reads wins (a preempted vCPU widens a bracket).
constexpr uint32_t EARLY_END_READS = 5;

/// PIT periods since the load, from a latched count of a mode-0 counter
/// loaded with @p loaded: it counts down to 0 and then wraps, so the count
/// says the time only while the output is still low (@p out_high false).
/// 0 when it has wrapped (the window ran past 54.9 ms: unusable).
constexpr uint32_t pit_elapsed(uint32_t loaded, uint32_t latched, bool out_high) {
    return out_high || latched > loaded ? 0 : loaded - latched;
}

/// The worst error, in ppm, of a rate taken over an early window of
/// @p periods PIT periods whose two ends were each read between two TSC
/// reads @p slack_ns apart in all (both brackets together). Each end is
/// taken at its bracket's middle, so half of each bracket is its error; the
/// count moves in whole periods, one at the load and one at the read (838 ns
/// each).
constexpr uint32_t early_error_ppm(uint32_t periods, uint64_t slack_ns) {
    uint64_t window_ns = (uint64_t)periods * 1000000000ull / PIT_HZ;
    uint64_t error_ns = slack_ns / 2 + 2 * (1000000000ull / PIT_HZ + 1);
    return window_ns ? (uint32_t)(error_ns * 1000000 / window_ns) : 0;
}
//@}

/// Ticks per millisecond of a counter that advanced @p ticks while the TSC,
/// running at @p tsc_khz, advanced @p tsc_ticks: how the LAPIC timer is
/// measured once the TSC is known.
constexpr uint64_t khz_from_tsc(uint64_t ticks, uint64_t tsc_ticks, uint64_t tsc_khz) {
    return tsc_ticks ? ticks * tsc_khz / tsc_ticks : 0;
}

/// Nanoseconds for @p ticks of a @p khz counter. Split in two so the products
/// stay within 64 bits for days of uptime at any realistic frequency.
constexpr uint64_t ticks_to_ns(uint64_t ticks, uint64_t khz) {
    return khz ? ticks / khz * 1000000 + ticks % khz * 1000000 / khz : 0;
}

/// TSC frequency in kHz from CPUID leaf 0x15 (SDM Vol. 2A, CPUID 15H: TSC =
/// crystal * EBX / EAX), or 0 when the leaf does not say (EAX, EBX or the
/// crystal frequency ECX is 0).
constexpr uint64_t tsc_khz_from_leaf15(uint32_t eax_denominator, uint32_t ebx_numerator, uint32_t ecx_crystal_hz) {
    return eax_denominator && ebx_numerator && ecx_crystal_hz
               ? (uint64_t)ecx_crystal_hz * ebx_numerator / eax_denominator / 1000
               : 0;
}

/// True when two rates agree within @p percent (a CPUID figure is trusted only
/// when it matches what the PIT measured).
constexpr bool rates_agree(uint64_t a, uint64_t b, uint32_t percent) {
    uint64_t hi = a > b ? a : b, lo = a > b ? b : a;
    return hi && (hi - lo) * 100 <= (uint64_t)percent * hi;
}
