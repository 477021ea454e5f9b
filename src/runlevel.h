/// @file runlevel.h
/// Runlevels and the interrupt vectors assigned to them: the generic half.
///
/// A runlevel is a CPU's current interrupt priority. Code running at level L
/// can be interrupted only by vectors whose priority class (vector >> 4, SDM
/// Vol. 3A 10.8.3) is above L. So each level is one class of 16 vectors, and
/// an interrupt handler runs at its vector's level: raising to a level holds
/// back every interrupt of that level and below until it is lowered again.
///
/// The level is made real by the task-priority register: on i686 the LAPIC
/// TPR (MMIO or MSR 0x808, by the CPU's own APIC mode), on amd64 CR8. Those
/// writes live in `src/arch/<arch>/`; this file only does the arithmetic.
#pragma once
#include "types.h"

/// Named runlevels. Any value 0..15 is a valid runlevel (the device levels
/// 3..11 are mostly unnamed); the names mark the ones code refers to.
enum class Runlevel : uint8_t {
    Passive = 0,    ///< Threads run; every interrupt can be delivered.
    Dispatch = 2,   ///< The scheduler runs; no preemption, the reschedule IPI is held back.
    Device = 3,     ///< Lowest device level (vectors 0x30..0x3F).
    DeviceTop = 11, ///< Highest device level (vectors 0xB0..0xBF).
    Spare = 12,     ///< Unused by devices (0xC0..0xCF): the self-tests' vectors live here.
    Clock = 13,     ///< The LAPIC timer (0xD0..).
    Ipi = 14,       ///< Call-function and TLB-shootdown IPIs (0xE0..0xEF).
    High = 15,      ///< Everything masked (0xF0..0xFF: halt-all, errors, spurious).
};

/// The numeric level of @p r.
constexpr uint8_t runlevel_value(Runlevel r) { return static_cast<uint8_t>(r); }

/// The TPR value for @p r: the class goes in bits 7:4, the sub-class bits 3:0
/// stay 0 (SDM Vol. 3A 10.8.3.1, Figure 10-18).
constexpr uint8_t runlevel_to_tpr(Runlevel r) { return static_cast<uint8_t>(runlevel_value(r) << 4); }
/// The CR8 value for @p r: CR8[3:0] is TPR[7:4] (SDM Vol. 3A 10.8.6.1).
constexpr uint8_t runlevel_to_cr8(Runlevel r) { return runlevel_value(r); }
/// The runlevel a TPR value @p tpr stands for (the sub-class is ignored).
constexpr Runlevel tpr_to_runlevel(uint8_t tpr) { return static_cast<Runlevel>(tpr >> 4); }
/// The runlevel a CR8 value @p cr8 stands for (bits 63:4 are reserved).
constexpr Runlevel cr8_to_runlevel(uint64_t cr8) { return static_cast<Runlevel>(cr8 & 0xF); }

/// The runlevel @p vector belongs to: its priority class, vector >> 4. Its
/// handler runs at that level.
constexpr Runlevel vector_runlevel(uint8_t vector) { return static_cast<Runlevel>(vector >> 4); }
/// True when a CPU at runlevel @p r holds back @p vector: the LAPIC delivers
/// only a class above the processor priority (SDM Vol. 3A 10.8.3.1).
constexpr bool runlevel_masks(Runlevel r, uint8_t vector) { return (vector >> 4) <= runlevel_value(r); }

/// The kernel's fixed interrupt vectors. Vectors 0x00..0x1F are the CPU's
/// exceptions (SDM Vol. 3A 6.3), so the lowest usable class is 2.
// [vectors]
namespace vec {
/// Reschedule IPI, class 2 (Dispatch): only asks the target to run its
/// scheduler, so a CPU already at Dispatch (inside the scheduler or holding a
/// run-queue lock) must not take it; raising to Dispatch holds it back. Also
/// the wake-up for an idle CPU sleeping in hlt.
constexpr uint8_t reschedule = 0x20;
/// First device vector: IOAPIC input (GSI) n is delivered as irq_base + n, so
/// the 16 ISA IRQs sit in class 3 and devices run below the clock and IPIs.
constexpr uint8_t irq_base = 0x30;
/// Last device vector (class 11).
constexpr uint8_t irq_last = 0xBF;
/// Self-test vector in the spare class 12: above every device, below the
/// clock, so a test of runlevel masking never collides with a real device.
constexpr uint8_t test = 0xC0;
/// Second self-test vector (same class), for tests that need two.
constexpr uint8_t test2 = 0xC1;
/// LAPIC timer, class 13 (Clock): timekeeping goes on while a device handler
/// runs. A tick that interrupts code at Dispatch or above only notes that a
/// reschedule is due; the switch happens when the level drops below Dispatch.
constexpr uint8_t timer = 0xD0;
/// Call-function IPI, class 14 (Ipi): above the clock so a CPU busy in its
/// timer handler still answers; a CPU waiting for others drains its own
/// queue by polling (callq.h), so waiting at Ipi or above cannot deadlock.
constexpr uint8_t call_function = 0xE0;
/// TLB-shootdown IPI, class 14, next to call-function for the same reasons.
constexpr uint8_t tlb_shootdown = 0xE1;
/// Halt-all IPI sent by a panicking CPU, class 15 (High). Even this is held
/// back by a CPU at High (TPR 0xF0 masks class 15), which is why the panic
/// path falls back to NMI for CPUs that do not stop.
constexpr uint8_t halt_all = 0xF0;
/// LAPIC error (LVT error entry), class 15: logged whatever the CPU was doing.
constexpr uint8_t lapic_error = 0xFE;
/// Spurious-interrupt vector: low four bits set, which P6 and Pentium APICs
/// hard-wire (SDM Vol. 3A 10.9). Never acknowledged with an EOI.
constexpr uint8_t spurious = 0xFF;

/// The vector of IOAPIC input @p gsi (valid while irq_base + gsi <= irq_last).
constexpr uint8_t irq(uint32_t gsi) { return static_cast<uint8_t>(irq_base + gsi); }
/// True when a vector exists for IOAPIC input @p gsi.
constexpr bool irq_fits(uint32_t gsi) { return gsi <= static_cast<uint32_t>(irq_last - irq_base); }
}  // namespace vec
// [vectors]

/// @name Changing the calling CPU's runlevel (runlevel.cpp, arch backends)
/// Not part of the host build: these touch the CPU. The level is kept in the
/// CPU's block and written to the hardware by arch_write_runlevel(): CR8 on
/// amd64; on i686 the LAPIC TPR through MMIO or MSR 0x808, chosen by *this*
/// CPU's own APIC mode, and not at all before that CPU has a mode (the level is
/// then only tracked, and lapic_init() writes it).
/// @{
struct Cpu;
/// The calling CPU's runlevel.
Runlevel current_runlevel();
/// Raise the calling CPU's runlevel to @p level and return the previous one.
/// Raising to a lower level than the current one is a bug and panics.
Runlevel raise_runlevel(Runlevel level);
/// Return to @p old, a level that raise_runlevel() gave back.
void lower_runlevel(Runlevel old);
/// Called by lower_runlevel() when it drops below Dispatch with interrupts on
/// and Cpu::need_resched set: the scheduler's deferred preemption (proc.cpp).
extern void (*runlevel_resched_hook)();
/// Write @p level to CPU @p c's task-priority hardware (the arch backend).
void arch_write_runlevel(Cpu& c, Runlevel level);
/// Which hardware carries CPU @p c's runlevel now, for the logs: "cr8"
/// (amd64), "tpr mmio" or "tpr msr" (i686, by @p c's APIC mode), "none".
const char* arch_runlevel_path(const Cpu& c);

/// Holds the calling CPU at a runlevel for a scope.
class [[nodiscard]] RunlevelGuard {
public:
    /// Raise to @p level (or stay, when already at or above it).
    explicit RunlevelGuard(Runlevel level);
    /// Lower back to the level found on entry.
    ~RunlevelGuard();
    RunlevelGuard(const RunlevelGuard&) = delete;
    RunlevelGuard& operator=(const RunlevelGuard&) = delete;

private:
    Runlevel old_;
};
/// @}
