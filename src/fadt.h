/// @file fadt.h
/// The one thing Cohort reads from the ACPI FADT (ACPI 6.5 5.2.9, Table 5.9):
/// where the ACPI power-management timer is. The PM timer counts at
/// 3.579545 MHz from its own crystal: a clock that was not calibrated against
/// the PIT, so the timer self-tests can check the TSC and the LAPIC timer
/// against it (docs/timers.md).
#pragma once
#include "types.h"

/// The PM timer's frequency (ACPI 6.5 4.8.3.3: 3.579545 MHz).
constexpr uint32_t pm_timer_hz = 3579545;

/// What the FADT says about the PM timer.
struct FadtInfo {
    bool found;         ///< A FADT was parsed.
    uint8_t revision;   ///< Its header revision.
    uint16_t sci_irq;   ///< SCI_INT: the SCI's interrupt (an ISA irq, or a GSI).
    uint32_t pm_timer;  ///< I/O port of the PM timer, 0 when there is none usable.
    bool pm_timer_32;   ///< TMR_VAL_EXT: the counter is 32 bits wide, else 24.
    bool pm_from_x;     ///< The port came from X_PM_TMR_BLK (a Generic Address).
};

/// Parse a FADT of @p len bytes (the checksum was checked by whoever found
/// it): PM_TMR_BLK at offset 76, PM_TMR_LEN at 91 (must be 4), the flags at
/// 112, X_PM_TMR_BLK at 208 where the table is that long. A nonzero
/// X_PM_TMR_BLK in system I/O space wins over PM_TMR_BLK (ACPI 6.5 Table
/// 5.9); one in memory space is not used (Cohort reads the timer with `inl`).
/// Each problem is one warning; the result then has no PM timer.
bool fadt_parse(const uint8_t* table, size_t len, FadtInfo* out);

/// Ticks of the PM timer between two readings @p a then @p b, across one
/// wrap of a counter of 24 or 32 bits.
constexpr uint32_t pm_timer_delta(uint32_t a, uint32_t b, bool wide) {
    return wide ? b - a : (b - a) & 0xFFFFFFu;
}
