/// @file cpu.cpp
/// The per-CPU blocks and the set-up every CPU runs on itself.
#include "cpu.h"
#include "arch.h"

Cpu cpus[COHORT_MAX_CPUS];

namespace {
alignas(16) uint8_t bsp_dfstack[DFSTACK_SIZE];
}

void cpu_init_bsp() {
    Cpu& c = cpus[0];
    c.self = &c;
    c.id = 0;
    c.dfstack_top = (uintptr_t)(bsp_dfstack + sizeof bsp_dfstack);
    arch_cpu_prepare(c, c.dfstack_top);
    arch_cpu_load(c);
    idt_load();
}

#include "cpuid.h"
#include "cputopo.h"
#include "x86.h"

namespace {
/// [cpuid source]
CpuidRegs cpuid_insn(uint32_t leaf, uint32_t sub, void*) {
    uint32_t r[4];
    cpuid(leaf, sub, r);
    return CpuidRegs{r[0], r[1], r[2], r[3]};
}
}  // namespace

void cpu_probe_features(Cpu& c) { cpuid_probe(cpuid_insn, nullptr, has_cpuid(), c.features); }
bool cpu_probe_topology(const Cpu& c, Topology& out) {
    return topology_decode(cpuid_insn, nullptr, c.features, out);
}
/// [cpuid source]
