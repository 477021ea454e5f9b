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
