/// @file cpu.h (host fake)
/// The few fields of the per-CPU block that lapic.cpp and the runlevel
/// backend use, for one fake CPU (fake_device.cpp). Not the kernel's cpu.h.
#pragma once
#include "cpuid.h"
#include "types.h"

/// The kernel's ApicMode (src/cpu.h), same names and order.
enum class ApicMode : uint8_t { None, XApic, X2Apic };

/// Name of an APIC mode, as the kernel prints it.
inline const char* apic_mode_name(ApicMode m) {
    return m == ApicMode::X2Apic ? "x2apic" : m == ApicMode::XApic ? "xapic" : "none";
}

/// The fields of the kernel's Cpu that the code under test reads or writes.
struct Cpu {
    uint32_t id = 0;
    uint32_t apic_id = 0;
    uint8_t runlevel = 0;
    ApicMode apic_mode = ApicMode::None;
    volatile uint32_t boot_stage = 0;
    uint32_t stage_at_switch = 0;
};

/// The fake CPU the code under test runs on.
Cpu* this_cpu();
/// Its kernel id.
inline uint32_t cpu_number() { return this_cpu()->id; }
