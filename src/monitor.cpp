/// @file monitor.cpp
/// `cohort>` commands: help, cpus, cpuid, topology, lapic, madt, mptable,
/// numa, ioapic, threads, ipi, offline, online, test, bench, halt.
#include "monitor.h"
#include "acpi.h"
#include "cpu.h"
#include "cpumask.h"
#include "cputable.h"
#include "cputopo.h"
#include "discover.h"
#include "format.h"
#include "hotplug.h"
#include "ioapic.h"
#include "ipi.h"
#include "kstring.h"
#include "ktest/ktest.h"
#include "lapic.h"
#include "log.h"
#include "mp.h"
#include "numa.h"
#include "panic.h"
#include "proc.h"
#include "process.h"
#include "../user/lib/sysnum.h"
#include "timer.h"
#include "uart.h"
#include "x86.h"

namespace {

/// Parse a decimal CPU id; -1 when @p s is empty or not a number.
long number(const char* s) {
    if (!s || !*s) return -1;
    long v = 0;
    for (; *s; ++s) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
        if (v > 1000000) return -1;
    }
    return v;
}

/// The CPU a command names (default: the caller's), or -1 with a message.
long cpu_arg(const char* a) {
    if (!a) return cpu_number();
    long k = number(a);
    if (k < 0 || k >= COHORT_MAX_CPUS || !cpu_online_mask.test((uint32_t)k)) {
        log_info("monitor: no online cpu '%s' (see 'cpus')", a);
        return -1;
    }
    return k;
}

void cmd_help() {
    log_info("monitor: help              this list");
    log_info("monitor: cpus              every CPU: ids, APIC mode, state, scheduler statistics, the tree");
    log_info("monitor: cpuid [cpu]       the CPUID probe of a CPU");
    log_info("monitor: topology          the topology levels and the APIC id bits of each");
    log_info("monitor: lapic [cpu]       a CPU's local APIC registers (read on that CPU)");
    log_info("monitor: madt | mptable    the firmware tables the CPUs were found in");
    log_info("monitor: numa              NUMA nodes: their CPUs, memory and distances (SRAT, SLIT)");
    log_info("monitor: ioapic            the IOAPIC inputs that are routed");
    log_info("monitor: threads           every thread: id, name, state, CPU, switches");
    log_info("monitor: ps                every process: pid, parent, state, threads, CPU last run, program");
    log_info("monitor: run <prog> [n]    start a user program (a boot module) with argument n, wait, print its exit status");
    log_info("monitor: start <prog> [n]  the same without waiting (its parent is the kernel: 'wait' reaps it)");
    log_info("monitor: kill <pid>        end a process (exit status 256); 'wait <pid>' then reaps it");
    log_info("monitor: wait <pid>        wait for a process started with 'start', print its exit status");
    log_info("monitor: ipi <cpu>         time a call-function round trip to a CPU");
    log_info("monitor: offline <cpu>     take a CPU offline: its threads move, it is parked with INIT");
    log_info("monitor: online <cpu>      bring a CPU (back) online with INIT-SIPI-SIPI");
    log_info("monitor: test <name|list>  run a self-test (list: show them)");
    log_info("monitor: bench <name>      run a benchmark (bench_ipi, bench_lock, bench_sched)");
    log_info("monitor: halt              stop every CPU (QEMU exits)");
}

void cmd_cpus() {
    log_info("monitor:  cpu  apic mode    online stage rl  queue  switches migr  steals idle%%  irqs");
    uint64_t up = now_ns();
    for (uint32_t k = 0; k < cpu_table.usable; ++k) {
        const Cpu& c = cpus[k];
        const SchedStats& s = sched_stats(k);
        uint64_t idle_pct = up ? sched_idle_ns(k) * 100 / up : 0;
        log_info("monitor: %4u %5u %-7s %-6s %5u %2u %6u %9llu %5llu %7llu %4llu %6llu", k, cpu_table.cpus[k].apic_id,
                 apic_mode_name(c.apic_mode), c.online ? "yes" : "no", c.boot_stage, c.runlevel,
                 sched_queue_length(k), (unsigned long long)s.switches, (unsigned long long)s.migrations,
                 (unsigned long long)s.steals, (unsigned long long)idle_pct, (unsigned long long)c.irq_count);
    }
    HotplugCounts h = hotplug_counts();
    log_info("monitor: %u of %u cpus online (%u taken offline, %u brought online since boot)", cpu_online_mask.count(),
             cpu_table.usable, h.offlines, h.onlines);
    topology_print_tree();
}

void cmd_madt() {
    const MadtInfo& m = discovered_madt();
    if (!m.found) {
        log_info("monitor: no MADT was read (acpi=off, or none): cpus came from source=%s",
                 cpu_source_name(cpu_table.source));
        return;
    }
    log_info("monitor: MADT revision %u, flags 0x%x, local APIC at 0x%llx, %u processor entries", m.revision,
             m.flags, (unsigned long long)m.lapic_addr, m.cpu_entries);
    for (uint32_t i = 0; i < m.ncpus; ++i)
        log_info("monitor:   %s apic %u uid %u %s%s", m.cpus[i].x2apic ? "x2apic" : "lapic ", m.cpus[i].apic_id,
                 m.cpus[i].uid, m.cpus[i].enabled ? "enabled" : "disabled",
                 m.cpus[i].online_capable ? " online-capable" : "");
    for (uint32_t i = 0; i < m.nioapics; ++i)
        log_info("monitor:   ioapic %u at 0x%x gsi %u", m.ioapics[i].id, m.ioapics[i].addr, m.ioapics[i].gsi_base);
    for (uint32_t i = 0; i < m.noverrides; ++i)
        log_info("monitor:   override irq %u -> gsi %u flags 0x%x", m.overrides[i].irq, m.overrides[i].gsi,
                 m.overrides[i].flags);
    for (uint32_t i = 0; i < m.nlapic_nmis; ++i)
        log_info("monitor:   local nmi uid 0x%x lint%u flags 0x%x", m.lapic_nmis[i].uid, m.lapic_nmis[i].lint,
                 m.lapic_nmis[i].flags);
}

void cmd_mptable() {
    const MpInfo& m = discovered_mp();
    if (!m.found) {
        log_info("monitor: no MP table was read (the MADT was used); boot with acpi=off to read it");
        return;
    }
    log_info("monitor: MP floating pointer at 0x%llx, table at 0x%x, default config %u, local APIC 0x%x",
             (unsigned long long)m.fp_phys, m.table_phys, m.default_config, m.lapic_addr);
    for (uint32_t i = 0; i < m.ncpus; ++i)
        log_info("monitor:   cpu apic %u %s%s signature 0x%x", m.cpus[i].apic_id,
                 m.cpus[i].enabled ? "enabled" : "disabled", m.cpus[i].bsp ? " bsp" : "", m.cpus[i].signature);
    for (uint32_t i = 0; i < m.nioapics; ++i)
        log_info("monitor:   ioapic %u at 0x%x", m.ioapics[i].id, m.ioapics[i].addr);
    log_info("monitor:   %u bus, %u interrupt and %u local interrupt entries", m.nbuses, m.nirqs, m.nlints);
}

const char* state_name(ThreadState s) {
    switch (s) {
    case ThreadState::Runnable: return "runnable";
    case ThreadState::Running: return "running";
    case ThreadState::Blocked: return "blocked";
    default: return "dead";
    }
}

void cmd_threads() {
    log_info("monitor:  tid name                     state    cpu prio  switches migrations");
    thread_foreach(
        [](const Thread& t, void*) {
            log_info("monitor: %4u %-24s %-8s %3d %4u %9llu %10llu", t.tid, t.name, state_name(t.state),
                     t.on_cpu == 0xFFFFFFFF ? -1 : (int)t.on_cpu, t.prio, (unsigned long long)t.switches_in,
                     (unsigned long long)t.migrations);
        },
        nullptr);
}

void cmd_wait(long pid) {
    long status = process_wait((int)pid, 0);
    if (status == -ECHILD) log_info("monitor: no process %ld started from here (see 'ps')", pid);
    else log_info("monitor: pid %ld exited with status %ld", pid, status);
}

void cmd_run(const char* prog, const char* a, bool wait) {
    if (!prog) {
        log_info("monitor: run|start <program> [n]: the programs are the boot modules (the boot log's 'user: module' lines)");
        return;
    }
    long arg = a ? number(a) : 0;
    int pid = process_spawn(prog, arg, 0);
    if (pid < 0) {
        log_info("monitor: %s: refused (%d)", prog, pid);
        return;
    }
    log_info("monitor: %s: pid %d", prog, pid);
    if (wait) cmd_wait(pid);
}

void lapic_dump_fn(void*) { lapic_dump(); }
void nothing(void*) {}

void cmd_ipi(const char* a) {
    if (!a) {
        log_info("monitor: usage: ipi <cpu> (another online cpu; see 'cpus')");
        return;
    }
    long k = cpu_arg(a);
    if (k < 0) return;
    if ((uint32_t)k == cpu_number()) {
        log_info("monitor: cpu %ld is this cpu: a call to it runs here, without an IPI", k);
        return;
    }
    uint64_t best = ~0ull;
    for (int i = 0; i < 10; ++i) {
        uint64_t t0 = rdtsc();
        if (!ipi_call_one((uint32_t)k, nothing, nullptr, true)) return;
        uint64_t d = rdtsc() - t0;
        if (d < best) best = d;
    }
    log_info("monitor: call-function round trip to cpu %ld: %llu ns (best of 10)", k,
             (unsigned long long)tsc_to_ns(best));
}

/// `offline <cpu>` and `online <cpu>`: the hotplug API says what happened.
void cmd_hotplug(const char* verb, const char* a) {
    long k = number(a);
    if (k < 0) {
        log_info("monitor: usage: %s <cpu> (a number; see 'cpus')", verb);
        return;
    }
    if (k >= COHORT_MAX_CPUS) k = COHORT_MAX_CPUS;  // still "no such cpu", without a wrap
    if (verb[1] == 'f') (void)cpu_offline((uint32_t)k);
    else (void)cpu_online((uint32_t)k);
}

void run_test(const char* name) {
    if (!name || strcmp(name, "list") == 0) {
        ktest_foreach([](const KTest& t) {
            log_info("monitor:   %-14s %s%s", t.name, t.help, t.order < 0 ? " (ends the boot or only by name)" : "");
        });
        return;
    }
    if (!ktest_find(name)) {
        log_info("monitor: no test or benchmark '%s' (try 'test list')", name);
        return;
    }
    char names[1][32] = {};
    size_t n = strlen(name);
    memcpy(names[0], name, n < 31 ? n : 31);
    ktest_run(names, 1, "monitor");
}

void execute(char* line) {
    char* argv[4] = {};
    int argc = 0;
    for (char* p = line; *p && argc < 4;) {
        while (*p == ' ') *p++ = '\0';
        if (!*p) break;
        argv[argc++] = p;
        while (*p && *p != ' ') ++p;
    }
    if (!argc) return;
    const char* c = argv[0];
    if (!strcmp(c, "help") || !strcmp(c, "?")) cmd_help();
    else if (!strcmp(c, "cpus")) cmd_cpus();
    else if (!strcmp(c, "cpuid")) { long k = cpu_arg(argv[1]); if (k >= 0) cpuid_print(cpus[k].features, (int)k); }
    else if (!strcmp(c, "topology")) topology_print_levels();
    else if (!strcmp(c, "lapic")) { long k = cpu_arg(argv[1]); if (k >= 0) ipi_call_one((uint32_t)k, lapic_dump_fn, nullptr, true); }
    else if (!strcmp(c, "madt")) cmd_madt();
    else if (!strcmp(c, "mptable")) cmd_mptable();
    else if (!strcmp(c, "numa")) numa_log(numa_info, cpu_table);
    else if (!strcmp(c, "ioapic")) ioapic_dump();
    else if (!strcmp(c, "threads")) cmd_threads();
    else if (!strcmp(c, "ps")) process_ps();
    else if (!strcmp(c, "run") || !strcmp(c, "start")) cmd_run(argv[1], argv[2], c[0] == 'r');
    else if (!strcmp(c, "wait")) cmd_wait(argv[1] ? number(argv[1]) : -1);
    else if (!strcmp(c, "kill")) {
        long pid = argv[1] ? number(argv[1]) : -1;
        log_info("monitor: kill %ld: %s", pid, process_kill((int)pid) ? "asked to exit" : "no such process");
    }
    else if (!strcmp(c, "ipi")) cmd_ipi(argv[1]);
    else if (!strcmp(c, "offline") || !strcmp(c, "online")) cmd_hotplug(c, argv[1]);
    else if (!strcmp(c, "test") || !strcmp(c, "bench")) run_test(argv[1]);
    else if (!strcmp(c, "halt")) {
        log_info("monitor: halting every cpu");
        machine_exit(ExitStatus::Pass);
    } else log_info("monitor: unknown command '%s' (try 'help')", c);
}

}  // namespace

void monitor_run() {
    log_info("monitor: type 'help' for commands");
    char line[80];
    uint32_t n = 0;
    uart_write("cohort> ", 8);
    for (;;) {
        int ch = serial_getc();
        if (ch < 0) {
            sleep_ms(5);  // input arrives by interrupt; nothing to spin for
            continue;
        }
        if (ch == '\r' || ch == '\n') {
            uart_write("\n", 1);
            line[n] = '\0';
            execute(line);
            n = 0;
            uart_write("cohort> ", 8);
        } else if ((ch == '\b' || ch == 0x7F) && n > 0) {
            --n;
            uart_write("\b \b", 3);
        } else if (ch >= ' ' && ch < 0x7F && n < sizeof line - 1) {
            line[n++] = (char)ch;
            char e = (char)ch;
            uart_write(&e, 1);  // echo: the serial console is a terminal
        }
    }
}
