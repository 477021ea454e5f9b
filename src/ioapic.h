/// @file ioapic.h
/// The I/O APICs: device interrupts (GSIs) routed to a chosen CPU
/// (82093AA datasheet; ACPI 6.5 5.2.12.3 IOAPIC, 5.2.12.5 overrides).
#pragma once
#include "cputable.h"  // InputMode, isa_input
#include "types.h"

/// Find every IOAPIC of ::cpu_table, map it uncached, read its version and
/// size, and mask every redirection entry. Logs one line per IOAPIC.
void ioapic_init();
/// Route ISA @p irq (through the source overrides: GSI, polarity, trigger)
/// to @p vector on CPU @p cpu (kernel id), physical destination mode, and
/// unmask it. @p bus is the input's mode where no override, or an override's
/// "conforms" flags, say otherwise: isa_input for ISA devices, sci_input for
/// the ACPI SCI. False (logged) when no IOAPIC serves the GSI or the CPU's
/// APIC id does not fit the entry's 8-bit destination.
bool ioapic_route(uint32_t irq, uint8_t vector, uint32_t cpu, InputMode bus = isa_input);
/// Read the redirection entry that ISA @p irq arrives on (after the
/// overrides) into @p out. False when no IOAPIC serves it.
bool ioapic_entry_of_irq(uint32_t irq, RedirEntry* out);
/// Mask ISA @p irq again.
void ioapic_mask(uint32_t irq);
/// The GSI that ISA @p irq arrives on (after the overrides).
uint32_t ioapic_gsi_of_irq(uint32_t irq);
/// Log every unmasked redirection entry (the monitor's view).
void ioapic_dump();
