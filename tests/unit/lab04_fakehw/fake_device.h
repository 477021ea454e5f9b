/// @file fake_device.h
/// A fake local APIC and the MSRs around it, strict where the CPU is: a
/// write the CPU would refuse with #GP throws FakeFault, and so does a
/// mistake the CPU would let pass silently but that loses an IPI (an ICR
/// write while the previous IPI is still pending, an x2APIC ICR write with no
/// fence since the previous stores). Everything the code under test does is
/// also kept in `events`, one line each, for the tests to read.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>
#include "cpu.h"

/// What the fake CPU refuses (the message says why).
struct FakeFault : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The xAPIC page the tests hand to lapic_choose_mode().
constexpr uintptr_t FAKE_MMIO = 0xFEE00000u;

/// An xAPIC IPI as the fake saw it sent: the ICR halves when the low one was written.
struct FakeSend {
    uint32_t high, low;
};

/// The fake machine. reset() gives a CPU in xAPIC mode with APIC id 0.
struct FakeDevice {
    uint64_t apic_base = 0;       ///< IA32_APIC_BASE.
    uint32_t apic_id = 0;         ///< This CPU's APIC id.
    uint32_t tpr = 0;             ///< The task-priority register.
    uint32_t icr_low = 0, icr_high = 0;
    uint32_t pending_reads = 0;   ///< Reads of the ICR low word that still show delivery pending.
    uint32_t busy_reads = 3;      ///< Reads an IPI stays pending for (0xFFFFFFFF: forever).
    uint64_t icr_polls = 0;       ///< Reads of the ICR low word in all.
    uint64_t tsc = 0;             ///< The fake TSC (1 GHz); each rdtsc() adds 1000.
    bool fenced = false;          ///< wrmsr_fence() ran since the last x2APIC ICR write.
    std::vector<FakeSend> xapic_sends;
    std::vector<uint64_t> x2apic_sends;
    std::vector<std::string> events;

    /// A CPU with IA32_APIC_BASE = @p base and APIC id @p id; Cpu mode None.
    void reset(uint64_t base, uint32_t id = 0);
};

/// The one fake machine.
extern FakeDevice fake;
/// The state IA32_APIC_BASE holds: None (disabled), XApic or X2Apic.
ApicMode fake_hw_mode();
