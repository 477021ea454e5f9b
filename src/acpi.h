/// @file acpi.h
/// ACPI CPU discovery: RSDP -> XSDT or RSDT -> MADT (ACPI 6.5 5.2.5-5.2.8, 5.2.12).
///
/// Every read goes through a PhysMem resolver, and every checksum and length
/// is checked before the bytes behind it are used: firmware tables are input,
/// not trusted. Problems are logged as warnings that say what was skipped.
#pragma once
#include "cputable.h"
#include "physmem.h"

/// A validated Root System Description Pointer (ACPI 6.5 5.2.5.3).
struct Rsdp {
    uint64_t phys;     ///< Where it was found; 0 when it came from a boot loader tag.
    uint8_t revision;  ///< 0 for ACPI 1.0 (no XSDT), 2 and above otherwise.
    uint32_t rsdt;     ///< Physical address of the RSDT.
    uint64_t xsdt;     ///< Physical address of the XSDT; 0 when absent (revision 0).
    char oem_id[7];    ///< NUL-terminated OEM id, for the log.
};

/// Validate an RSDP given as bytes (a Multiboot2 ACPI tag payload, or memory).
/// Checks the signature and the 20-byte checksum, and for revision >= 2 the
/// length field (36 ..= @p len) and the extended checksum.
/// @param bytes the candidate structure.
/// @param len   how many bytes are readable at @p bytes.
/// @param out   filled when the result is true (phys set to 0).
/// @param quiet true while scanning: no warning for a candidate that fails.
bool acpi_parse_rsdp(const uint8_t* bytes, size_t len, Rsdp* out, bool quiet = false);

/// Scan for the RSDP where BIOS firmware puts it (ACPI 6.5 5.2.5.1): the first
/// KiB of the EBDA (segment word at 0x40E) and 0xE0000-0xFFFFF, on 16-byte
/// boundaries. Unreadable ranges are skipped.
bool acpi_scan_rsdp(const PhysMem& mem, Rsdp* out);

/// A processor entry of the MADT (types 0 and 9).
struct MadtCpu {
    uint32_t apic_id;    ///< xAPIC id (type 0) or x2APIC id (type 9).
    uint32_t uid;        ///< ACPI processor uid.
    bool enabled;        ///< Enabled flag (bit 0).
    bool online_capable; ///< Online Capable flag (bit 1, MADT revision >= 5).
    bool x2apic;         ///< Came from a Local x2APIC entry.
};

/// Everything the MADT says, in fixed-capacity arrays (no allocation).
struct MadtInfo {
    bool found;           ///< A MADT with a valid checksum was parsed.
    uint8_t revision;     ///< The MADT's header revision.
    uint32_t flags;       ///< MADT flags; bit 0 PCAT_COMPAT (8259s present).
    uint64_t lapic_addr;  ///< Local APIC base, after any type 5 override.
    uint32_t cpu_entries; ///< Processor entries listed (duplicates and overflow included).
    uint32_t ncpus;       ///< Entries kept in @ref cpus.
    MadtCpu cpus[COHORT_MAX_CPUS]; ///< Processor entries in table order.
    uint32_t nioapics;                   ///< Entries in @ref ioapics.
    IoApicInfo ioapics[MAX_IOAPICS];     ///< Type 1 entries.
    uint32_t noverrides;                      ///< Entries in @ref overrides.
    IrqOverride overrides[MAX_IRQ_OVERRIDES]; ///< Type 2 entries.
    uint32_t nnmi_sources;                  ///< Entries in @ref nmi_sources.
    NmiSource nmi_sources[MAX_NMI_ENTRIES]; ///< Type 3 entries.
    uint32_t nlapic_nmis;                   ///< Entries in @ref lapic_nmis.
    LapicNmi lapic_nmis[MAX_NMI_ENTRIES];   ///< Types 4 and 0xA.
    uint32_t problems;    ///< Warnings issued while parsing (0 for a clean table).
};

/// Parse a whole MADT of @p len bytes at @p table into @p out (cleared first).
/// The header checksum and length are verified; entries are walked with each
/// length checked against the table end. Returns out->found.
bool madt_parse(const uint8_t* table, size_t len, MadtInfo* out);

/// The RSDP payloads of the Multiboot2 ACPI tags (types 15 and 14), if any.
struct AcpiRsdpTags {
    const uint8_t* v2 = nullptr; ///< "ACPI new RSDP" tag payload (ACPI 2.0+), or nullptr.
    size_t v2_len = 0;           ///< Its length in bytes.
    const uint8_t* v1 = nullptr; ///< "ACPI old RSDP" tag payload (ACPI 1.0), or nullptr.
    size_t v1_len = 0;           ///< Its length in bytes.
};

/// Physical address and length of a table found through the RSDT/XSDT.
struct AcpiTableRef {
    uint64_t phys; ///< Where the table starts.
    uint32_t len;  ///< Its header length (checksum verified).
};

/// Find the first table with signature @p sig (4 characters) and a valid
/// checksum, through the XSDT when it is present and valid, else the RSDT.
bool acpi_find_table(const PhysMem& mem, const Rsdp& rsdp, const char* sig, AcpiTableRef* out);

/// The whole ACPI path: the RSDP from @p tags (new, then old), else by
/// scanning; then the root table; then the MADT, parsed into @p out.
/// Returns true when a MADT was found and parsed. When an RSDP was found it
/// is copied to @p rsdp (if given), so that other tables (the SRAT) can be
/// looked up with acpi_find_table() without a second search.
bool acpi_discover(const PhysMem& mem, const AcpiRsdpTags& tags, MadtInfo* out, Rsdp* rsdp = nullptr);
