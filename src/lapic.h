/// @file lapic.h
/// The local APIC of the calling CPU, in xAPIC (MMIO) or x2APIC (MSR) mode.
///
/// The mode is a property of each CPU (Cpu::apic_mode). The BSP decides which
/// mode the machine uses (lapic_choose_mode()); every CPU, the BSP included,
/// then switches *itself* with lapic_enable_mode() before its first APIC
/// access. Until then lapic_read()/lapic_write() refuse to run: the \#GP that a
/// WRMSR to 0x808 raises on a CPU still in xAPIC mode cannot happen.
#pragma once
#include "apicregs.h"
#include "cpu.h"
#include "types.h"

struct CpuFeatures;

/// Decide the machine's APIC mode on the BSP: x2APIC when the BSP's CPUID has
/// it and `nox2apic` was not given (or when the firmware already enabled it).
/// @p mmio_base is the xAPIC base from the MADT (0: take IA32_APIC_BASE).
void lapic_choose_mode(const CpuFeatures& bsp, bool nox2apic, uint64_t mmio_base);
/// The BSP's APIC id, before the tables are read (boot_apic_id() in
/// apicregs.h decides): from its xAPIC ID register when the machine stays in
/// xAPIC mode, else from CPUID. @p rewrite (not ::kNoRewrite) first writes
/// that value into the xAPIC ID register, as firmware may (SDM Vol. 3A
/// 10.4.6): the `bsp_id_rewrite=` self-test.
BootApicId lapic_boot_id(const CpuFeatures& bsp, bool nox2apic, uint32_t rewrite);
/// lapic_boot_id()'s "no rewrite".
constexpr uint32_t kNoRewrite = 0xFFFFFFFFu;
/// False when the BSP has no local APIC (CPUID.01H:EDX[9] = 0): the kernel
/// then runs on the BSP alone and every LAPIC user steps aside.
bool lapic_available();
/// The mode chosen by the BSP, which every AP follows.
ApicMode lapic_machine_mode();
/// True when an IPI or an IOAPIC route can name the CPU with APIC id @p apic
/// alone in the machine's mode: in xAPIC mode a destination has 8 bits and
/// 0xFF is the broadcast id (SDM Vol. 3A 10.6.2.1), so only 0-254 qualify;
/// in x2APIC mode every id but 0xFFFFFFFF (x2APIC's broadcast) does.
bool lapic_id_reachable(uint32_t apic);
/// Put the calling CPU's LAPIC into the machine's mode and record it in its
/// Cpu block. The first APIC access any CPU makes.
void lapic_enable_mode();
/// Program the calling CPU's LAPIC: spurious vector 0xFF with software enable,
/// the error vector, LINT0 masked, LINT1 as NMI (per the firmware tables), ESR
/// cleared, TPR set from the runlevel tracked so far.
void lapic_init();
/// Read register @p r of this CPU's LAPIC.
uint32_t lapic_read(LapicReg r);
/// Write register @p r of this CPU's LAPIC.
void lapic_write(LapicReg r, uint32_t v);
/// This CPU's APIC id (32 bits in x2APIC mode, 8 in xAPIC mode).
uint32_t lapic_id();
/// Signal end of interrupt.
void lapic_eoi();
/// The highest vector in service on this CPU (its ISR), or -1 when none is.
int lapic_highest_in_service();
/// End every interrupt in service on this CPU (one EOI each, highest first);
/// how many there were. For an interrupt whose handler never ran.
uint32_t lapic_end_in_service();
/// Read and clear the error status register (SDM Vol. 3A 10.5.3).
uint32_t lapic_read_esr();
/// Send an IPI. xAPIC: two writes, then poll delivery status with a timeout;
/// x2APIC: one 64-bit write. False when the destination cannot be reached in
/// this mode or the send timed out (both logged).
bool lapic_send(Icr icr);
/// Configure the LINT pin @p lint (0 or 1) as NMI with the MPS INTI @p flags
/// (polarity bits 1:0, trigger bits 3:2) from a MADT/MP local NMI entry, on
/// the CPU with kernel id @p cpu or, with lapic_nmi_every_cpu, on every CPU.
/// Takes effect in lapic_init().
void lapic_set_nmi_lint(uint8_t lint, uint16_t flags, uint32_t cpu = 0xFFFFFFFFu);
/// The @p cpu of lapic_set_nmi_lint() that means every CPU.
constexpr uint32_t lapic_nmi_every_cpu = 0xFFFFFFFFu;
/// Log this CPU's LAPIC registers (the monitor's `lapic` command).
void lapic_dump();
