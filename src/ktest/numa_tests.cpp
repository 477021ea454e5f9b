/// @file numa_tests.cpp
/// NUMA placement: on every online CPU, a frame from frame_alloc(), the
/// CPU's own stacks and its run queue lie on that CPU's node, or, when its node has no memory,
/// on the nearest node that has; and the distances keep ACPI's rules. With
/// one node the placement holds trivially; the boot tests run it under
/// QEMU's `-numa` with 2 and 4 nodes (tests/boot/cases/numa.py).
#include "ktest.h"
#include "cpu.h"
#include "cpumask.h"
#include "ipi.h"
#include "mem.h"
#include "numa.h"
#include "proc.h"
#include "smpboot.h"

namespace {

struct Probe {
    uint32_t cpu;    // who ran it
    uint64_t frame;  // what frame_alloc() gave that CPU
};

void alloc_here(void* arg) {
    Probe* p = static_cast<Probe*>(arg);
    p->cpu = cpu_number();
    p->frame = frame_alloc(1);
}

bool node_has_memory(uint32_t node) {
    for (uint32_t i = 0; i < numa_info.nranges; ++i)
        if (numa_info.ranges[i].node == node) return true;
    return numa_info.one_node_why != nullptr;
}

/// Where @p node's frames must come from: itself, else the nearest node with
/// memory (ties: the lower number). Worked out here, not with numa_by_distance(),
/// so that a wrong order there fails this test.
uint32_t home_of(uint32_t node) {
    if (node_has_memory(node)) return node;
    uint32_t best = node;
    for (uint32_t b = 0; b < numa_info.nodes; ++b)
        if (node_has_memory(b) && (best == node || numa_distance(node, b) < numa_distance(node, best))) best = b;
    return best;
}

/// The node of the byte just below a stack's top, or -1.
int stack_node(uint64_t top) { return top ? numa_node_of(numa_info, top - 1) : -1; }

}  // namespace

KTEST(numa, 28, "frames, stacks and run queue of every CPU come from its own NUMA node") {
    for (uint32_t a = 0; a < numa_info.nodes; ++a) {
        for (uint32_t b = 0; b < numa_info.nodes; ++b) {
            uint32_t d = numa_distance(a, b);
            if ((a == b) != (d == NUMA_LOCAL) || d < NUMA_LOCAL) {
                ktest_detail("distance(%u, %u) is %u (ACPI 6.5 5.2.17: 10 to itself, more to others)", a, b, d);
                return false;
            }
        }
    }
    uint32_t local = 0, borrowed = 0;
    for_each_cpu(k, cpu_online_mask) {
        uint32_t node = home_of(numa_node_of_cpu(k));
        Probe p{~0u, 0};
        if (!ipi_call_one(k, alloc_here, &p, true) || p.cpu != k || p.frame == 0) {
            ktest_detail("cpu %u: no frame (ran on cpu %u)", k, p.cpu);
            return false;
        }
        int got = numa_node_of(numa_info, p.frame);
        frame_free(p.frame);
        if (got != int(node)) {
            ktest_detail("cpu %u on node %u got frame 0x%llx from node %d", k, node, (unsigned long long)p.frame, got);
            return false;
        }
        // The BSP's boot stack is in the kernel image, placed by the loader.
        if (k != 0 && (stack_node(cpus[k].kstack_top) != int(node) || stack_node(cpus[k].dfstack_top) != int(node))) {
            ktest_detail("cpu %u on node %u has its stacks on nodes %d and %d", k, node, stack_node(cpus[k].kstack_top),
                         stack_node(cpus[k].dfstack_top));
            return false;
        }
        int rq = numa_node_of(numa_info, (uintptr_t)sched_cpu_state(k));
        if (rq != int(node)) {
            ktest_detail("cpu %u on node %u has its run queue on node %d", k, node, rq);
            return false;
        }
        ++(node == numa_node_of_cpu(k) ? local : borrowed);
    }
    ktest_detail("%u node(s); %u cpu(s) got a frame and had stacks and run queue from their own node, %u from the nearest with memory",
                 numa_info.nodes, local, borrowed);
    return true;
}
