/// @file cputopo.h
/// The machine's topology in the kernel: each CPU's package, die, core and
/// SMT ids, worked out on that CPU from its own CPUID as it comes online.
///
/// The BSP's layout (topology.h) is the machine's: every CPU's ids are its
/// APIC id (the CPU table's, which its LAPIC confirmed in mpmain) cut by
/// those shifts. What an AP's own CPUID says is compared with it, and the
/// firmware's CPU list (MADT or MP table) is checked to fit in it: a layout
/// that cannot hold the listed CPUs is replaced by the flat fallback, with
/// one warning. Nothing here panics: topology is advice to the scheduler.
///
/// Lines the tests read:
///
///     topology: <p> package(s), [<d> dies/package, ]<c> cores/package, <t> threads/core (<source>)
///     topology: <n> cpus in <p> packages, <d> dies, <c> cores, uneven (<source>)
///     WARN: topology: ...      (one per kind of problem, never one per CPU)
#pragma once
#include "stealorder.h"
#include "topology.h"

struct Cpu;

/// The layout every CPU's ids are cut with (after topology_init_bsp()).
const Topology& machine_topology();

/// The BSP, after discover_cpus(): decode its CPUID, check the layout against
/// ::cpu_table, store its own ids. Logs only problems: the levels are
/// printed by topology_log_summary(), after the bring-up.
void topology_init_bsp();

/// An AP, before it sets its online bit: decode its own CPUID, store its ids
/// in @p c, warn once (for all APs) if its layout differs from the machine's.
void topology_init_ap(Cpu& c);

/// After bring-up: the levels the BSP's CPUID gave (`topology: level ...`)
/// and the summary line, counted over the online CPUs.
void topology_log_summary();

/// The monitor's views: the package > die > core > thread tree of the online
/// CPUs, and the levels with their shift widths. Lines start with "monitor: ".
void topology_print_tree();
/// See topology_print_tree().
void topology_print_levels();

/// How near kernel CPU @p victim is to @p thief (stealorder.h), from their
/// ids and NUMA nodes: the order in which an idle CPU steals (schedule()).
StealLevel cpu_steal_level(uint32_t thief, uint32_t victim);

/// Decode the calling CPU's topology with the CPUID instruction (cpu.cpp,
/// where the instruction source lives); @p c holds its probed features.
/// What topology_decode() returns: false when the layout was replaced.
bool cpu_probe_topology(const Cpu& c, Topology& out);
