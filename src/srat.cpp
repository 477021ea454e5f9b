/// @file srat.cpp
/// SRAT and SLIT parsing (ACPI 6.5 5.2.16, 5.2.17); see srat.h.
#include "srat.h"
#include "kstring.h"
#include "log.h"
#include "physmem.h"

namespace {

// ACPI 6.5 5.2.16: the 36-byte header, a reserved word that must be 1
// (kept for compatibility) and 8 reserved bytes, then the entries.
constexpr size_t SRAT_ENTRIES = 48;
// ACPI 6.5 5.2.17: the header, then the 8-byte Number of System Localities.
constexpr size_t SLIT_MATRIX = 44;

/// Length of each entry type read here (ACPI 6.5 5.2.16.1, 5.2.16.2, 5.2.16.3).
uint8_t srat_len(uint8_t type) {
    switch (type) {
    case 0: return 16;  // Processor Local APIC/SAPIC Affinity
    case 1: return 40;  // Memory Affinity
    case 2: return 24;  // Processor Local x2APIC Affinity
    default: return 2;  // GICC, GIC ITS, Generic Initiator/Port: not x86 CPUs or RAM
    }
}

/// Read one entry whose length is already checked; the reason the table is
/// unusable, or nullptr.
const char* srat_entry(SratInfo* out, const uint8_t* e) {
    uint32_t flags, domain, apic;
    switch (e[0]) {
    case 0:  // 5.2.16.1
        // The domain is split: bits 7:0 at offset 2, bits 31:8 at 9..11.
        flags = load_le32(e + 4);
        domain = e[2] | uint32_t(e[9]) << 8 | uint32_t(e[10]) << 16 | uint32_t(e[11]) << 24;
        apic = e[3];
        break;
    case 2:  // 5.2.16.3
        flags = load_le32(e + 12);
        domain = load_le32(e + 4);
        apic = load_le32(e + 8);
        break;
    case 1: {
        flags = load_le32(e + 28);
        uint64_t base = load_le64(e + 8), len = load_le64(e + 16);
        // Enabled clear (bit 0): OSPM ignores the entry (5.2.16.2).
        if (!(flags & 1) || len == 0) { out->disabled += !(flags & 1); return nullptr; }
        if (base + len < base) return "a memory range wraps past 2^64";
        if (out->nmem == MAX_SRAT_MEM) return "more memory ranges than the kernel keeps (MAX_SRAT_MEM)";
        out->mem[out->nmem++] = SratMem{base, len, load_le32(e + 2), (flags & 2) != 0};
        return nullptr;
    }
    default:
        return nullptr;
    }
    if (!(flags & 1)) { ++out->disabled; return nullptr; }
    // More CPUs than the kernel can run: the rest have no kernel id anyway.
    if (out->ncpus < COHORT_MAX_CPUS) out->cpus[out->ncpus++] = SratCpu{apic, domain};
    return nullptr;
}

/// The table's length when @p t holds a whole, checksummed @p sig table of
/// at least @p min bytes; else 0, after one warning.
uint32_t whole_table(const uint8_t* t, size_t len, const char* sig, size_t min, const char* who) {
    uint32_t n = (t != nullptr && len >= min) ? load_le32(t + 4) : 0;
    if (const char* why = table_problem(t, len, sig, min, n)) {
        log_warn("%s: %s (length %u, %zu bytes available); table not used", who, why, n, len);
        return 0;
    }
    return n;
}

}  // namespace

bool srat_parse(const uint8_t* t, size_t len, SratInfo* out) {
    memset(out, 0, sizeof *out);
    uint32_t n = whole_table(t, len, "SRAT", SRAT_ENTRIES, "srat");
    if (n == 0) return false;
    const char* why = nullptr;
    uint32_t off = SRAT_ENTRIES;
    while (why == nullptr && off < n) {
        const uint8_t* e = t + off;
        if (n - off < 2) why = "stray bytes after the last entry";
        else if (e[1] < 2) why = "an entry of length 0 or 1";
        else if (e[1] > n - off) why = "an entry runs past the table end";
        else if (e[1] < srat_len(e[0])) why = "an entry is too short for its type";
        else if ((why = srat_entry(out, e)) == nullptr) off += e[1];
    }
    if (why != nullptr) {
        log_warn("srat: %s (at offset %u of %u bytes); table not used", why, off, n);
        memset(out, 0, sizeof *out);
        return false;
    }
    out->found = true;
    return true;
}

bool slit_parse(const uint8_t* t, size_t len, SlitInfo* out) {
    memset(out, 0, sizeof *out);
    uint32_t n = whole_table(t, len, "SLIT", SLIT_MATRIX, "slit");
    if (n == 0) return false;
    uint64_t k = load_le64(t + 36);
    const char* why = nullptr;
    // Bound k before squaring it, so k * k cannot overflow.
    if (k == 0) why = "0 localities";
    else if (k > MAX_NUMA_NODES) why = "more localities than the kernel keeps (MAX_NUMA_NODES)";
    else if (k * k > n - SLIT_MATRIX) why = "the matrix runs past the table end";
    for (uint32_t i = 0; !why && i < k; ++i) {
        for (uint32_t j = 0; !why && j < k; ++j) {
            uint8_t d = t[SLIT_MATRIX + i * k + j];
            // ACPI 6.5 5.2.17: 10 is a domain to itself, other values are
            // relative to it, 0xFF means unreachable; below 10 is reserved.
            if (i == j && d != 10) why = "a locality is not at distance 10 from itself";
            else if (i != j && d <= 10) why = "a distance between two localities is 10 or less";
            else out->dist[i][j] = d;
        }
    }
    if (why != nullptr) {
        log_warn("slit: %s (%llu localities, %u bytes); table not used", why, (unsigned long long)k, n);
        memset(out, 0, sizeof *out);
        return false;
    }
    out->n = uint32_t(k);
    out->found = true;
    return true;
}
