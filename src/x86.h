/// @file x86.h
/// Thin wrappers around x86 instructions that C++ cannot express. The same
/// source serves i686 and amd64: operands are `uintptr_t`, so the assembler
/// picks the register width.
#pragma once
#include "types.h"

/// Write a byte to an I/O port.
inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
/// Write a 16-bit word to an I/O port.
inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
/// Write a 32-bit word to an I/O port.
inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
/// Read a byte from an I/O port.
inline uint8_t inb(uint16_t port) { uint8_t v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
/// Read a 16-bit word from an I/O port.
inline uint16_t inw(uint16_t port) { uint16_t v; asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
/// Read a 32-bit word from an I/O port.
inline uint32_t inl(uint16_t port) { uint32_t v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/// Read a model-specific register (SDM Vol. 4).
inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
/// Write a model-specific register.
inline void wrmsr(uint32_t msr, uint64_t v) {
    asm volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
/// IA32_EFER, the extended feature enable register (SDM Vol. 4, Table 2-2).
constexpr uint32_t MSR_EFER = 0xC0000080;
/// EFER.SCE: SYSCALL and SYSRET enabled.
constexpr uint64_t EFER_SCE = 1u << 0;
/// EFER.LME: long mode enabled (active once paging is turned on).
constexpr uint64_t EFER_LME = 1u << 8;
/// EFER.NXE: bit 63 of a paging entry means no-execute (without NXE it is
/// reserved, SDM Vol. 3A 4.5.4).
constexpr uint64_t EFER_NXE = 1u << 11;

/// The IDT register's pseudo-descriptor, as SIDT stores it and LIDT loads it:
/// a 16-bit limit, then the base (4 bytes on i686, 8 on amd64).
struct COHORT_PACKED IdtPointer {
    uint16_t limit;  ///< the IDT's size in bytes, minus 1
    uintptr_t base;  ///< the IDT's linear address
};
/// This CPU's IDT register (SIDT).
inline IdtPointer read_idtr() {
    IdtPointer p;
    asm volatile("sidt %0" : "=m"(p));
    return p;
}
/// Order every earlier load and store before a following WRMSR that signals
/// another CPU (the x2APIC ICR): such a WRMSR is not serializing, so stores
/// before it could still be in flight when the IPI lands (SDM Vol. 3A 10.12.3).
inline void wrmsr_fence() { asm volatile("mfence; lfence" ::: "memory"); }
/// A 32-bit load from device memory (an xAPIC register): always one access.
inline uint32_t mmio_read32(uintptr_t addr) { return *(volatile uint32_t*)addr; }
/// A 32-bit store to device memory (an xAPIC register): always one access.
inline void mmio_write32(uintptr_t addr, uint32_t v) { *(volatile uint32_t*)addr = v; }
/// Read the time-stamp counter.
inline uint64_t rdtsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
/// Execute CPUID for @p leaf / @p subleaf.
inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]) {
    asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(subleaf));
}

/// The flags register (EFLAGS/RFLAGS).
inline uintptr_t read_flags() { uintptr_t f; asm volatile("pushf; pop %0" : "=r"(f)::"memory"); return f; }
/// Restore a flags value saved by read_flags() (and with it the interrupt flag).
inline void write_flags(uintptr_t f) { asm volatile("push %0; popf" ::"r"(f) : "memory", "cc"); }
/// EFLAGS.IF: interrupts enabled.
constexpr uintptr_t FLAGS_IF = 1u << 9;
/// EFLAGS.ID: toggles only on CPUs with the CPUID instruction.
constexpr uintptr_t FLAGS_ID = 1u << 21;

/// Disable maskable interrupts.
inline void cli() { asm volatile("cli" ::: "memory"); }
/// Enable maskable interrupts.
inline void sti() { asm volatile("sti" ::: "memory"); }
/// Halt until the next interrupt.
inline void hlt() { asm volatile("hlt" ::: "memory"); }
/// Enable interrupts and halt, atomically (sti's one-instruction shadow).
inline void sti_hlt() { asm volatile("sti; hlt" ::: "memory"); }
/// Spin-loop hint: lets a hyperthread sibling run and saves power.
inline void cpu_relax() { asm volatile("pause" ::: "memory"); }
/// Wait for an interrupt when interrupts are on (else just pause).
inline void hlt_or_relax() { if (read_flags() & FLAGS_IF) hlt(); else cpu_relax(); }
/// Compiler barrier.
inline void barrier() { asm volatile("" ::: "memory"); }

/// Read CR0.
inline uintptr_t read_cr0() { uintptr_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
/// Write CR0.
inline void write_cr0(uintptr_t v) { asm volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
/// Read CR2 (the faulting address of the last page fault).
inline uintptr_t read_cr2() { uintptr_t v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
/// Read CR3 (the page-table root).
inline uintptr_t read_cr3() { uintptr_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
/// Write CR3 (and flush the non-global TLB entries).
inline void write_cr3(uintptr_t v) { asm volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
/// Read CR4.
inline uintptr_t read_cr4() { uintptr_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
/// Write CR4.
inline void write_cr4(uintptr_t v) { asm volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
/// Invalidate the TLB entry of one page.
inline void invlpg(uintptr_t va) { asm volatile("invlpg (%0)" ::"r"(va) : "memory"); }

/// True when the CPU has the CPUID instruction (EFLAGS.ID can be toggled).
inline bool has_cpuid() {
    uintptr_t f = read_flags();
    write_flags(f ^ FLAGS_ID);
    bool ok = ((read_flags() ^ f) & FLAGS_ID) != 0;
    write_flags(f);
    return ok;
}

/// Stop this CPU for good: interrupts off, halt forever.
[[noreturn]] inline void halt_forever() {
    for (;;) asm volatile("cli; hlt" ::: "memory");
}
