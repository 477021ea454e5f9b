/// @file discover.h
/// CPU discovery in the kernel: the firmware tables read through the identity
/// map and the policy of cputable.h applied before the APs start; the summary
/// printed after (discover_log()), so its lines do not delay the first INIT.
#pragma once
#include "cmdline.h"
#include "multiboot2.h"
#include "types.h"

struct FadtInfo;
struct MadtInfo;
struct MpInfo;

/// Read the MADT (unless `acpi=off`) and the MP tables and build ::cpu_table;
/// then the SRAT and SLIT into ::numa_info (numa.h), and the FADT (PM timer,
/// SCI). Only problems are logged here. @p bsp_apic is the BSP's APIC id from
/// CPUID (its LAPIC is not set up yet); @p package_cpus CPUID's logical CPUs
/// per package.
void discover_cpus(const BootOptions& opts, const Mb2Info& mb, uint32_t bsp_apic,
                   uint32_t package_cpus);
/// Print what discover_cpus() found: the CPU table's summary (cputable.h),
/// the NUMA summary and the FADT's PM timer and SCI. kmain calls it once the
/// APs are up: under an emulator each serial byte costs microseconds, and
/// none of these lines is needed to start them.
void discover_log();
/// The MADT as parsed (found == false when there was none, or `acpi=off`).
const MadtInfo& discovered_madt();
/// The MP tables as parsed (found == false when there were none).
const MpInfo& discovered_mp();
/// The FADT as parsed (found == false when there was none, or `acpi=off`).
const FadtInfo& discovered_fadt();
