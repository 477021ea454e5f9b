/// @file stealorder.h
/// How near one CPU is to another, as a CPU out of work sees it: the order in
/// which it looks at the other run queues (runq_steal_nearest(), runq.h).
///
/// A thread that ran on a CPU left its working set in that CPU's caches. The
/// nearer the thief is to the queue it takes the thread from, the more of
/// that set it finds still warm (SDM Vol. 3A 8.9.1 and 8.9.5: logical CPUs of
/// one core share its caches, the cores of a package its last-level cache),
/// and the nearer the thread's memory stays (ACPI 6.5 5.2.16: the SRAT puts
/// each CPU and each memory range on a node). So, nearest first:
///
///     Core     its SMT sibling: same package, die and core (topology.h's ids)
///     Package  another core of its package, whatever its die
///     Node     a CPU of another package on the same NUMA node (numa.h)
///     Machine  anywhere else
///
/// A level may be empty: one thread per core has no sibling, a machine
/// without SRAT is one node (every other package is then at Node level),
/// the flat topology fallback makes every CPU its own package. Portable: the
/// host tests build the same header.
#pragma once
#include "topology.h"
#include "types.h"

/// How far a victim CPU is from a thief, nearest first.
enum class StealLevel : uint8_t {
    Core = 0,     ///< the SMT sibling: same core
    Package = 1,  ///< same package, another core (or die)
    Node = 2,     ///< same NUMA node, another package
    Machine = 3,  ///< another node
};

/// Number of StealLevel values.
constexpr uint32_t steal_levels = 4;

/// Where a CPU sits: what its nearness to others is worked out from.
struct CpuPlace {
    TopoIds ids;    ///< package, die, core and SMT ids (Cpu::topo)
    uint32_t node;  ///< its NUMA node (numa_node_of_cpu())
};

/// How near @p victim is to @p thief (symmetric). The package id is unique in
/// the machine, die and core ids only within the level above (topology.h),
/// hence the comparisons from the top.
constexpr StealLevel steal_level(const CpuPlace& thief, const CpuPlace& victim) {
    if (thief.ids.package == victim.ids.package) {
        bool same_core = thief.ids.die == victim.ids.die && thief.ids.core == victim.ids.core;
        return same_core ? StealLevel::Core : StealLevel::Package;
    }
    return thief.node == victim.node ? StealLevel::Node : StealLevel::Machine;
}

/// "core", "package", "node" or "machine".
constexpr const char* steal_level_name(StealLevel l) {
    switch (l) {
    case StealLevel::Core: return "core";
    case StealLevel::Package: return "package";
    case StealLevel::Node: return "node";
    case StealLevel::Machine: return "machine";
    }
    return "?";
}
