/// @file cpu.h
/// The per-CPU block: everything that belongs to one CPU.
///
/// Each CPU finds its own block through its GS register: offset 0 holds a
/// pointer to the block itself, so `this_cpu()` is one `mov %gs:0`. The BSP's
/// block (cpus[0]) is usable from the first instruction of C++: boot.asm sets
/// its self pointer and GS before calling kmain.
#pragma once
#include "archcpu.h"
#include "config.h"
#include "cpuid.h"
#include "topology.h"
#include "types.h"

/// How a CPU talks to its local APIC. A property of each CPU, never a global:
/// an AP uses MMIO until it has switched itself to x2APIC.
enum class ApicMode : uint8_t {
    None,    ///< not set up yet (or no APIC): APIC accesses are not allowed
    XApic,   ///< memory-mapped registers (SDM Vol. 3A 10.4.1)
    X2Apic,  ///< MSRs 0x800-0x8FF (SDM Vol. 3A 10.12)
};

/// Name of an APIC mode, for logs.
inline const char* apic_mode_name(ApicMode m) {
    return m == ApicMode::X2Apic ? "x2apic" : m == ApicMode::XApic ? "xapic" : "none";
}

/// A GDT pseudo-descriptor as LGDT reads it (i686 uses the low 4 bytes of base).
struct COHORT_PACKED Gdtr {
    uint16_t limit;  ///< size of the table minus one
    uint64_t base;   ///< linear address of the table
};

/// One CPU's block. Cache-line aligned so that CPUs do not share lines.
///
/// The first 32 bytes are read by the AP trampoline (trampoline.bin.asm)
/// before any C++ runs on that CPU; their offsets are fixed (CPU_* in
/// smpboot.inc) and checked at compile time here and at boot against the
/// numbers the trampoline was assembled with (smpboot.cpp).
struct alignas(64) Cpu {
    union {
        Cpu* self;                ///< offset 0: read through GS by this_cpu()
        uint64_t self_slot;       ///< keeps the header layout the same on both arches
    };
    uint64_t kstack_top;          ///< offset 8: top of the CPU's boot/idle kernel stack
    Gdtr gdtr;                    ///< offset 16: this CPU's own GDT (arch.gdt)
    volatile uint8_t need_resched; ///< run the scheduler once the runlevel drops below Dispatch
    uint8_t stop_in_trampoline;   ///< offset 27: nonzero stops this AP at stage 1 (ap_stop_stage=1)
    volatile uint32_t boot_stage; ///< offset 28: how far bring-up got (smpboot.h)
    uint64_t entry_kstack;        ///< offset 32: top of the running thread's kernel stack (amd64 SYSCALL entry)
    uint64_t entry_scratch;       ///< offset 40: the user's RSP while the SYSCALL entry switches stacks
    uint32_t id;                  ///< dense kernel id, 0 = BSP
    uint32_t apic_id;             ///< APIC id as read from this CPU's own LAPIC
    ApicMode apic_mode;           ///< this CPU's LAPIC access mode
    uint8_t runlevel;             ///< current runlevel (see runlevel.h)
    volatile uint8_t online;      ///< set last in bring-up: IDT and LAPIC ready
    volatile uint8_t halted;      ///< stopped by a panic elsewhere (halt-all IPI or NMI)
    volatile uint32_t claim;      ///< BringupClaim (smpboot.h): the AP's check-in against the BSP's timeout
    uint32_t nmi_count;           ///< NMIs taken (halt-all uses NMI as a fallback)
    uint32_t nmi_reported;        ///< of those, how many nmi_report_pending() has reported
    uintptr_t nmi_ip;             ///< where the last NMI hit
    uint64_t irq_count;           ///< interrupts taken
    uint64_t dfstack_top;         ///< top of the double-fault stack
    uint64_t init_tsc;            ///< TSC when the BSP sent this CPU its INIT
    uint64_t sipi_tsc;            ///< TSC when the BSP sent this CPU its first SIPI
    uint64_t online_tsc;          ///< TSC when this CPU reported online, just before its check-in
    uint32_t stage_at_switch;     ///< boot_stage as lapic_enable_mode() began: below StageLapic on an AP
    void* current;                ///< the running thread (proc.cpp), or null
    CpuFeatures features;         ///< this CPU's CPUID probe (cpuid.h)
    TopoIds topo;                 ///< package/die/core/SMT ids, set as it comes online (cputopo.h)
    ArchCpu arch;                 ///< GDT, TSS: see archcpu.h
};
static_assert(__builtin_offsetof(Cpu, self) == 0, "CPU_SELF in smpboot.inc");
static_assert(__builtin_offsetof(Cpu, kstack_top) == 8, "CPU_KSTACK in smpboot.inc");
static_assert(__builtin_offsetof(Cpu, gdtr) == 16, "CPU_GDTR in smpboot.inc");
static_assert(__builtin_offsetof(Cpu, boot_stage) == 28, "CPU_STAGE in smpboot.inc");
static_assert(__builtin_offsetof(Cpu, stop_in_trampoline) == 27, "CPU_STAGE - 1 in trampoline.bin.asm");
static_assert(__builtin_offsetof(Cpu, entry_kstack) == 32, "CPU_ENTRY_KSTACK in smpboot.inc");
static_assert(__builtin_offsetof(Cpu, entry_scratch) == 40, "CPU_ENTRY_SCRATCH in smpboot.inc");

/// All CPU blocks, indexed by kernel id (never by APIC id).
extern Cpu cpus[COHORT_MAX_CPUS];

/// The calling CPU's block. The caller must not migrate (interrupts or
/// preemption off) for the answer to stay true.
inline Cpu* this_cpu() {
    Cpu* c;
    asm volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

/// The calling CPU's kernel id (fast path through the per-CPU block).
inline uint32_t cpu_number() { return this_cpu()->id; }
