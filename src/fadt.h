/// @file fadt.h
/// What Cohort reads from the ACPI FADT (ACPI 6.5 5.2.9, Table 5.9): where
/// the ACPI power-management timer is, and what it takes to receive an SCI.
/// The PM timer counts at 3.579545 MHz from its own crystal: a clock that was
/// not calibrated against the PIT, so the timer self-tests can check the TSC
/// and the LAPIC timer against it (docs/timers.md). The SCI is the ACPI
/// hardware's one interrupt, a level-triggered, shared ISA line: the `sci`
/// self-test routes it through the IOAPIC (docs/lapic.md).
#pragma once
#include "types.h"

/// The PM timer's frequency (ACPI 6.5 4.8.3.3: 3.579545 MHz).
constexpr uint32_t pm_timer_hz = 3579545;

/// What the FADT says about the PM timer and the SCI.
struct FadtInfo {
    bool found;         ///< A FADT was parsed.
    uint8_t revision;   ///< Its header revision.
    uint16_t sci_irq;   ///< SCI_INT: the SCI's interrupt (an ISA irq, or a GSI).
    uint32_t pm_timer;  ///< I/O port of the PM timer, 0 when there is none usable.
    bool pm_timer_32;   ///< TMR_VAL_EXT: the counter is 32 bits wide, else 24.
    bool pm_from_x;     ///< The port came from X_PM_TMR_BLK (a Generic Address).
    /// @name The SCI's fixed hardware (ACPI 6.5 4.8, PM1 registers): all zero unless @ref sci.
    /// @{
    bool sci;             ///< Every field below is usable.
    bool hw_reduced;      ///< HW_REDUCED_ACPI: no fixed hardware, so no PM1 events.
    uint16_t smi_cmd;     ///< SMI_CMD port; 0: no legacy mode, ACPI mode already on.
    uint8_t acpi_enable;  ///< ACPI_ENABLE: written to SMI_CMD to enter ACPI mode.
    uint16_t pm1a_evt;    ///< PM1a_EVT_BLK: PM1 status, then PM1 enable at + pm1_evt_len / 2.
    uint8_t pm1_evt_len;  ///< PM1_EVT_LEN: at least 4, even.
    uint16_t pm1a_cnt;    ///< PM1a_CNT_BLK: PM1 control (SCI_EN is bit 0).
    /// @}
};

/// PM1 status and enable bits (ACPI 6.5 Tables 4.11 and 4.12): the
/// same bit in both registers names one fixed event.
namespace pm1 {
constexpr uint16_t tmr = 1u << 0;      ///< TMR_STS/TMR_EN: the PM timer's top bit changed.
constexpr uint16_t pwrbtn = 1u << 8;   ///< PWRBTN_STS/PWRBTN_EN: the power button.
constexpr uint16_t sci_en = 1u << 0;   ///< PM1_CNT SCI_EN (Table 4.13): events raise the SCI, not an SMI.
}  // namespace pm1

/// Parse a FADT of @p len bytes (the checksum was checked by whoever found
/// it): PM_TMR_BLK at offset 76, PM_TMR_LEN at 91 (must be 4), the flags at
/// 112, X_PM_TMR_BLK at 208 where the table is that long. A nonzero
/// X_PM_TMR_BLK in system I/O space wins over PM_TMR_BLK (ACPI 6.5 Table
/// 5.9); one in memory space is not used (Cohort reads the timer with `inl`).
/// The SCI's blocks the same way: SMI_CMD at 48, ACPI_ENABLE at 52,
/// PM1a_EVT_BLK at 56 (X_ at 148), PM1a_CNT_BLK at 64 (X_ at 172),
/// PM1_EVT_LEN at 88, PM1_CNT_LEN at 89.
/// Each problem is one warning; the result then has no PM timer, or no SCI.
bool fadt_parse(const uint8_t* table, size_t len, FadtInfo* out);

/// Ticks of the PM timer between two readings @p a then @p b, across one
/// wrap of a counter of 24 or 32 bits.
constexpr uint32_t pm_timer_delta(uint32_t a, uint32_t b, bool wide) {
    return wide ? b - a : (b - a) & 0xFFFFFFu;
}
