/// @file numa.cpp
/// From SRAT and SLIT to dense nodes (see numa.h).
#include "numa.h"
#include "acpi.h"
#include "cputable.h"
#include "format.h"
#include "kstring.h"
#include "log.h"

NumaInfo numa_info;

namespace {

/// Every CPU and every byte on node 0, for the reason @p why.
void one_node(NumaInfo* out, const char* why) {
    memset(out, 0, sizeof *out);
    out->nodes = 1;
    out->one_node_why = why;
    out->distance[0][0] = NUMA_LOCAL;
}

/// The node of proximity domain @p d in @p out, or -1.
int node_of_domain(const NumaInfo* out, uint32_t d) {
    for (uint32_t i = 0; i < out->nodes; ++i)
        if (out->domain[i] == d) return int(i);
    return -1;
}

/// Insert @p d into the sorted domain list; false when the list is full.
bool add_domain(NumaInfo* out, uint32_t d) {
    if (node_of_domain(out, d) >= 0) return true;
    if (out->nodes == MAX_NUMA_NODES) return false;
    uint32_t i = out->nodes++;
    for (; i > 0 && out->domain[i - 1] > d; --i) out->domain[i] = out->domain[i - 1];
    out->domain[i] = d;
    return true;
}

/// The memory ranges, sorted by base; false (after a warning) when two
/// ranges of different domains share a byte: then no answer can be right.
bool add_ranges(NumaInfo* out, const SratInfo& s) {
    for (uint32_t i = 0; i < s.nmem; ++i) {
        // Hot-pluggable ranges may hold nothing now; the frame allocator only
        // knows the memory map's memory, so they would name empty space.
        if (s.mem[i].hotplug) continue;
        NumaRange r{s.mem[i].base, s.mem[i].len, uint32_t(node_of_domain(out, s.mem[i].domain))};
        uint32_t k = out->nranges++;
        for (; k > 0 && out->ranges[k - 1].base > r.base; --k) out->ranges[k] = out->ranges[k - 1];
        out->ranges[k] = r;
    }
    for (uint32_t j = 1; j < out->nranges; ++j) {
        for (uint32_t i = 0; i < j; ++i) {  // sorted: ranges[i] starts no later
            const NumaRange &a = out->ranges[i], &b = out->ranges[j];
            if (b.base - a.base < a.len && a.node != b.node) {
                log_warn("numa: the SRAT puts 0x%llx in domains %u and %u; one node",
                         (unsigned long long)b.base, out->domain[a.node], out->domain[b.node]);
                return false;
            }
        }
    }
    return true;
}

/// Distances from the SLIT when it covers every node's domain, else 10/20.
void set_distances(NumaInfo* out, const SlitInfo* slit) {
    bool covers = slit && slit->found;
    for (uint32_t i = 0; covers && i < out->nodes; ++i) covers = out->domain[i] < slit->n;
    if (slit && slit->found && !covers)
        log_warn("numa: the SLIT has %u localities but the SRAT names domain %u; distances %u local, %u remote",
                 slit->n, out->domain[out->nodes - 1], NUMA_LOCAL, NUMA_REMOTE);
    out->have_slit = covers;
    for (uint32_t a = 0; a < out->nodes; ++a)
        for (uint32_t b = 0; b < out->nodes; ++b)
            out->distance[a][b] = covers ? slit->dist[out->domain[a]][out->domain[b]]
                                         : (a == b ? NUMA_LOCAL : NUMA_REMOTE);
}

/// Append to @p buf, which holds @p len characters; the output is cut at
/// @p cap. Returns the new length (at most cap - 1).
__attribute__((format(printf, 4, 5))) size_t append(char* buf, size_t cap, size_t len, const char* fmt, ...) {
    if (len + 1 >= cap) return len;
    va_list ap;
    va_start(ap, fmt);
    size_t n = kvsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
    return n < cap - len ? len + n : cap - 1;
}

/// "cpus 0-1,4" for the kernel CPU ids on @p node ("cpus none" for a memory-only node).
void format_cpus(const NumaInfo& n, const CpuTable& t, uint32_t node, char* buf, size_t cap) {
    size_t len = append(buf, cap, 0, "cpus");
    const char* sep = " ";
    for (uint32_t k = 0; k < t.usable; ++k) {
        if (n.cpu_node[k] != node) continue;
        uint32_t end = k;
        while (end + 1 < t.usable && n.cpu_node[end + 1] == node) ++end;
        len = end == k ? append(buf, cap, len, "%s%u", sep, k) : append(buf, cap, len, "%s%u-%u", sep, k, end);
        sep = ",";
        k = end;
    }
    if (*sep == ' ') append(buf, cap, len, " none");
}

/// "node 0: cpus 0-1, 512 MiB" (rounded to the nearest MiB: the SRAT leaves
/// out the 384 KiB hole below 1 MiB).
void format_node(const NumaInfo& n, const CpuTable& t, uint32_t node, char* buf, size_t cap) {
    char cpulist[128];
    format_cpus(n, t, node, cpulist, sizeof cpulist);
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < n.nranges; ++i)
        if (n.ranges[i].node == node) bytes += n.ranges[i].len;
    if (n.one_node_why) ksnprintf(buf, cap, "node %u: %s, all memory", node, cpulist);
    else ksnprintf(buf, cap, "node %u: %s, %llu MiB", node, cpulist, (unsigned long long)((bytes + (1u << 19)) >> 20));
}

/// "10 20" : the distances from @p node to every node.
void format_row(const NumaInfo& n, uint32_t node, char* buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t b = 0; b < n.nodes; ++b) len = append(buf, cap, len, b ? " %u" : "%u", n.distance[node][b]);
}

}  // namespace

void numa_build(NumaInfo* out, const SratInfo* srat, const SlitInfo* slit, const CpuTable& t) {
    if (srat == nullptr) return one_node(out, "no SRAT");
    if (!srat->found) return one_node(out, "SRAT not used");
    memset(out, 0, sizeof *out);
    // A node per domain that holds a CPU the kernel can run or present memory.
    bool fits = true;
    for (uint32_t i = 0; i < srat->ncpus; ++i)
        if (cpu_table_kernel_id(t, srat->cpus[i].apic_id) >= 0) fits &= add_domain(out, srat->cpus[i].domain);
    for (uint32_t i = 0; i < srat->nmem; ++i)
        if (!srat->mem[i].hotplug) fits &= add_domain(out, srat->mem[i].domain);
    if (!fits) {
        log_warn("numa: the SRAT names more than %u proximity domains; one node", MAX_NUMA_NODES);
        return one_node(out, "too many domains");
    }
    if (out->nodes == 0) return one_node(out, "SRAT names no CPU or memory");
    if (!add_ranges(out, *srat)) return one_node(out, "SRAT ranges overlap");
    uint32_t missing = 0, first_missing = 0;
    for (uint32_t k = 0; k < t.usable; ++k) {
        int node = -1;
        for (uint32_t i = 0; i < srat->ncpus && node < 0; ++i)
            if (srat->cpus[i].apic_id == t.cpus[k].apic_id) node = node_of_domain(out, srat->cpus[i].domain);
        if (node < 0 && missing++ == 0) first_missing = t.cpus[k].apic_id;
        out->cpu_node[k] = uint8_t(node < 0 ? 0 : node);
    }
    if (missing)
        log_warn("numa: %u cpu(s) have no SRAT entry (the first: apic %u); placed on node 0", missing, first_missing);
    set_distances(out, slit);
}

void numa_discover(const PhysMem& mem, const Rsdp* rsdp, const CpuTable& t, SratInfo* srat, SlitInfo* slit,
                   NumaInfo* out) {
    AcpiTableRef ref{};
    bool have_srat = rsdp && acpi_find_table(mem, *rsdp, "SRAT", &ref);
    if (have_srat) srat_parse(mem.map(ref.phys, ref.len), ref.len, srat);
    // Distances without nodes mean nothing: the SLIT is read only beside an SRAT.
    bool have_slit = have_srat && srat->found && acpi_find_table(mem, *rsdp, "SLIT", &ref);
    if (have_slit) slit_parse(mem.map(ref.phys, ref.len), ref.len, slit);
    numa_build(out, have_srat ? srat : nullptr, have_slit ? slit : nullptr, t);
}

void numa_log(const NumaInfo& n, const CpuTable& t) {
    char line[320], part[160], row[64];
    size_t len = append(line, sizeof line, 0, "%u node%s", n.nodes, n.nodes == 1 ? "" : "s");
    if (n.one_node_why) len = append(line, sizeof line, len, " (%s)", n.one_node_why);
    if (n.nodes > 4) {  // one line would not fit: a line per node
        log_info("numa: %s", line);
        for (uint32_t a = 0; a < n.nodes; ++a) {
            format_node(n, t, a, part, sizeof part);
            format_row(n, a, row, sizeof row);
            log_info("numa: %s; distances %s", part, row);
        }
        return;
    }
    for (uint32_t a = 0; a < n.nodes; ++a) {
        format_node(n, t, a, part, sizeof part);
        len = append(line, sizeof line, len, "; %s", part);
    }
    for (uint32_t a = 0; a < n.nodes; ++a) {
        format_row(n, a, row, sizeof row);
        len = append(line, sizeof line, len, a ? " / %s" : "; distances %s", row);
    }
    log_info("numa: %s", line);
}

int numa_node_of(const NumaInfo& n, uint64_t phys) {
    if (n.nodes == 1 && n.one_node_why) return 0;
    for (uint32_t i = 0; i < n.nranges; ++i)
        if (phys - n.ranges[i].base < n.ranges[i].len) return int(n.ranges[i].node);
    return -1;
}

uint32_t numa_by_distance(const NumaInfo& n, uint32_t from, uint32_t order[MAX_NUMA_NODES]) {
    uint32_t count = 0;
    if (from >= n.nodes) from = 0;
    order[count++] = from;
    // Selection by (distance, node): at most 16 nodes, so quadratic is fine.
    while (count < n.nodes) {
        uint32_t best = n.nodes;
        for (uint32_t b = 0; b < n.nodes; ++b) {
            bool taken = false;
            for (uint32_t i = 0; i < count; ++i) taken |= order[i] == b;
            if (!taken && (best == n.nodes || n.distance[from][b] < n.distance[from][best])) best = b;
        }
        order[count++] = best;
    }
    return count;
}

uint32_t numa_node_of_cpu(uint32_t kid) { return kid < COHORT_MAX_CPUS ? numa_info.cpu_node[kid] : 0; }

uint32_t numa_distance(uint32_t a, uint32_t b) {
    if (a >= numa_info.nodes || b >= numa_info.nodes) return NUMA_REMOTE;
    return numa_info.distance[a][b];
}
