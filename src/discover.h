/// @file discover.h
/// CPU discovery in the kernel: the firmware tables read through the identity
/// map, the policy of cputable.h applied, and the summary printed.
#pragma once
#include "cmdline.h"
#include "multiboot2.h"
#include "types.h"

struct FadtInfo;
struct MadtInfo;
struct MpInfo;

/// Read the MADT (unless `acpi=off`) and the MP tables, build ::cpu_table and
/// print its summary; then the SRAT and SLIT into ::numa_info (numa.h), and
/// its summary. @p bsp_apic is the BSP's APIC id from CPUID (its LAPIC
/// is not set up yet); @p package_cpus CPUID's logical CPUs per package.
void discover_cpus(const BootOptions& opts, const Mb2Info& mb, uint32_t bsp_apic,
                   uint32_t package_cpus);
/// The MADT as parsed (found == false when there was none, or `acpi=off`).
const MadtInfo& discovered_madt();
/// The MP tables as parsed (found == false when there were none).
const MpInfo& discovered_mp();
/// The FADT as parsed (found == false when there was none, or `acpi=off`).
const FadtInfo& discovered_fadt();
