/// @file x86.h (host fake)
/// The instructions lapic.cpp uses, routed to the fake device (fake_device.cpp).
#pragma once
#include "types.h"

uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t v);
uint64_t rdtsc();
void wrmsr_fence();
uint32_t mmio_read32(uintptr_t addr);
void mmio_write32(uintptr_t addr, uint32_t v);
uintptr_t read_flags();
void write_flags(uintptr_t f);
void cli();
void sti();
void cpu_relax();
