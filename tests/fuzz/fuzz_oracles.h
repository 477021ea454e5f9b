// Oracles for the fuzz targets: facts about a parser's result that must hold
// for every input, checked beyond "it did not crash". A broken fact prints
// what broke and aborts, which libFuzzer reports as a crash with the input.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include "acpi.h"
#include "cputable.h"
#include "numa.h"
#include "srat.h"

// Harness code that is not a parser nor an oracle (checksum fix-ups): no
// coverage tracing, which would only add cost and features of its own.
#define FUZZ_HARNESS __attribute__((no_sanitize("coverage")))

#define ORACLE(cond, ...)                                   \
    do {                                                    \
        if (!(cond)) {                                      \
            std::fprintf(stderr, "oracle: " __VA_ARGS__);   \
            std::fprintf(stderr, " (%s)\n", #cond);         \
            std::abort();                                   \
        }                                                   \
    } while (0)

/// The CPU table is consistent: dense kernel ids for the usable CPUs first,
/// no APIC id twice among them, the BSP (if listed) first, by_apic sorted.
inline void check_cpu_table(const CpuTable& t) {
    ORACLE(t.count <= COHORT_MAX_CPUS, "%u entries", t.count);
    ORACLE(t.usable <= t.count, "%u usable of %u", t.usable, t.count);
    ORACLE(t.to_start <= t.usable || (t.usable == 0 && t.to_start <= 1), "%u to start of %u usable", t.to_start,
           t.usable);
    uint32_t bsps = 0;
    for (uint32_t k = 0; k < t.count; ++k) {
        const CpuEntry& e = t.cpus[k];
        if (k < t.usable) {
            ORACLE(e.kid == (int32_t)k && e.usable, "cpus[%u] kid %d usable %d", k, e.kid, e.usable);
            for (uint32_t j = 0; j < k; ++j)
                ORACLE(t.cpus[j].apic_id != e.apic_id, "apic id %u twice (kernel ids %u and %u)", e.apic_id, j, k);
            ORACLE(cpu_table_kernel_id(t, e.apic_id) == (int)k, "lookup of apic %u", e.apic_id);
            ORACLE(!e.will_start || k < t.to_start, "cpu %u will start but to_start is %u", k, t.to_start);
        } else {
            ORACLE(e.kid == -1 && !e.usable && !e.will_start, "unusable cpus[%u] kid %d", k, e.kid);
        }
        if (e.bsp) {
            ++bsps;
            ORACLE(k == 0, "the BSP is cpus[%u], not cpus[0]", k);
        }
    }
    ORACLE(bsps <= 1, "%u BSPs", bsps);
    for (uint32_t i = 1; i < t.usable; ++i)
        ORACLE(t.cpus[t.by_apic[i - 1]].apic_id < t.cpus[t.by_apic[i]].apic_id, "by_apic not sorted at %u", i);
}

/// What an independent walk of the MADT finds: processor entries (types 0
/// and 9, long enough) and IOAPIC entries, up to the first length that cannot
/// be trusted. The parser's counts must agree.
struct MadtWalk {
    uint32_t cpus = 0, ioapics = 0;
};

inline MadtWalk walk_madt(const uint8_t* t, size_t len) {
    MadtWalk w;
    if (len < 44) return w;
    uint32_t n;
    std::memcpy(&n, t + 4, 4);
    if (n > len) return w;
    for (uint32_t off = 44; off + 2 <= n;) {
        uint8_t type = t[off], l = t[off + 1];
        if (l < 2 || l > n - off) break;
        if ((type == 0 && l >= 8) || (type == 9 && l >= 16)) ++w.cpus;
        if (type == 1 && l >= 12) ++w.ioapics;
        off += l;
    }
    return w;
}

/// The MADT result agrees with the walk and stays within its capacities.
inline void check_madt(const MadtInfo& m, const uint8_t* t, size_t len) {
    ORACLE(m.ncpus <= COHORT_MAX_CPUS && m.ncpus <= m.cpu_entries, "%u kept of %u listed", m.ncpus, m.cpu_entries);
    ORACLE(m.nioapics <= MAX_IOAPICS && m.noverrides <= MAX_IRQ_OVERRIDES, "capacities");
    if (!m.found) return;
    MadtWalk w = walk_madt(t, len);
    ORACLE(m.cpu_entries == w.cpus, "the parser counted %u processor entries, the walk %u", m.cpu_entries, w.cpus);
    ORACLE(m.nioapics == (w.ioapics < MAX_IOAPICS ? w.ioapics : MAX_IOAPICS), "%u IOAPICs, the walk %u", m.nioapics,
           w.ioapics);
    for (uint32_t i = 0; i < m.ncpus; ++i)
        for (uint32_t j = 0; j < i; ++j) ORACLE(m.cpus[i].apic_id != m.cpus[j].apic_id, "apic id %u kept twice", m.cpus[i].apic_id);
}

/// What an independent walk of an SRAT keeps: enabled processor entries
/// (types 0 and 2) and enabled, non-empty memory entries (type 1).
struct SratWalk {
    uint32_t cpus = 0, mem = 0;
};

inline SratWalk walk_srat(const uint8_t* t, uint32_t n) {
    SratWalk w;
    for (uint32_t off = 48; off + 2 <= n;) {
        uint8_t type = t[off], l = t[off + 1];
        if (l < 2 || l > n - off) break;
        uint32_t flags = 0;
        uint64_t len = 1;
        if (type == 0 && l >= 16) std::memcpy(&flags, t + off + 4, 4);
        if (type == 2 && l >= 24) std::memcpy(&flags, t + off + 12, 4);
        if (type == 1 && l >= 40) std::memcpy(&flags, t + off + 28, 4), std::memcpy(&len, t + off + 16, 8);
        if ((flags & 1) && len) ++(type == 1 ? w.mem : w.cpus);
        off += l;
    }
    return w;
}

/// A found SRAT agrees with the walk; a table not used holds nothing.
inline void check_srat(const SratInfo& s, const uint8_t* t, uint32_t n) {
    ORACLE(s.ncpus <= COHORT_MAX_CPUS && s.nmem <= MAX_SRAT_MEM, "capacities");
    if (!s.found) {
        ORACLE(s.ncpus == 0 && s.nmem == 0, "an unused SRAT kept %u cpus, %u ranges", s.ncpus, s.nmem);
        return;
    }
    SratWalk w = walk_srat(t, n);
    ORACLE(s.ncpus == (w.cpus < COHORT_MAX_CPUS ? w.cpus : COHORT_MAX_CPUS), "%u cpus, the walk %u", s.ncpus, w.cpus);
    ORACLE(s.nmem == w.mem, "%u ranges, the walk %u", s.nmem, w.mem);
    for (uint32_t i = 0; i < s.nmem; ++i)
        ORACLE(s.mem[i].len && s.mem[i].base + s.mem[i].len > s.mem[i].base, "range %u empty or wraps", i);
}

/// The node map is an answer the kernel can use: 1..MAX_NUMA_NODES nodes,
/// every CPU on one of them, ACPI's distance rules, ranges sorted, and
/// numa_node_of() naming each range's own node.
inline void check_numa(const NumaInfo& n, const CpuTable& t) {
    ORACLE(n.nodes >= 1 && n.nodes <= MAX_NUMA_NODES, "%u nodes", n.nodes);
    for (uint32_t k = 0; k < t.usable; ++k) ORACLE(n.cpu_node[k] < n.nodes, "cpu %u on node %u", k, n.cpu_node[k]);
    for (uint32_t a = 0; a < n.nodes; ++a)
        for (uint32_t b = 0; b < n.nodes; ++b)
            ORACLE((a == b) == (n.distance[a][b] == NUMA_LOCAL) && n.distance[a][b] >= NUMA_LOCAL,
                   "distance(%u, %u) = %u", a, b, n.distance[a][b]);
    ORACLE(n.nranges <= MAX_SRAT_MEM, "%u ranges", n.nranges);
    for (uint32_t i = 0; i < n.nranges; ++i) {
        ORACLE(n.ranges[i].node < n.nodes, "range %u on node %u", i, n.ranges[i].node);
        ORACLE(i == 0 || n.ranges[i - 1].base <= n.ranges[i].base, "ranges not sorted at %u", i);
        ORACLE(numa_node_of(n, n.ranges[i].base) == int(n.ranges[i].node), "range %u's base on another node", i);
    }
}
