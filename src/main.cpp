/// @file main.cpp
/// The boot order, top to bottom: kmain() on the bootstrap processor (BSP).
/// Each step says what must already be true for it. The APs' side is mpmain()
/// in smpboot.cpp.
#include "arch.h"
#include "cmdline.h"
#include "console.h"
#include "cpu.h"
#include "cpuid.h"
#include "cpumask.h"
#include "cputable.h"
#include "cputopo.h"
#include "discover.h"
#include "ioapic.h"
#include "ipi.h"
#include "ktest/ktest.h"
#include "kstring.h"
#include "kbd.h"
#include "lapic.h"
#include "log.h"
#include "logsink.h"
#include "mem.h"
#include "monitor.h"
#include "mp.h"
#include "multiboot2.h"
#include "panic.h"
#include "pic.h"
#include "proc.h"
#include "smpboot.h"
#include "spinlock.h"
#include "timer.h"
#include "trap.h"
#include "uart.h"
#include "uentry.h"
#include "process.h"
#include "user.h"
#include "x86.h"

void run_global_constructors();
void cpu_init_bsp();
void cpu_probe_features(Cpu& c);

namespace {
Mb2Info mb2;
BootOptions opts;

/// Every option's effective value, and the help if asked for.
void log_options() {
    char line[1024];
    format_options(opts, line, sizeof line);
    // A log line holds about 300 characters: the options go out in pieces cut between words.
    for (char* p = line; *p;) {
        size_t n = strlen(p);
        if (n > 240) {
            n = 240;
            while (n && p[n] != ' ') --n;
            if (!n) n = 240;
        }
        log_info("options: %.*s", (int)n, p);
        p += n;
        while (*p == ' ') ++p;
    }
    if (opts.help) log_cmdline_help();
}
}  // namespace

/// The effective boot options (valid after kmain parsed the command line).
const BootOptions& boot_options() { return opts; }
/// The parsed Multiboot2 information.
const Mb2Info& boot_info() { return mb2; }

/// [kmain]
extern "C" [[noreturn]] void kmain(uint32_t magic, uintptr_t info) {
    // Requires: boot.asm set GS to cpus[0], so cpu_number() works. Serial first:
    // everything after this line can log.
    uart_init();
    run_global_constructors();
    // Requires: the PIT (always present on a PC), nothing else using it. The
    // TSC's calibration window opens; the steps below, up to
    // timer_calibrate_tsc(), are its length: no time is spent waiting on it.
    timer_calibrate_begin();
    log_info("Cohort kernel %s booting", COHORT_ARCH);

    // Requires: nothing more. Exceptions must be reportable before anything can fault.
    idt_init();
    cpu_init_bsp();

    // Requires: GRUB's information still intact (nothing allocated yet).
    if (!mb2_magic_ok(magic)) panic("not booted by a Multiboot2 loader (magic 0x%x)", magic);
    uint32_t total = *(const uint32_t*)info;
    mb2_parse((const uint8_t*)info, total < (1u << 20) ? total : (1u << 20), mb2);
    log_info("boot: loader \"%s\", info at %p, %u bytes", mb2.loader_name ? mb2.loader_name : "?",
             (void*)info, total);

    // Requires: the boot information. Options decide everything that follows.
    parse_cmdline(mb2.cmdline, opts);
    bool bios = !mb2.has_efi32 && !mb2.has_efi64;
    // The VGA mirror needs BIOS text mode and a VGA card (make run has none).
    bool vga = opts.vga && bios && console_init();
    logsink_configure(opts.e9, vga, (int)opts.loglevel);
    if (opts.vga && bios && !vga) log_info("console: no VGA card (its CRTC does not answer); the log goes to serial only");
    log_info("cmdline: \"%s\"", mb2.cmdline ? mb2.cmdline : "");
    spinlock_set_timeout_ms(opts.spin_timeout_ms);

    // Requires: the memory map and what GRUB loaded (kept out of the free frames).
    mem_init(mb2, info, total);

    // Requires: nothing. The BSP's own features decide the APIC mode later.
    cpu_probe_features(*this_cpu());
    const CpuFeatures& f = this_cpu()->features;

    // Requires: timer_calibrate_begin(). The window closes: the log gets real
    // timestamps from here. Then the rate CPUID states, if it states one.
    timer_calibrate_tsc();
    timer_check_cpuid(f);

    // Requires: the BSP's features (NX). Its system-call entry: every AP
    // does the same for itself in mpmain(), these registers are per CPU.
    arch_user_cpu_init();

    // Requires: the BSP's features, and no other CPU running yet: every lock
    // must be taken the same way on all CPUs. Under a hypervisor a vCPU may
    // have no host core; a FIFO lock would then wait for it (docs/logging.md).
    bool tas = spinlock_set_policy(opts.spinlock, cpu_has(f, CpuFlag::Hypervisor));

    // Requires: CPUID. The BSP's APIC id, which the tables list it by: the
    // xAPIC ID register where the machine stays in xAPIC mode (firmware may
    // have rewritten it), else CPUID's.
    BootApicId bid = lapic_boot_id(f, opts.nox2apic, opts.bsp_id_rewrite);
    if (bid.source == BootIdSource::Rewritten)
        log_warn("lapic: the boot CPU's xAPIC ID register says %u, CPUID %u: firmware changed it; "
                 "going by the register, which interrupts are delivered by", bid.id, bid.cpuid_id);
    this_cpu()->apic_id = bid.id;

    // Requires: the BSP's APIC id. The CPUs, then their NUMA nodes: frames
    // come node-first from here on. Its summary is printed after the bring-up.
    discover_cpus(opts, mb2, this_cpu()->apic_id, f.logical_per_package());
    timer_calibrate_pm();  // only when neither the PIT nor CPUID gave the TSC rate

    // Requires: nothing. The 8259s would deliver onto exception vectors: silence them.
    pic_disable();
    if (cpu_table.source == CpuSource::Mp && discovered_mp().imcr) pic_imcr_to_apic();

    // Requires: CPUID (x2APIC flag), the options, the LAPIC address from the
    // tables. The BSP picks the mode every CPU will use, then switches itself.
    lapic_choose_mode(f, opts.nox2apic, cpu_table.lapic_addr);
    lapic_enable_mode();
    if (lapic_available() && lapic_id() != this_cpu()->apic_id)
        log_error("lapic: cpu 0's LAPIC says apic id %u after its mode switch, the tables were read with %u",
                  lapic_id(), this_cpu()->apic_id);
    lapic_init();

    // Requires: this CPU's LAPIC, the CPU table, memory for stacks, a
    // calibrated delay. The bring-up's first half: in a parallel bring-up
    // every AP gets its INIT here, and the steps below, up to smp_boot(), run
    // during the 10 ms the APs need to take it (SDM Vol. 3A 8.4.4.1).
    smp_boot_begin(opts);

    // Requires: the CPU table (the layout must hold the CPUs it lists). The
    // BSP's CPUID gives the machine's package/die/core/SMT layout. Only the
    // APs (mpmain()) and the scheduler use it: it is made in the INIT wait.
    topology_init_bsp();

    // Requires: this CPU's LAPIC. Every CPU's timer counts the same clock: measure it once.
    lapic_timer_calibrate();

    // Requires: the IOAPICs and overrides from the tables, the BSP's APIC id.
    // Every entry masked before any AP can take an interrupt.
    ioapic_init();

    // Requires: IDT and LAPIC ready on the BSP: it is online.
    cpu_checkins[0] = CpuCheckin{cpu_number(), lapic_id()};
    this_cpu()->online_tsc = rdtsc();
    this_cpu()->online = 1;
    this_cpu()->boot_stage = StageOnline;
    cpu_online_mask.set(0);

    // Requires: the IDT. Every CPU must be able to take IPIs the moment it is online.
    ipi_init();

    // Requires: heap, IPIs, the LAPIC timer. From here kmain is the thread "main";
    // each AP becomes its own idle thread the moment it is online.
    sched_init();

    // Requires: smp_boot_begin(). The APs: what is left of the INIT wait,
    // the SIPIs, the wait for each check-in. Everything above is what the
    // APs need (mpmain() in smpboot.cpp), and under
    // an emulator each log line costs a fraction of a millisecond: what is
    // only told, and what only the BSP uses, comes after.
    smp_boot(opts);

    // Requires: the scheduler. The reaper of orphaned processes, a thread: no
    // AP needs it, and made before smp_boot() it took time from the INIT wait.
    process_init();

    // Requires: nothing more. What the steps above found, said now.
    log_options();
    cpuid_print(f, 0);
    log_info("spinlock: %s locks (spinlock=%s, hypervisor bit %s)", tas ? "test-and-set" : "ticket",
             opts.spinlock == SpinPolicy::Auto ? "auto" : opts.spinlock == SpinPolicy::Tas ? "tas" : "ticket",
             cpu_has(f, CpuFlag::Hypervisor) ? "set" : "clear");
    discover_log();
    log_info("lapic: cpu 0 apic id %u mode %s", this_cpu()->apic_id, apic_mode_name(this_cpu()->apic_mode));

    // Requires: the IOAPIC masked (ioapic_init). The serial console's input
    // routed to the BSP, for the monitor and for tests that type.
    uart_start_rx(0);
    if (bios) kbd_start(0);  // a screen and a keyboard: the monitor takes keys too

    // Requires: the modules' frames held back (mem_init). The user programs
    // GRUB loaded are checked before anything runs one, and a bad one is
    // skipped, never fatal.
    user_check_modules(mb2);

    // Requires: bring-up over: each online CPU stored its own ids.
    topology_log_summary();

    log_info("boot: done");
    if (opts.token[0]) log_info("boot: token %s", opts.token);
    if (opts.test_count) {
        uint32_t failed = ktest_run(opts.tests, opts.test_count, opts.token);
        machine_exit(failed ? ExitStatus::Fail : ExitStatus::Pass);
    }
    // Requires: the scheduler (the monitor sleeps between keys). No tests asked
    // for: the student gets a prompt on the serial console.
    sti();
    monitor_run();
}
/// [kmain]
