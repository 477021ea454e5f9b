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
    arch_cpu_init(c, c.dfstack_top);
    idt_load();
}
