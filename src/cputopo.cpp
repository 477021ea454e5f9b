/// @file cputopo.cpp
/// Each CPU's package/die/core/SMT ids, the checks against the firmware's
/// CPU list, the boot summary and the monitor's views (see cputopo.h).
#include "cputopo.h"
#include "cpu.h"
#include "cpumask.h"
#include "cputable.h"
#include "format.h"
#include "log.h"
#include "numa.h"

namespace {

Topology machine;
/// Set by the first AP whose CPUID disagrees in layout, or in its APIC id.
uint8_t warned_layout, warned_apic;

/// True for the first caller only: APs come online in parallel, and each
/// kind of disagreement is said once for all of them.
bool first_to_warn(uint8_t& flag) { return __atomic_exchange_n(&flag, (uint8_t)1, __ATOMIC_ACQ_REL) == 0; }

bool same_core(const TopoIds& a, const TopoIds& b) {
    return a.package == b.package && a.die == b.die && a.core == b.core;
}

/// Count over the online CPUs: distinct packages, dies and cores.
struct Counts {
    uint32_t cpus, packages, dies, cores;
};

Counts count_online() {
    Counts n{};
    for_each_cpu(k, cpu_online_mask) {
        const TopoIds& a = cpus[k].topo;
        bool new_package = true, new_die = true, new_core = true;
        for_each_cpu(j, cpu_online_mask) {
            if (j >= k) break;
            const TopoIds& b = cpus[j].topo;
            if (a.package != b.package) continue;
            new_package = false;
            if (a.die != b.die) continue;
            new_die = false;
            if (a.core == b.core) new_core = false;
        }
        n.cpus++;
        n.packages += new_package;
        n.dies += new_die;
        n.cores += new_core;
    }
    return n;
}

/// The online CPUs in tree order (package, die, core, smt): insertion sort,
/// run only from the monitor, on one CPU.
uint32_t tree_order(uint16_t* order) {
    uint32_t n = 0;
    auto before = [](const TopoIds& a, const TopoIds& b) {
        if (a.package != b.package) return a.package < b.package;
        if (a.die != b.die) return a.die < b.die;
        if (a.core != b.core) return a.core < b.core;
        return a.smt < b.smt;
    };
    for_each_cpu(k, cpu_online_mask) {
        uint32_t i = n++;
        for (; i > 0 && before(cpus[k].topo, cpus[order[i - 1]].topo); --i) order[i] = order[i - 1];
        order[i] = uint16_t(k);
    }
    return n;
}

}  // namespace

const Topology& machine_topology() { return machine; }

/// [bsp]
void topology_init_bsp() {
    Cpu& c = *this_cpu();
    bool believed = cpu_probe_topology(c, machine);
    if (!believed)
        log_warn("topology: CPUID's layout cannot be right (%s); every CPU is taken as its own package",
                 machine.note);
    else if (machine.note[0])
        log_warn("topology: %s", machine.note);
    static uint32_t apics[COHORT_MAX_CPUS];
    for (uint32_t i = 0; i < cpu_table.usable; ++i) apics[i] = cpu_table.cpus[i].apic_id;
    char why[128];
    if (believed && !topology_fits(machine, apics, cpu_table.usable, why, sizeof why)) {
        topology_fallback(machine);
        ksnprintf(machine.note, sizeof machine.note, "the %s table %s", cpu_source_name(cpu_table.source), why);
        log_warn("topology: %s; every CPU is taken as its own package", machine.note);
    }
    c.topo = topology_ids(machine, c.apic_id);
}
/// [bsp]

/// [ap]
void topology_init_ap(Cpu& c) {
    Topology own;
    cpu_probe_topology(c, own);
    if (!topology_same_layout(own, machine) && machine.source != TopoSource::Fallback &&
        first_to_warn(warned_layout))
        log_warn("topology: cpu %u's CPUID cuts APIC ids at bits %u/%u/%u (%s), the boot CPU's at %u/%u/%u; "
                 "the boot CPU's layout is used for every CPU", c.id, own.smt_shift, own.die_base,
                 own.package_shift, topology_source_name(own), machine.smt_shift, machine.die_base,
                 machine.package_shift);
    // The APIC id CPUID reports (all 32 bits from leaf 0xB/0x1F, else the
    // low 8 of leaf 1) must be the one the table and the LAPIC gave.
    const CpuFeatures& f = c.features;
    uint32_t reported = f.has_x2apic_id ? f.x2apic_id : f.initial_apic_id;
    uint32_t expected = f.has_x2apic_id ? c.apic_id : c.apic_id & 0xFF;
    if (f.has_cpuid && reported != expected && first_to_warn(warned_apic))
        log_warn("topology: cpu %u's CPUID says apic id %u, its LAPIC and the table say %u; ids are cut "
                 "from the table's", c.id, reported, c.apic_id);
    c.topo = topology_ids(machine, c.apic_id);
}
/// [ap]

StealLevel cpu_steal_level(uint32_t thief, uint32_t victim) {
    return steal_level(CpuPlace{cpus[thief].topo, numa_node_of_cpu(thief)},
                       CpuPlace{cpus[victim].topo, numa_node_of_cpu(victim)});
}

void topology_log_summary() {
    topology_print(machine, "topology: ");
    Counts n = count_online();
    if (n.cores == 0) return;
    char dies[32] = "";
    if (n.dies != n.packages) ksnprintf(dies, sizeof dies, "%u dies/package, ", n.dies / n.packages);
    // Uneven (maxcpus=, disabled CPUs): say the totals instead of ratios that are not true.
    if (n.cores % n.packages != 0 || n.cpus % n.cores != 0 || n.dies % n.packages != 0)
        log_info("topology: %u cpus in %u packages, %u dies, %u cores, uneven (%s)", n.cpus, n.packages, n.dies,
                 n.cores, topology_source_name(machine));
    else
        log_info("topology: %u package%s, %s%u cores/package, %u threads/core (%s)", n.packages,
                 n.packages == 1 ? "" : "s", dies, n.cores / n.packages, n.cpus / n.cores,
                 topology_source_name(machine));
}

void topology_print_tree() {
    static uint16_t order[COHORT_MAX_CPUS];
    uint32_t n = tree_order(order);
    char line[120];
    size_t len = 0;
    for (uint32_t i = 0; i < n; ++i) {
        const TopoIds& t = cpus[order[i]].topo;
        const TopoIds* prev = i ? &cpus[order[i - 1]].topo : nullptr;
        bool new_core = !prev || !same_core(*prev, t);
        if (new_core || len > 90) {
            if (len) log_info("%s", line);  // the threads of the core before
            len = 0;
        }
        if (!prev || prev->package != t.package) log_info("monitor: package %u", t.package);
        if (!prev || prev->package != t.package || prev->die != t.die) log_info("monitor:   die %u", t.die);
        if (len == 0) len = ksnprintf(line, sizeof line, "monitor:     core %u:", t.core);
        len += ksnprintf(line + len, sizeof line - len, " smt %u = cpu %u (apic %u)", t.smt, order[i],
                         cpus[order[i]].apic_id);
    }
    if (len) log_info("%s", line);
}

void topology_print_levels() {
    log_info("monitor: topology from cpu 0's CPUID (%s), checked against the %s table", topology_source_name(machine),
             cpu_source_name(cpu_table.source));
    if (machine.note[0]) log_info("monitor:   note: %s", machine.note);
    topology_print(machine, "monitor:   ");
    if (machine.source == TopoSource::Amd1E) log_info("monitor:   amd node id of cpu 0: %u", machine.amd_node);
}
