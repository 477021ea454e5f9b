/// @file pic.h
/// The legacy 8259A pair, remapped and silenced: Cohort delivers interrupts
/// through the IOAPIC and the LAPICs.
#pragma once
#include "types.h"

/// First vector of the remapped master 8259 (the slave follows at +8). Only
/// spurious IRQ 7/15 can still arrive once every line is masked; they land in
/// the top device class (runlevel.h), far from the CPU exceptions.
constexpr uint8_t PIC_VECTOR_BASE = 0xB0;

/// Remap both 8259s to PIC_VECTOR_BASE and mask every line (8259A datasheet, ICW1-4).
void pic_disable();
/// Spurious interrupts the 8259s raised so far.
uint32_t pic_spurious_count();
/// Leave PIC mode on a board whose MP floating pointer has IMCRP set (MP 1.4
/// 3.6.2.1): route INTR and NMI through the BSP's local APIC.
void pic_imcr_to_apic();
