/// @file smpboot.h
/// Starting the application processors (APs): the trampoline, INIT-SIPI-SIPI,
/// and the handshake with timeouts (SDM Vol. 3A 8.4.4 and 10.6).
#pragma once
#include "cmdline.h"
#include "types.h"

struct Cpu;

/// How far an AP got, as it records in Cpu::boot_stage: the BSP names the
/// stage in its report when an AP does not come online.
enum BootStage : uint32_t {
    StageNotStarted = 0,  ///< never reached the trampoline's lookup
    StageTrampoline = 1,  ///< found its entry in the trampoline
    StageEntered = 2,     ///< in 32/64-bit mode on its own stack and GDT
    StageLapic = 3,       ///< in mpmain, its LAPIC mode enabled
    StageOnline = 4,      ///< online
};

/// Who decided how an AP's bring-up ended, in Cpu::claim. Both sides change
/// it only from ClaimOpen, with a compare-and-swap, so exactly one wins: the
/// AP going online, or the BSP giving up on it. Without it an AP could print
/// its online line and set its mask bit just as the BSP, its wait over, sent
/// it INIT: a dead CPU in cpu_online_mask, perhaps holding a lock.
enum BringupClaim : uint32_t {
    ClaimOpen = 0,       ///< undecided: the BSP is waiting
    ClaimOnline = 1,     ///< the AP checked in
    ClaimCancelled = 2,  ///< the BSP gave up; the AP parks itself if it gets that far
    ClaimParked = 3,     ///< halted, INIT follows: the AP saw ClaimCancelled, or went offline (hotplug.h)
};

/// The start block the BSP fills in the trampoline page (see smpboot.inc).
struct COHORT_PACKED StartBlock {
    uint32_t counters;           ///< physical address of the StartCounters (not in this page)
    uint32_t reserved0;          ///< unused
    ///@{
    /// Control registers to load, as on the BSP.
    uint32_t cr0, cr3, cr4;
    ///@}
    uint32_t efer;               ///< EFER bits to set (amd64: LME, NXE)
    uint32_t apic_leaf;          ///< 0xB: APs read their id from CPUID leaf 0xB, else leaf 1
    uint32_t count;              ///< entries in the table
    uint64_t table;              ///< physical address of the StartEntry table
    uint64_t entry;              ///< mpmain()
    uint16_t idt_limit;          ///< the shared IDT's pseudo-descriptor: limit
    uint64_t idt_base;           ///< and base (LIDT reads limit and base together)
    uint8_t reserved[6];         ///< pads the block to SB_SIZE (0x40)
};
static_assert(sizeof(StartBlock) == 0x40, "SB_SIZE in smpboot.inc");
static_assert(__builtin_offsetof(StartBlock, table) == 0x20, "SB_TABLE in smpboot.inc");
static_assert(__builtin_offsetof(StartBlock, idt_limit) == 0x30, "SB_IDTR in smpboot.inc");

/// What APs count while in the trampoline. It lives in kernel memory, not in
/// the trampoline's page: no AP stores into the page others execute.
struct StartCounters {
    volatile uint32_t arrived;  ///< APs that reached protected mode in the trampoline
    volatile uint32_t unknown;  ///< APs whose APIC id was not in the table
};
static_assert(sizeof(StartCounters) == 8, "SC_* in smpboot.inc");

/// One AP the trampoline may find itself in, by APIC id.
struct StartEntry {
    uint32_t apic_id;  ///< the APIC id the AP reads from CPUID
    uint32_t kid;      ///< its kernel id
    uint64_t cpu;      ///< its Cpu block
};
static_assert(sizeof(StartEntry) == 0x10 && __builtin_offsetof(StartEntry, cpu) == 8, "TE_* in smpboot.inc");

/// The bring-up's first half, as soon as this CPU's LAPIC is set up: reserve
/// the trampoline's page, in a parallel bring-up send INIT to every AP that
/// cpu_table marks "will start", then fill the trampoline's start block and
/// prepare each of those APs (stacks, GDT, start-table entry). The INIT wait
/// (10 ms by default) is spent on that and on the boot CPU's own set-up
/// (main.cpp) instead of idling.
void smp_boot_begin(const BootOptions& opts);

/// The second half: start the APs smp_boot_begin() prepared, sequentially
/// or in parallel as @p opts says, and wait for each with a timeout. Prints one
/// `cpu <kid>: online (apic <id>, <mode>) after <us> us` line per AP (from
/// the AP, held in its slot until the bring-up is over: logsink_hold()) and
/// `smp: <online>/<usable> cpus online in <ms> ms` at the end. An AP that is
/// online waits in smp_ap_wait_bringup() until this returns.
/// When more than ONLINE_LINES_MAX APs start, their lines go to the Debug
/// level (`loglevel=3` shows them) and the boot CPU folds them instead:
/// `cpus <a>-<b>: online (apic <x>-<y>, <mode>) after <min>-<max> us`, one
/// line per run of CPUs with consecutive ids and APIC ids. Under QEMU every
/// byte written to the emulated UART costs time in proportion to the number
/// of vCPUs (docs/bench.md, "What a log line costs at 512 vCPUs").
void smp_boot(const BootOptions& opts);

/// APs whose online lines are printed one by one; above it they are folded.
constexpr uint32_t ONLINE_LINES_MAX = 64;
void smp_boot(const BootOptions& opts);

/// Start AP @p k alone, after boot (hotplug.cpp): the same trampoline, the
/// same INIT-SIPI-SIPI, the same timeout and report as smp_boot(). True when
/// it came online. The caller made sure it is not online.
bool smp_start_cpu(uint32_t k);
/// Send INIT to AP @p k, which halted itself on its way offline: it waits
/// for a SIPI from now on, off its stacks, blind to interrupts and NMIs.
void smp_park_cpu(uint32_t k);

/// Called by an AP that is online and is its idle thread (sched_run_ap()),
/// before it first looks for work: during smp_boot() it halts until the boot
/// CPU has ended the bring-up (as Linux's APs wait in cpuhp_ap_sync_alive()),
/// so that its first steal and the first run of the scheduler's code take no
/// host time from the APs still on their way in under an emulator. It halts
/// with interrupts on and returns as soon as @p has_work says this CPU's own
/// queue holds a thread (a reschedule IPI ends the halt). It gives up after
/// `ap_timeout_ms` + 1 s and says so. Outside smp_boot() (an AP brought back
/// by hotplug), and in a bring-up of more than ONLINE_LINES_MAX APs (each
/// waiting AP arms a LAPIC timer, which at hundreds of APs costs more than
/// the wait saves), it returns at once.
void smp_ap_wait_bringup(bool (*has_work)(uint32_t cpu));

/// The AP's C++ entry, called by the trampoline on the AP's own stack.
extern "C" [[noreturn]] void mpmain(Cpu* c);

/// What each CPU saw when it came online: its cpu_number() and its LAPIC id
/// (the `cpu_number` self-test checks them).
struct CpuCheckin {
    uint32_t kid;   ///< cpu_number() on that CPU
    uint32_t apic;  ///< lapic_id() on that CPU
};
/// Check-ins by kernel id.
extern CpuCheckin cpu_checkins[];

/// What the BSP sent one AP, noted by smp_boot()'s INIT and SIPI helpers (the
/// bring-up self-tests read them; Cpu holds the times of the INIT, the first
/// SIPI and the AP's check-in).
struct BringupRecord {
    uint32_t inits;             ///< INITs sent to start it (a park after a timeout not counted)
    uint32_t sipis;             ///< SIPIs sent, a dropped one (`sipi_drop=`) included
    uint32_t sipis_to_started;  ///< SIPIs sent when its boot_stage was past StageNotStarted
};
/// Bring-up records by kernel id.
extern BringupRecord bringup_records[];

///@{
/// TSC at the bring-up's first INIT (smp_boot_begin() in a parallel bring-up,
/// smp_boot() in a sequential one or with no AP) and at the end of smp_boot().
extern uint64_t bringup_start_tsc, bringup_end_tsc;
///@}
/// True when the last bring-up was parallel.
extern bool bringup_parallel;
/// The kernel id of the AP the last parallel bring-up started first, alone
/// (`pilot_above=`, smp_boot()), or 0 when none was.
extern uint32_t bringup_first;

/// How the online APs waited for the boot's bring-up to end
/// (smp_ap_wait_bringup()): the `bringup_release` self-test reads them.
struct BringupHold {
    uint32_t waited;     ///< APs that found the bring-up running and waited
    uint32_t left;       ///< of those, how many have left the wait
    uint32_t for_work;   ///< left because a thread was queued on them
    uint32_t timed_out;  ///< left because the boot CPU did not end it in time
    uint32_t early;      ///< left at the end, but before the boot CPU had printed the held lines
};
/// The record of the boot's bring-up.
extern BringupHold bringup_hold;
