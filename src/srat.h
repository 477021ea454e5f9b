/// @file srat.h
/// The NUMA tables as parsed: the SRAT (ACPI 6.5 5.2.16) names the proximity
/// domain of each processor and memory range; the SLIT (ACPI 6.5 5.2.17)
/// gives the relative distance between every two domains.
///
/// Like madt_parse(), these parsers take the table's bytes and fill a
/// fixed-capacity result, checking every length and count against the table
/// before reading behind it. Unlike the MADT, a table that is wrong anywhere
/// is not used at all (found == false, one warning saying why): half a node
/// map would place memory on the wrong node, which is worse than the "one
/// node" answer numa_build() gives without it. Unknown entry types are
/// skipped by their length (ACPI 6.5 5.2.16: the table grows new types).
#pragma once
#include "config.h"
#include "types.h"

/// Most memory ranges kept from an SRAT; a table with more is not used.
constexpr uint32_t MAX_SRAT_MEM = 64;
/// Most NUMA nodes (proximity domains) the kernel keeps; a machine with more
/// runs as one node. A SLIT with more localities than this is not used either.
constexpr uint32_t MAX_NUMA_NODES = 16;

/// An enabled processor affinity entry (SRAT types 0 and 2).
struct SratCpu {
    uint32_t apic_id; ///< xAPIC id (type 0) or x2APIC id (type 2).
    uint32_t domain;  ///< Proximity domain.
};

/// An enabled memory affinity entry (SRAT type 1).
struct SratMem {
    uint64_t base;    ///< First byte.
    uint64_t len;     ///< Length in bytes (never 0: empty entries are skipped).
    uint32_t domain;  ///< Proximity domain.
    bool hotplug;     ///< Hot Pluggable flag (bit 1): may be absent now.
};

/// What an SRAT says, in fixed arrays.
struct SratInfo {
    bool found;        ///< A well-formed SRAT was parsed; false: do not use it.
    uint32_t ncpus;    ///< Entries in @ref cpus.
    SratCpu cpus[COHORT_MAX_CPUS]; ///< Enabled processor entries, table order.
    uint32_t nmem;     ///< Entries in @ref mem.
    SratMem mem[MAX_SRAT_MEM];     ///< Enabled memory entries, table order.
    uint32_t disabled; ///< Entries skipped because their Enabled flag is clear.
};

/// The distance matrix of a SLIT.
struct SlitInfo {
    bool found;        ///< A well-formed SLIT was parsed; false: do not use it.
    uint32_t n;        ///< Number of system localities (proximity domains 0..n-1).
    uint8_t dist[MAX_NUMA_NODES][MAX_NUMA_NODES]; ///< dist[i][j]: from domain i to j; 10 = local.
};

/// Parse the SRAT of @p len bytes at @p t into @p out (cleared first).
/// Returns out->found; false after exactly one warning when the table is
/// unusable (bad header, an entry that does not fit, too many ranges).
bool srat_parse(const uint8_t* t, size_t len, SratInfo* out);

/// Parse the SLIT of @p len bytes at @p t into @p out (cleared first).
/// Returns out->found; false after exactly one warning when the locality
/// count is 0, larger than MAX_NUMA_NODES or than the table, or a distance
/// breaks ACPI 6.5 5.2.17's rules (10 on the diagonal, more elsewhere).
bool slit_parse(const uint8_t* t, size_t len, SlitInfo* out);
