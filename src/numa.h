/// @file numa.h
/// NUMA nodes: which node each CPU and each memory range belongs to, and how
/// far apart the nodes are.
///
/// numa_build() turns the parsed SRAT and SLIT (srat.h) into dense node
/// numbers 0..nodes-1, in ascending order of the firmware's proximity
/// domains, the way cpu_table_build() turns APIC ids into kernel ids. Without
/// a usable SRAT the machine is one node: every CPU and every frame on node 0,
/// and the summary says why, once:
///
///     numa: 2 nodes; node 0: cpus 0-1, 512 MiB; node 1: cpus 2-3, 512 MiB; distances 10 20 / 20 10
///     numa: 1 node (no SRAT); node 0: cpus 0-3, all memory; distances 10
///
/// Everyone else asks: numa_node_of_cpu(), numa_node_of() for a physical
/// address, numa_distance() between nodes, numa_by_distance() for a nearest-
/// first order. Nothing outside srat.cpp and numa.cpp reads the tables.
#pragma once
#include "config.h"
#include "srat.h"
#include "types.h"

struct CpuTable;
struct PhysMem;
struct Rsdp;

/// ACPI 6.5 5.2.17: a node's distance to itself; the SLIT's unit.
constexpr uint8_t NUMA_LOCAL = 10;
/// The distance between two nodes when there is no usable SLIT (Linux uses it too).
constexpr uint8_t NUMA_REMOTE = 20;

/// A memory range and its node.
struct NumaRange {
    uint64_t base; ///< First byte.
    uint64_t len;  ///< Length in bytes.
    uint32_t node; ///< Dense node number.
};

/// The node map. All zero until numa_build() (nodes == 0: not known yet).
struct NumaInfo {
    uint32_t nodes;            ///< Number of nodes; 1 without a usable SRAT.
    const char* one_node_why;  ///< Why there is only one node ("no SRAT", ...), or nullptr.
    bool have_slit;            ///< Distances came from a SLIT, not the 10/20 default.
    uint32_t domain[MAX_NUMA_NODES];                   ///< Proximity domain of each node.
    uint8_t distance[MAX_NUMA_NODES][MAX_NUMA_NODES];  ///< distance[a][b] between nodes.
    uint8_t cpu_node[COHORT_MAX_CPUS];                 ///< Node of each kernel CPU id.
    uint32_t nranges;                                  ///< Entries in @ref ranges.
    NumaRange ranges[MAX_SRAT_MEM];                    ///< Memory of the nodes, sorted by base.
};

/// Build the node map for the usable CPUs of a CPU table.
/// @param out  the map to fill (fully overwritten).
/// @param srat the parsed SRAT, or nullptr when the machine has none (or
///             with `acpi=off`); one with found == false is not used.
/// @param slit the parsed SLIT, or nullptr; not used unless it is found and
///             covers every node's domain.
/// @param cpus the CPU table: its usable CPUs get a node each.
/// An SRAT that contradicts itself (one byte in two domains, more domains
/// than MAX_NUMA_NODES) gives one warning and one node.
void numa_build(NumaInfo* out, const SratInfo* srat, const SlitInfo* slit, const CpuTable& cpus);

/// The kernel's whole path, which the host tests run on recorded machines:
/// find the SRAT and the SLIT through @p rsdp (nullptr: no ACPI, as with
/// `acpi=off`), parse them into @p srat and @p slit (the caller's storage:
/// an SratInfo is too large for a kernel stack), then numa_build() into @p out.
void numa_discover(const PhysMem& mem, const Rsdp* rsdp, const CpuTable& cpus, SratInfo* srat, SlitInfo* slit,
                   NumaInfo* out);

/// Print the summary (see the file comment) through log_info: one line for
/// up to four nodes, else a count and one line per node.
void numa_log(const NumaInfo& n, const CpuTable& cpus);

/// The node of physical address @p phys, or -1 when no node's range holds it
/// (with one node: always 0).
int numa_node_of(const NumaInfo& n, uint64_t phys);

/// Fill @p order with every node, nearest to @p from first (@p from itself,
/// then by distance; ties by node number). Returns the number of nodes.
uint32_t numa_by_distance(const NumaInfo& n, uint32_t from, uint32_t order[MAX_NUMA_NODES]);

/// The kernel's own map, built by the BSP before any AP starts, read-only after.
extern NumaInfo numa_info;

/// The node of kernel CPU @p kid in ::numa_info (0 before it is built).
uint32_t numa_node_of_cpu(uint32_t kid);

/// The distance between nodes @p a and @p b in ::numa_info: NUMA_LOCAL for
/// a == b, larger for farther; NUMA_REMOTE for a node that does not exist.
uint32_t numa_distance(uint32_t a, uint32_t b);
