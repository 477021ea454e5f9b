/// @file smpboot.cpp
/// Bringing up the APs: copy the trampoline below 1 MiB, fill its start
/// block, INIT-SIPI-SIPI (SDM Vol. 3A 8.4.4.1), and wait for each AP to come
/// online, with a timeout that names the AP and the stage it reached.
#include "smpboot.h"
#include "logsink.h"
#include "uentry.h"
#include "arch.h"
#include "config.h"
#include "cpu.h"
#include "cputopo.h"
#include "cpumask.h"
#include "cputable.h"
#include "ipi.h"
#include "kstring.h"
#include "labs.h"
#include "lapic.h"
#include "log.h"
#include "mem.h"
#include "numa.h"
#include "panic.h"
#include "proc.h"
#include "timer.h"
#include "wait.h"
#include "x86.h"

extern "C" const uint8_t trampoline_start[], trampoline_end[];
void cpu_probe_features(Cpu& c);

CpuMask cpu_online_mask;
CpuCheckin cpu_checkins[COHORT_MAX_CPUS];
BringupRecord bringup_records[COHORT_MAX_CPUS];
BringupHold bringup_hold;
uint64_t bringup_start_tsc, bringup_end_tsc;
bool bringup_parallel;
uint32_t bringup_first;

namespace {
StartEntry table[COHORT_MAX_CPUS];
StartCounters counters;  // the trampoline's, outside its page (smpboot.h)
StartBlock* sb = nullptr;
uint8_t vector_page = 0;
bool init_deassert = false;
const BootOptions* options = nullptr;
Cpu* target_list[COHORT_MAX_CPUS];  ///< the APs smp_boot_begin() prepared, in kernel-id order
/// The APs being started, and how many: target_list, except while the
/// parallel SIPIs go out after a first AP (start_first()), which they skip.
Cpu** targets = target_list;
uint32_t started = 0;
uint64_t t0 = 0;                ///< TSC at the first INIT: the bring-up's start
/// More than ONLINE_LINES_MAX APs are starting: each AP's online line is a
/// Debug line, and the boot CPU prints them folded (log_online_runs()).
bool fold_online = false;
volatile uint32_t bringup_running = 0;  // 1 while smp_boot() starts APs: online APs wait in smp_ap_wait_bringup()
volatile uint32_t lines_released = 0;   // 1 once smp_boot() has printed the held lines (before the end)
volatile uint32_t bringup_waiter = 0;  // the CPU waiting in wait_online(), woken by the AP's check-in

constexpr uint32_t TRAMP_MAGIC = 0x52544843;  // "CHTR", as in smpboot.inc
constexpr uint32_t SB_OFFSET = 0x40;

const char* stage_name(uint32_t s) {
    switch (s) {
    case StageNotStarted: return "never reached the trampoline (no SIPI taken)";
    case StageTrampoline: return "in the trampoline, before its mode switch";
    case StageEntered: return "entered the kernel, before enabling its LAPIC mode";
    case StageLapic: return "LAPIC mode enabled, before checking in";
    default: return "online";
    }
}

/// The trampoline's relocation list (header word 10): a count, then the
/// offsets of the dwords that hold an address relative to the page. Null if
/// the list or an offset does not fit in the @p size bytes of the binary.
const uint32_t* relocations(const uint8_t* t, size_t size) {
    uint32_t at = ((const uint32_t*)(t + 4))[10];
    if (size < 8 || at > size - 4 || at % 4) return nullptr;
    const uint32_t* r = (const uint32_t*)(t + at);
    if (r[0] > (size - at) / 4 - 1) return nullptr;
    for (uint32_t i = 1; i <= r[0]; ++i)
        if (r[i] > size - 4) return nullptr;
    return r;
}

/// [layout check]
/// The numbers the trampoline was assembled with must be the C++ layout.
bool layout_matches(const uint8_t* t, size_t size) {
    const uint32_t expect[] = {TRAMP_MAGIC,
                               SB_OFFSET,
                               sizeof(StartBlock),
                               __builtin_offsetof(StartBlock, table),
                               __builtin_offsetof(StartBlock, idt_limit),
                               sizeof(StartEntry),
                               __builtin_offsetof(StartEntry, cpu),
                               __builtin_offsetof(Cpu, kstack_top),
                               __builtin_offsetof(Cpu, gdtr),
                               __builtin_offsetof(Cpu, boot_stage)};
    const uint32_t* h = (const uint32_t*)(t + 4);
    for (size_t i = 0; i < array_size(expect); ++i) {
        if (h[i] != expect[i]) {
            log_error("smp: trampoline header word %zu is %u, C++ expects %u: layouts differ", i, h[i], expect[i]);
            return false;
        }
    }
    if (!relocations(t, size)) {
        log_error("smp: the trampoline's relocation list does not fit in its %zu bytes", size);
        return false;
    }
    return true;
}
/// [layout check]

/// [relocate]
/// Make the copy at @p page runnable there: each dword the relocation list
/// names holds an offset in the page, and gets the page's address added. The
/// APs then never store into the page they execute (trampoline.inc).
void relocate(uint32_t page, size_t size) {
    uint8_t* t = (uint8_t*)(uintptr_t)page;
    const uint32_t* r = relocations(t, size);
    for (uint32_t i = 1; i <= r[0]; ++i) {
        uint32_t v;  // memcpy: a site need not be 4-byte aligned (tgdtr + 2 is not)
        memcpy(&v, t + r[i], 4);
        v += page;
        memcpy(t + r[i], &v, 4);
    }
}
/// [relocate]

void init_apic(uint32_t apic) {
    lapic_send(Icr::init_assert(apic));
    if (init_deassert) lapic_send(Icr::init_deassert());
}

/// [send helpers]
/// INIT to AP @p c. The helpers, not their callers, note what was sent and
/// when, so that the bring-up self-tests judge what happened (bringup_order).
void send_init(Cpu& c) {
    c.init_tsc = rdtsc();
    ++bringup_records[c.id].inits;
    init_apic(c.apic_id);
}

/// Start-Up IPI to AP @p c, at the trampoline's page. Notes the first SIPI's
/// time, and whether the AP had already left wait-for-SIPI (a SIPI it did not need).
void send_sipi(Cpu& c) {
    BringupRecord& r = bringup_records[c.id];
    if (!r.sipis) c.sipi_tsc = rdtsc();
    if (c.boot_stage != StageNotStarted) ++r.sipis_to_started;
    if (options->ap_noanswer == c.id && options->ap_stop_stage == StageNotStarted) {
        if (++r.sipis == 1)
            log_warn("cpu %u: ap_noanswer=%u ap_stop_stage=0: no SIPI is sent, as if it ignored them", c.id, c.id);
        return;
    }
    if (++r.sipis == 1 && options->sipi_drop == c.id) {
        log_warn("cpu %u: sipi_drop=%u: its first SIPI is not sent, as if the AP had missed it", c.id, c.id);
        return;
    }
    lapic_send(Icr::startup(c.apic_id, vector_page));
}
/// [send helpers]

/// Name AP @p kid (APIC id @p apic) in its block: all an INIT needs.
void identify(Cpu& c, uint32_t kid, uint32_t apic) {
    c.self = &c;
    c.id = kid;
    c.apic_id = apic;
}

/// Make AP @p kid (APIC id @p apic) ready to start: its block, its stacks on
/// its own node (kept from an earlier start, when it was taken offline), its
/// GDT and TSS, and its entry in the trampoline's table.
bool prepare(Cpu& c, uint32_t kid, uint32_t apic) {
    identify(c, kid, apic);
    c.boot_stage = StageNotStarted;
    c.claim = ClaimOpen;
    c.stop_in_trampoline = options->ap_noanswer == kid && options->ap_stop_stage == StageTrampoline;
    c.online = 0;
    c.apic_mode = ApicMode::None;  // no LAPIC access before its own mode switch
    c.runlevel = 0;
    c.need_resched = 0;
    // Its stacks on its own NUMA node: every push and pop it makes is local.
    if (!c.kstack_top) c.kstack_top = stack_alloc(KSTACK_SIZE, int(numa_node_of_cpu(kid)));
    if (!c.dfstack_top) c.dfstack_top = stack_alloc(DFSTACK_SIZE, int(numa_node_of_cpu(kid)));
    if (!c.kstack_top || !c.dfstack_top) {
        log_error("smp: no memory for cpu %u's stacks; not starting it", kid);
        return false;
    }
    arch_cpu_prepare(c, (uintptr_t)c.dfstack_top);
    for (uint32_t i = 0; i < sb->count; ++i)
        if (table[i].kid == kid) {  // started before: its entry again (give_up() may have voided it)
            table[i] = StartEntry{apic, kid, (uint64_t)(uintptr_t)&c};
            return true;
        }
    table[sb->count] = StartEntry{apic, kid, (uint64_t)(uintptr_t)&c};
    sb->count = sb->count + 1;
    return true;
}

bool wait_online(Cpu& c, uint64_t deadline);
uint64_t ms_to_tsc(uint64_t ms);
void wake_online_aps(bool held);
/// How long the AP woken first may take to reach its idle loop (wake_online_aps()).
constexpr uint32_t FIRST_IDLE_BOUND_MS = 200;

/// [give up]
/// An AP that did not answer: cancel its bring-up (Cpu::claim), say who and
/// how far it got, put it back into wait-for-SIPI with INIT so it cannot wake
/// later on freed memory, and let it go. If the AP claimed its check-in first,
/// it is coming online after all: wait for its flag instead. Returns true
/// when the AP is online.
bool give_up(Cpu& c) {
    uint32_t open = ClaimOpen;
    if (!__atomic_compare_exchange_n(&c.claim, &open, ClaimCancelled, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        // Its check-in is under way (ClaimOnline): the online flag follows
        // within a log line. Wait one more timeout for it, never INIT it.
        bool on = wait_online(c, rdtsc() + ms_to_tsc(options->ap_timeout_ms));
        if (on) log_warn("cpu %u: checked in just as the wait of %u ms ran out; online", c.id, options->ap_timeout_ms);
        else log_error("cpu %u: claimed its check-in but never came online; left as it is", c.id);
        return on;
    }
    uint32_t stage = c.boot_stage;
    log_error("cpu %u: apic %u did not come online within %u ms (last stage %u: %s); parked with INIT",
              c.id, c.apic_id, options->ap_timeout_ms, stage, stage_name(stage));
    // An AP running kernel code sees the cancel at its check-in and halts
    // itself: give it a moment, so that INIT does not catch it halfway
    // through a log line, holding the logger's lock.
    if (stage >= StageLapic) {
        Waiter w(rdtsc() + ms_to_tsc(100));
        auto parked = [&] { return __atomic_load_n(&c.claim, __ATOMIC_ACQUIRE) == ClaimParked; };
        while (!parked() && w.pause(parked)) {}
    }
    init_apic(c.apic_id);
    udelay(options->init_delay_us);  // the INIT has taken the AP off its stacks before they are freed
    for (uint32_t i = 0; i < sb->count; ++i)
        if (table[i].kid == c.id) table[i].apic_id = 0xFFFFFFFF;  // a late wake finds no entry
    stack_free((uintptr_t)c.kstack_top, KSTACK_SIZE);
    stack_free((uintptr_t)c.dfstack_top, DFSTACK_SIZE);
    c.kstack_top = c.dfstack_top = 0;
    return false;
}
/// [give up]

/// Wait until CPU @p c is online or @p deadline passed (wait.h). smp_boot()
/// runs with interrupts on, so after a short spin this halts between looks:
/// the AP's wait_wake() after its check-in, or the Waiter's bound, ends the
/// halt. A halted BSP leaves its host core to the APs' vCPUs.
bool wait_online(Cpu& c, uint64_t deadline) {
    Waiter w(deadline);
    // The flag is the AP's last store (release): once it is seen, the AP's
    // check-in and its bit in cpu_online_mask are seen too, so the count the
    // BSP prints next includes it.
    auto online = [&] { return __atomic_load_n(&c.online, __ATOMIC_ACQUIRE) != 0; };
    while (!online())
        if (!w.pause(online)) break;
    if (!online()) return false;
    // The flag promises the rest of the check-in: say so if it came first.
    if (!cpu_online_mask.test(c.id))
        log_error("cpu %u: its online flag came before its bit in cpu_online_mask", c.id);
    return true;
}

uint64_t ms_to_tsc(uint64_t ms) { return ms * tsc_khz(); }

/// The folded online lines: one per run of APs in @p t (in kernel-id order)
/// whose kernel ids and APIC ids both go up by one, in one APIC mode, with
/// the range of their SIPI -> online times. A run of one reads as the AP's
/// own line would.
void log_online_runs(Cpu* const* t, uint32_t n) {
    for (uint32_t i = 0; i < n;) {
        if (!t[i]->online) { ++i; continue; }
        uint32_t j = i + 1;
        uint64_t lo = t[i]->online_tsc - t[i]->sipi_tsc, hi = lo;
        while (j < n && t[j]->online && t[j]->id == t[j - 1]->id + 1 && t[j]->apic_id == t[j - 1]->apic_id + 1 &&
               t[j]->apic_mode == t[i]->apic_mode) {
            uint64_t d = t[j]->online_tsc - t[j]->sipi_tsc;
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
            ++j;
        }
        const Cpu& a = *t[i];
        const Cpu& b = *t[j - 1];
        unsigned long long lous = tsc_to_ns(lo) / 1000, hius = tsc_to_ns(hi) / 1000;
        if (j - i == 1)
            log_info("cpu %u: online (apic %u, %s) after %llu us", a.id, a.apic_id, apic_mode_name(a.apic_mode), lous);
        else
            log_info("cpus %u-%u: online (apic %u-%u, %s) after %llu-%llu us", a.id, b.id, a.apic_id, b.apic_id,
                     apic_mode_name(a.apic_mode), lous, hius);
        i = j;
    }
}

/// SIPI, its wait, and a second SIPI with its wait only if the first was not
/// taken (SDM Vol. 3A 8.4.4.1): for one AP outside lab 05's holes (the first
/// AP of a parallel bring-up, a CPU started at run time).
void sipi_sipi(Cpu& c) {
    send_sipi(c);
    udelay(options->sipi_delay_us);
    if (c.boot_stage == StageNotStarted) {
        send_sipi(c);
        udelay(options->sipi_delay_us);
    }
}

/// [start first]
/// The first AP alone: its SIPI, and a wait for it to come online before the
/// others get theirs. Under QEMU's TCG every AP runs code no CPU has run
/// before (the trampoline, mpmain()), and each vCPU thread that meets such
/// code translates it, holding a lock on that code's page, on which the
/// others spin. With hundreds of vCPU threads on a few host cores, a holder
/// loses its core for a host time slice while the rest spin. One AP that
/// went first leaves the translations behind: the rest only look them up
/// (docs/bench.md). It costs one AP's start-up, so only bring-ups of more
/// than `pilot_above` APs do it. Returns the AP, or nullptr if none went
/// first (an AP without its INIT, as in lab 05's tree before its INIT
/// hole is done, is never started here).
Cpu* start_first(const BootOptions& opts) {
    Cpu& c = *targets[0];
    if (started < 2 || started <= opts.pilot_above || !bringup_records[c.id].inits) return nullptr;
    udelay_since(c.init_tsc, opts.init_delay_us);
    sipi_sipi(c);
    // A tenth of the timeout: the others are not held up long by a first AP
    // that does not answer. It is then waited for with them, and given up on
    // (and named) as any AP would be.
    uint32_t bound_ms = opts.ap_timeout_ms / 10 ? opts.ap_timeout_ms / 10 : 1;
    if (!wait_online(c, rdtsc() + ms_to_tsc(bound_ms)))
        log_warn("smp: cpu %u, started first, was not online within %u ms; starting the other %u AP(s) anyway",
                 c.id, bound_ms, started - 1);
    return &c;
}
/// [start first]

}  // namespace

void smp_boot_begin(const BootOptions& opts) {
    options = &opts;
    sb = nullptr;
    started = 0;
    bringup_first = 0;
    uint32_t wanted = 0;
    for (uint32_t k = 1; k < cpu_table.usable; ++k) wanted += cpu_table.cpus[k].will_start;

    /// [reserve trampoline]
    if (wanted && !lapic_available()) {
        log_error("smp: no local APIC to send INIT and SIPI with; the %u AP(s) stay stopped", wanted);
        wanted = 0;
    }
    uint64_t tramp = wanted ? frame_reserve_low("ap-trampoline", 1) : 0;
    size_t tsize = (size_t)(trampoline_end - trampoline_start);
    if (wanted && (!tramp || tramp >= 0x100000 || tsize > 4096)) {
        log_error("smp: no page below 1 MiB for the AP trampoline; running on the BSP alone");
        wanted = 0;
    }
    if (wanted && !layout_matches(trampoline_start, tsize)) panic("smp: trampoline and kernel disagree on the start block");
    /// [reserve trampoline]

    // The targets first: an INIT needs no more than an APIC id.
    if (wanted) {
        // INIT level de-assert is for the Pentium and P6 APICs only (SDM 10.6.1).
        init_deassert = lapic_machine_mode() == ApicMode::XApic &&
                        lapic_version(lapic_read(LapicReg::Version)) < 0x14;

        // In xAPIC mode a destination is 8 bits and 0xFF is the broadcast id
        // (SDM Vol. 3A 10.6.2.1): an INIT meant for apic 255 would reset every
        // CPU, this one too. Such CPUs are not started, and said so once.
        uint32_t unreachable = 0, lo = 0xFFFFFFFF, hi = 0;
        for (uint32_t k = 1; k < cpu_table.usable; ++k) {
            CpuEntry& e = cpu_table.cpus[k];
            if (!e.will_start) continue;
            if (!lapic_id_reachable(e.apic_id)) {
                e.will_start = false;  // not a CPU that failed to start: one no IPI can name
                ++unreachable;
                lo = e.apic_id < lo ? e.apic_id : lo;
                hi = e.apic_id > hi ? e.apic_id : hi;
                continue;
            }
            identify(cpus[k], k, e.apic_id);
            targets[started++] = &cpus[k];
        }
        if (unreachable)
            log_warn("smp: %u CPU(s) with APIC ids %u-%u cannot be addressed in xAPIC mode (0xFF is the broadcast "
                     "id); not started (boot without nox2apic, on a CPU with x2APIC, to use them)",
                     unreachable, lo, hi);
        lapic_read_esr();
    }

    /// [send inits]
    // Parallel: every INIT goes out now, before anything else is made
    // ready. An AP that took its INIT only waits for a SIPI, so its
    // trampoline, stacks and GDT (below), then the LAPIC timer calibration,
    // the IOAPIC, IPIs and scheduler (kmain()) are made during the 10 ms of
    // idle time; smp_boot() waits only for what is left of it.
    if (started && opts.smpboot == SmpBoot::Parallel) {
        t0 = rdtsc();  // the bring-up starts with the first INIT
        // LAB 05 BEGIN: INIT to every target (smp_boot() counts their wait from the last one)
        for (uint32_t i = 0; i < started; ++i) send_init(*targets[i]);
        // LAB 05 STUB: lab_todo(5, "INIT to every target in smp_boot_begin() (smpboot=parallel)");
        // LAB 05 STUB: (void)send_init;
        // LAB 05 LATER: started = 0; (void)send_init;
        // LAB 05 END
    }
    /// [send inits]

    // Then what the SIPIs need: the trampoline and its start block, and each
    // target's stacks, GDT and entry in the trampoline's table.
    if (wanted) {
        // LAB 05 BEGIN: copy the trampoline to its low page; fill the start block (CR0/CR3/CR4, EFER, APIC id leaf, table, entry, IDT)
        memcpy((void*)(uintptr_t)tramp, trampoline_start, tsize);
        vector_page = (uint8_t)(tramp >> 12);
        sb = (StartBlock*)(uintptr_t)(tramp + SB_OFFSET);
        memset((void*)sb, 0, sizeof *sb);
        sb->cr0 = (uint32_t)read_cr0();
        sb->cr3 = (uint32_t)read_cr3();
        sb->cr4 = (uint32_t)read_cr4();
#if UINTPTR_MAX > 0xFFFFFFFFu
        sb->efer = (uint32_t)(rdmsr(MSR_EFER) & (EFER_LME | EFER_NXE | EFER_SCE));
#endif
        sb->apic_leaf = this_cpu()->features.has_x2apic_id ? 0xB : 1;
        sb->table = (uint64_t)(uintptr_t)table;
        sb->entry = (uint64_t)(uintptr_t)&mpmain;
        IdtPointer idtr = read_idtr();
        sb->idt_limit = idtr.limit;
        sb->idt_base = idtr.base;
        // LAB 05 STUB: lab_todo(5, "copy the trampoline and fill its start block in smp_boot_begin()");
        // LAB 05 LATER: lab_later(5, "no trampoline is copied and no AP is started: the boot CPU runs alone");
        // LAB 05 LATER: (void)tsize;
        // LAB 05 END
        if (sb) {  // the copy's absolute addresses, and where its APs count themselves in
            relocate((uint32_t)tramp, tsize);
            counters = StartCounters{};
            sb->counters = (uint32_t)(uintptr_t)&counters;
        }
        if (sb)  // else no trampoline was copied (lab 05's stand-in says so)
            log_info("smp: trampoline at 0x%llx (SIPI vector 0x%02x), %s bring-up of %u AP(s); "
                     "INIT wait %u us, SIPI wait %u us, timeout %u ms",
                     (unsigned long long)tramp, vector_page,
                     opts.smpboot == SmpBoot::Parallel ? "parallel" : "sequential", wanted,
                     opts.init_delay_us, opts.sipi_delay_us, opts.ap_timeout_ms);
        // Without a trampoline (no SIPI could start anything) or without
        // stacks, a target stays where its INIT left it: waiting for a SIPI.
        uint32_t ready = 0;
        for (uint32_t i = 0; i < started; ++i)
            if (sb && prepare(*targets[i], targets[i]->id, targets[i]->apic_id)) targets[ready++] = targets[i];
        started = ready;
    }
}

void smp_boot(const BootOptions& opts) {
    options = &opts;
    // Interrupts on for the bring-up, so that its waits (the INIT and SIPI
    // delays, wait_online()) halt instead of spinning: under TCG a spinning
    // BSP takes host time from the very vCPUs it waits for. Nothing here
    // depends on them being off: lapic_send() masks them around its two ICR
    // writes, and the handlers that may run (the bound timer, the wake-up
    // IPI, a key) touch nothing the bring-up uses.
    uintptr_t flags = read_flags();
    sti();

    // Hundreds of APs print their online lines folded (smpboot.h); the
    // others' lines wait in their slots until the bring-up is over: an AP
    // writing to the UART would hold QEMU's global lock, which every other
    // AP's xAPIC access needs (logsink.h).
    fold_online = started > ONLINE_LINES_MAX;
    logsink_hold();
    // The online APs wait for the end (smp_ap_wait_bringup()) only in a
    // bring-up whose lines are printed one by one: each waiting AP arms a
    // LAPIC timer, three register writes through QEMU's global lock under
    // TCG, and at 512 CPUs those writes held up the SIPIs more than the wait
    // saved (docs/bench.md).
    if (!fold_online) __atomic_store_n(&bringup_running, 1u, __ATOMIC_SEQ_CST);
    // A sequential bring-up starts here, with its first INIT; with no AP
    // to start, the line below says how long it took to find that out.
    if (!started || opts.smpboot == SmpBoot::Sequential) t0 = rdtsc();

    /// [start aps]
    if (started && opts.smpboot == SmpBoot::Sequential) {
        for (uint32_t i = 0; i < started; ++i) {
            Cpu& c = *targets[i];
            // LAB 05 BEGIN: INIT, wait, SIPI, wait, a second SIPI only if the first was not taken
            send_init(c);
            udelay(opts.init_delay_us);
            send_sipi(c);
            udelay(opts.sipi_delay_us);
            if (c.boot_stage == StageNotStarted) {  // only if the first was not taken
                send_sipi(c);
                udelay(opts.sipi_delay_us);
            }
            // LAB 05 STUB: lab_todo(5, "INIT-SIPI-SIPI to one AP in smp_boot() (smpboot=sequential)");
            // LAB 05 LATER: started = 0;
            // LAB 05 LATER: break;
            // LAB 05 END
            if (!wait_online(c, rdtsc() + ms_to_tsc(opts.ap_timeout_ms))) (void)give_up(c);
        }
    } else if (started) {
        // Parallel (as Zircon and Linux 6.5): INIT to all (smp_boot_begin()),
        // one wait, SIPI to all. With more than pilot_above APs, one went
        // first (start_first()): targets and started name the others.
        if (Cpu* first = start_first(opts)) {
            bringup_first = first->id;
            ++targets;
            --started;
        }
        // LAB 05 BEGIN: what is left of the INIT wait, SIPI to every target, one wait, a second SIPI to those not started
        udelay_since(targets[started - 1]->init_tsc, opts.init_delay_us);
        for (uint32_t i = 0; i < started; ++i) send_sipi(*targets[i]);
        udelay(opts.sipi_delay_us);
        uint32_t resent = 0;
        for (uint32_t i = 0; i < started; ++i)
            if (targets[i]->boot_stage == StageNotStarted) { send_sipi(*targets[i]); ++resent; }
        if (resent) udelay(opts.sipi_delay_us);
        // LAB 05 STUB: lab_todo(5, "the rest of the INIT wait, SIPI to all, a second SIPI where needed in smp_boot() (smpboot=parallel)");
        // LAB 05 STUB: (void)send_sipi;
        // LAB 05 LATER: (void)send_sipi;
        // LAB 05 END
        if (bringup_first) {  // back to all of them, the first AP included
            targets = target_list;
            ++started;
        }
        uint64_t deadline = rdtsc() + ms_to_tsc(opts.ap_timeout_ms);
        for (uint32_t i = 0; i < started; ++i)
            if (!wait_online(*targets[i], deadline)) (void)give_up(*targets[i]);
    }
    /// [start aps]
    // The held lines first, while the online APs still halt: woken, each
    // would run its first pass of the scheduler, code no AP has run yet,
    // and under TCG take the host cores from the boot CPU's UART writes.
    logsink_release();
    if (fold_online) {
        log_online_runs(targets, started);
        fold_online = false;
    }
    __atomic_store_n(&lines_released, 1u, __ATOMIC_SEQ_CST);
    // The online APs wait for this (smp_ap_wait_bringup()): now they may
    // look for work.
    wake_online_aps(__atomic_load_n(&bringup_running, __ATOMIC_ACQUIRE) != 0);

    if (sb) {
        uint32_t esr = lapic_read_esr();
        if (esr) log_warn("smp: APIC errors during bring-up: esr 0x%x", esr);
        if (counters.unknown)
            log_warn("smp: %u AP(s) woke with an APIC id missing from the table and were parked", counters.unknown);
    }
    uint64_t now = rdtsc();
    bringup_start_tsc = t0;
    bringup_end_tsc = now;
    bringup_parallel = opts.smpboot == SmpBoot::Parallel;
    const Cpu& first = cpus[bringup_first];
    if (bringup_first && first.online)
        log_info("smp: bring-up of %u AP(s) took %llu us (parallel; cpu %u first, online after %llu us)", started,
                 (unsigned long long)(tsc_to_ns(now - t0) / 1000), first.id,
                 (unsigned long long)(tsc_to_ns(first.online_tsc - first.sipi_tsc) / 1000));
    else if (bringup_first)
        log_info("smp: bring-up of %u AP(s) took %llu us (parallel; cpu %u first, never online)", started,
                 (unsigned long long)(tsc_to_ns(now - t0) / 1000), first.id);
    else
        log_info("smp: bring-up of %u AP(s) took %llu us (%s)", started,
                 (unsigned long long)(tsc_to_ns(now - t0) / 1000),
                 opts.smpboot == SmpBoot::Parallel ? "parallel" : "sequential");
    log_info("smp: %u/%u cpus online in %llu ms", cpu_online_mask.count(), cpu_table.usable,
             (unsigned long long)(tsc_to_ns(now - boot_tsc) / 1000000));
    write_flags(flags);
}

/// [start one]
bool smp_start_cpu(uint32_t k) {
    if (!sb) {
        log_warn("smp: cpu %u cannot be started: no AP trampoline was set up at boot (no AP was started then)", k);
        return false;
    }
    const CpuEntry& e = cpu_table.cpus[k];
    if (!lapic_id_reachable(e.apic_id)) {
        log_warn("smp: cpu %u (apic %u) cannot be named by an IPI in this APIC mode; not started", k, e.apic_id);
        return false;
    }
    Cpu& c = cpus[k];
    if (!prepare(c, k, e.apic_id)) return false;
    bringup_records[k] = BringupRecord{};
    bringup_waiter = cpu_number();
    // The sequential bring-up of one AP, as at boot (SDM Vol. 3A 8.4.4.1).
    send_init(c);
    udelay(options->init_delay_us);
    sipi_sipi(c);
    if (wait_online(c, rdtsc() + ms_to_tsc(options->ap_timeout_ms))) return true;
    return give_up(c);
}
/// [start one]

void smp_park_cpu(uint32_t k) {
    init_apic(cpus[k].apic_id);
    cpus[k].boot_stage = StageNotStarted;
}

namespace {
/// The id check's report (mpmain()): AP @p c's LAPIC says @p lapic_says, its
/// block (the table) says c.apic_id. Firmware can make them differ by
/// rewriting an xAPIC ID register; apic_id_mismatch=N does it on purpose.
[[maybe_unused]] void report_id_mismatch(const Cpu& c, uint32_t lapic_says) {
    log_warn("cpu %u: its LAPIC says apic id %u, the table says %u", c.id, lapic_says, c.apic_id);
}

/// The check-in's last step: raise AP @p c's online flag (release: the BSP
/// that sees it sees every store before it), then wake the BSP, which may be
/// halted in wait_online(). checkin_gap=N makes CPU N stall here for 200 ms,
/// as if its vCPU lost its host core just after the flag: a check-in step
/// placed after this call would then be missing when the BSP counts.
[[maybe_unused]] void announce_online(Cpu& c) {
    __atomic_store_n(&c.online, (uint8_t)1, __ATOMIC_RELEASE);
    wait_wake(bringup_waiter);
    if (options->checkin_gap == c.id) udelay(200000);
}

/// [wake aps]
/// End the online APs' wait (smp_ap_wait_bringup(): bringup_running), one AP
/// first when they were @p held there. Woken together, every AP would run its first pass of
/// the scheduler and idle loop at once, code no CPU has run yet. Under TCG
/// the vCPU thread that translates code holds that page's lock, a host
/// spinlock, and with more vCPUs than host cores one holder that lost its
/// core kept all the others spinning: at 64 CPUs on two cores about one
/// boot in ten took 100 to 300 ms here instead of under 1 ms
/// (docs/bench.md). The first AP goes alone, until it is about to halt in
/// its idle loop (or FIRST_IDLE_BOUND_MS), and leaves that code translated.
void wake_online_aps(bool held) {
    uint32_t me = cpu_number(), first = COHORT_MAX_CPUS;
    if (held)
        for_each_cpu(k, cpu_online_mask) if (k != me) { first = k; break; }
    // The request before the word: an AP that sees the bring-up over (it may
    // wake on its own) must find the request at its first idle halt.
    if (first < COHORT_MAX_CPUS) sched_wake_at_idle(first, me);
    __atomic_store_n(&bringup_running, 0u, __ATOMIC_SEQ_CST);
    if (first < COHORT_MAX_CPUS) {
        // An interrupt whatever it does now: halted in its wait, or in its
        // idle loop already, it then goes round that loop and answers.
        ipi_send(first, vec::call_function);
        Waiter w(rdtsc() + ms_to_tsc(FIRST_IDLE_BOUND_MS));
        auto there = [&] { return sched_idle_reached(first); };
        while (!there() && w.pause(there)) {}
        if (!there())  // its request stands: a late wake of this CPU, no harm
            log_warn("smp: cpu %u, woken first, did not reach its idle loop within %u ms; waking the rest",
                     first, FIRST_IDLE_BOUND_MS);
    }
    for_each_cpu(k, cpu_online_mask) wait_wake(k);
}
/// [wake aps]

/// ap_late=N: CPU N waits until the BSP has given up on it, then checks in
/// (a self-test of the claim). Bounded: an AP told to be late but never
/// cancelled goes on after twice the BSP's timeout.
void wait_for_cancel(Cpu& c) {
    log_warn("cpu %u: ap_late=%u: checking in only after the boot CPU gives up on it", c.id, c.id);
    uint64_t end = rdtsc() + 2 * ms_to_tsc(options->ap_timeout_ms);
    while (__atomic_load_n(&c.claim, __ATOMIC_ACQUIRE) == ClaimOpen && rdtsc() < end) cpu_relax();
}
}  // namespace

void smp_ap_wait_bringup(bool (*has_work)(uint32_t cpu)) {
    uint32_t me = cpu_number();
    auto over = [&] { return __atomic_load_n(&bringup_running, __ATOMIC_ACQUIRE) == 0 || has_work(me); };
    if (over()) return;
    __atomic_fetch_add(&bringup_hold.waited, 1u, __ATOMIC_RELAXED);
    uintptr_t f = read_flags();
    sti();
    uint32_t bound_ms = options->ap_timeout_ms + 1000;
    uint64_t deadline = rdtsc() + ms_to_tsc(bound_ms);
    // No spin first (a Waiter's), and one timer for the whole bound: the
    // boot CPU's wait_wake() ends the wait. Under TCG each `pause` and each
    // timer interrupt goes through QEMU's global lock, which the APs still
    // starting need for every xAPIC access.
    while (!over() && rdtsc() < deadline) {
        if (wait_may_halt()) wait_halt(deadline, over, bound_ms * 1000);
        else cpu_relax();
    }
    // Ended, or else left early: for a thread queued here, or by the bound.
    // (Once ended, work may already be queued too: thread_create() places
    // threads on online APs as soon as smp_boot() returns.)
    bool ended = __atomic_load_n(&bringup_running, __ATOMIC_ACQUIRE) == 0;
    if (ended && !__atomic_load_n(&lines_released, __ATOMIC_ACQUIRE))
        __atomic_fetch_add(&bringup_hold.early, 1u, __ATOMIC_RELAXED);  // woken before the lines were out
    if (!ended && has_work(me)) {
        __atomic_fetch_add(&bringup_hold.for_work, 1u, __ATOMIC_RELAXED);
    } else if (!ended) {
        __atomic_fetch_add(&bringup_hold.timed_out, 1u, __ATOMIC_RELAXED);
        log_warn("cpu %u: the boot CPU has not ended the bring-up within %u ms; looking for work anyway", me,
                 bound_ms);
    }
    __atomic_fetch_add(&bringup_hold.left, 1u, __ATOMIC_RELEASE);
    write_flags(f);
}

/// [mpmain]
extern "C" [[noreturn]] void mpmain(Cpu* c) {
    // ap_noanswer with ap_stop_stage=2: stop here, in the kernel but before
    // the first LAPIC access (a self-test of the BSP's timeout report).
    if (options->ap_noanswer == c->id && options->ap_stop_stage == StageEntered) halt_forever();
    // apic_id_mismatch=N: the table's id made to disagree with this LAPIC's.
    if (options->apic_id_mismatch == c->id) c->apic_id += 1000;
    // Requires: the trampoline gave us our stack, our GDT, GS = c, and the IDT.
    // This CPU's first APIC access is the mode switch: before it, no code may
    // touch the LAPIC (the per-CPU mode is still None, and lapic_read() refuses).
    // LAB 05 BEGIN: lapic_init(), arch_cpu_load(), cpu_probe_features(), lapic_enable_mode(), boot_stage = StageLapic, the APIC id check: in an order that works
    lapic_enable_mode();
    c->boot_stage = StageLapic;

    // Requires: our LAPIC mode. Our own id, read from our own LAPIC.
    uint32_t id = lapic_id();
    if (id != c->apic_id) report_id_mismatch(*c, id);

    // Requires: nothing more. Our TSS (its double-fault stack) and our features.
    arch_cpu_load(*c);
    cpu_probe_features(*c);

    // Requires: our mode. Spurious and error vectors, LINTs, TPR from our runlevel.
    lapic_init();
    // LAB 05 STUB: lab_todo(5, "the AP's set-up steps, in order, in mpmain()");
    // LAB 05 STUB: (void)report_id_mismatch;
    // LAB 05 LATER: lab_later(5, "an AP woke without lab 05's bring-up; it stops here");
    // LAB 05 LATER: halt_forever();
    // LAB 05 END

    // The stage is a promise to the BSP's timeout report: stage 3 says the
    // mode switch is done, so it may be marked only after it.
    if (c->stage_at_switch >= StageLapic)
        log_error("cpu %u: its boot stage said %u (LAPIC mode enabled) before its mode switch began", c->id,
                  c->stage_at_switch);

    // ap_fault=N: an exception on purpose, taken through the IDT the start
    // block gave this CPU: reported by name (and a panic), never a silent
    // triple fault that resets the machine.
    if (options->ap_fault == c->id) asm volatile("ud2");

    // Requires: our GDT (the user selectors STAR names) and our features.
    // The system-call MSRs are this CPU's own: the BSP's values do not reach
    // it (uentry.h). After the lab's region, so a student tree has it too.
    arch_user_cpu_init();

    // Requires: our features. Our package/die/core/SMT ids, from our own CPUID.
    topology_init_ap(*c);

    if (options->ap_noanswer == c->id && options->ap_stop_stage == StageLapic) {
        log_warn("cpu %u: ap_noanswer=%u: not checking in, so the BSP's timeout can be seen", c->id, c->id);
        halt_forever();
    }

    // What the check-in promises the BSP: this CPU's LAPIC mode is the
    // machine's and its LAPIC is software-enabled (SVR bit 8, SDM 10.9).
    if (c->apic_mode != lapic_machine_mode() || !(lapic_read(LapicReg::Svr) & svr::enable))
        log_error("cpu %u: checking in with its LAPIC not set up (mode %s)", c->id, apic_mode_name(c->apic_mode));

    // The check-in is claimed, not just done: if the BSP's wait ran out first,
    // it has cancelled this bring-up and will send INIT; this CPU must not
    // appear online, so it halts here with interrupts off (smpboot.h).
    if (options->ap_late == c->id) wait_for_cancel(*c);
    uint32_t open = ClaimOpen;
    if (!__atomic_compare_exchange_n(&c->claim, &open, ClaimOnline, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        log_warn("cpu %u: checked in after the boot CPU gave up on it; parked", c->id);
        __atomic_store_n(&c->claim, (uint32_t)ClaimParked, __ATOMIC_RELEASE);
        halt_forever();
    }

    // Requires: IDT and LAPIC ready. The line goes out before the online bit:
    // once the BSP sees every bit it may report, run its tests and end the
    // run, and a line still waiting for the logger's lock would be lost.
    c->online_tsc = rdtsc();
    log_at(fold_online ? LogLevel::Debug : LogLevel::Info, "cpu %u: online (apic %u, %s) after %llu us", c->id,
           c->apic_id, apic_mode_name(c->apic_mode), (unsigned long long)(tsc_to_ns(c->online_tsc - c->sipi_tsc) / 1000));

    // LAB 05 BEGIN: check in (kernel id, LAPIC id), then the mask bit and the stage, the online flag last
    cpu_checkins[c->id] = CpuCheckin{cpu_number(), lapic_id()};
    cpu_online_mask.set(c->id);
    c->boot_stage = StageOnline;
    announce_online(*c);
    // LAB 05 STUB: lab_todo(5, "the check-in in mpmain(): the online bit goes last");
    // LAB 05 STUB: (void)announce_online;
    // LAB 05 LATER: halt_forever();
    // LAB 05 END

    // Requires: online. This boot context becomes this CPU's idle thread.
    sched_run_ap();
}
/// [mpmain]
