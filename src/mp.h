/// @file mp.h
/// The legacy Intel MultiProcessor tables (MP spec 1.4, chapter 4 and 5).
///
/// Older than ACPI and still built by SeaBIOS and Bochs: a 16-byte floating
/// pointer ("_MP_") in low memory that leads to a configuration table
/// ("PCMP") listing processors, buses, IOAPICs and interrupt wiring. Entries
/// have fixed sizes and no length field, so an unknown entry type ends the
/// walk. A floating pointer may instead name one of seven default
/// configurations (chapter 5), with no table at all.
#pragma once
#include "cputable.h"
#include "physmem.h"

/// Capacity for bus entries.
constexpr uint32_t MP_MAX_BUSES = 32;
/// Capacity for I/O interrupt assignment entries.
constexpr uint32_t MP_MAX_IRQS = 128;
/// Capacity for local interrupt assignment entries.
constexpr uint32_t MP_MAX_LINTS = 16;

/// A processor entry (type 0, 20 bytes).
struct MpCpu {
    uint8_t apic_id;    ///< Local APIC id.
    bool enabled;       ///< CPU flags bit 0 (EN): usable.
    bool bsp;           ///< CPU flags bit 1 (BP): the bootstrap processor.
    uint32_t signature; ///< CPUID signature (family/model/stepping).
};

/// A bus entry (type 1, 8 bytes).
struct MpBus {
    uint8_t id;      ///< Bus id used by interrupt entries.
    char type[7];    ///< Bus type string ("ISA   ", "PCI   ", ...), NUL-terminated.
};

/// An interrupt assignment entry: I/O (type 3) or local (type 4), 8 bytes each.
struct MpIrq {
    uint8_t irq_type;  ///< 0 INT, 1 NMI, 2 SMI, 3 ExtINT.
    uint16_t flags;    ///< MPS INTI flags (polarity, trigger).
    uint8_t src_bus;   ///< Source bus id.
    uint8_t src_irq;   ///< Source bus IRQ (for PCI: device << 2 | pin).
    uint8_t dst_id;    ///< Destination IOAPIC id (type 3) or local APIC id, 0xFF = all (type 4).
    uint8_t dst_pin;   ///< INTIN# (type 3) or LINTIN# (type 4).
};

/// Everything the MP tables say, in fixed-capacity arrays.
struct MpInfo {
    bool found;             ///< A valid floating pointer (and table, unless default) was found.
    uint8_t default_config; ///< Feature byte 1: 0 = a table follows, 1..7 = default configuration.
    bool imcr;              ///< Feature byte 2 bit 7: the IMCR is present (PIC mode at boot).
    uint64_t fp_phys;       ///< Where the floating pointer is.
    uint32_t table_phys;    ///< Where the configuration table is (0 for a default configuration).
    uint32_t lapic_addr;    ///< Local APIC base from the table header.
    uint32_t cpu_entries;   ///< Processor entries listed (duplicates and overflow included).
    uint32_t ncpus;         ///< Entries kept in @ref cpus.
    MpCpu cpus[COHORT_MAX_CPUS]; ///< Processor entries in table order.
    uint32_t nbuses;             ///< Entries in @ref buses.
    MpBus buses[MP_MAX_BUSES];   ///< Bus entries.
    uint32_t nioapics;               ///< Entries in @ref ioapics.
    IoApicInfo ioapics[MAX_IOAPICS]; ///< Enabled IOAPICs; the first gets GSI base 0.
    uint32_t nirqs;                  ///< Entries in @ref irqs.
    MpIrq irqs[MP_MAX_IRQS];         ///< I/O interrupt assignments.
    uint32_t nlints;                 ///< Entries in @ref lints.
    MpIrq lints[MP_MAX_LINTS];       ///< Local interrupt assignments.
    uint32_t problems;               ///< Warnings issued while parsing.
};

/// Parse a configuration table of @p len readable bytes at @p table into
/// @p out (which the caller cleared): the "PCMP" signature, base length and
/// checksum, then every base entry. The extended table is skipped.
bool mp_parse_config(const uint8_t* table, size_t len, MpInfo* out);

/// Fill @p out with a default configuration of type @p type (1..7, MP spec 1.4
/// chapter 5): two CPUs with APIC ids 0 (the BSP) and 1, an IOAPIC with id 2
/// at 0xFEC00000. Returns false for an undefined type.
bool mp_default_config(uint8_t type, MpInfo* out);

/// Find the floating pointer (MP spec 1.4 4.1: the EBDA's first KiB, the last
/// KiB of base memory, 0xF0000-0xFFFFF) and parse what it leads to into @p out.
/// Returns out->found.
bool mp_discover(const PhysMem& mem, MpInfo* out);
