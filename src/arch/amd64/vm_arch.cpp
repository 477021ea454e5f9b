/// @file vm_arch.cpp
/// amd64 paging: four page directories of 2 MiB pages under one PDPT and PML4
/// (SDM Vol. 3A 4.5), split into a page table of 4 KiB pages where needed.
#include "log.h"
#include "spinlock.h"
#include "vm.h"
#include "x86.h"

extern "C" uint64_t boot_pd[4 * 512];

namespace {
constexpr uint64_t P = 1, RW = 2, PWT = 8, PCD = 16, PS = 128;
constexpr uint64_t ADDR = 0x000FFFFFFFFFF000ull;
constexpr int POOL = 16;
alignas(4096) uint64_t pool[POOL][512];
int used = 0;

/// [split large page]
uint64_t* table_for(uintptr_t va) {
    if (va >= (4ull << 30)) return nullptr;
    uint64_t& pde = boot_pd[va >> 21];
    if (!(pde & PS)) return (uint64_t*)(pde & ADDR);
    if (used == POOL) return nullptr;
    uint64_t* pt = pool[used++];
    uint64_t base = pde & 0xFFFFFFFFFFE00000ull & ADDR, flags = pde & (P | RW | PWT | PCD);
    for (uint64_t i = 0; i < 512; ++i) pt[i] = (base + (i << 12)) | flags;
    pde = (uint64_t)pt | P | RW;
    vm_flush_tlb();
    return pt;
}
/// [split large page]
}  // namespace

void vm_flush_tlb() { write_cr3(read_cr3()); }

void vm_map_mmio(uintptr_t phys, size_t len) {
    IrqSpinGuard g(vm_lock);
    for (uintptr_t a = phys & ~0x1FFFFFull; a < phys + len && a < (4ull << 30); a += 0x200000)
        boot_pd[a >> 21] |= PCD | PWT;
    vm_flush_tlb();
}

bool vm_set_guard(uintptr_t va) {
    IrqSpinGuard g(vm_lock);
    uint64_t* pt = table_for(va);
    if (!pt) {
        log_warn("vm: no page table left to place a guard page at %p", (void*)va);
        return false;
    }
    pt[(va >> 12) & 511] &= ~P;
    invlpg(va);
    return true;
}

void vm_clear_guard(uintptr_t va) {
    IrqSpinGuard g(vm_lock);
    auto* pt = table_for(va);
    if (!pt) return;
    pt[(va >> 12) & 511] |= P;
    invlpg(va);
}

bool vm_map_page(uintptr_t va, uint64_t phys) {
    if (va < VM_SCRATCH || va >= VM_SCRATCH + VM_SCRATCH_SIZE) return false;
    IrqSpinGuard g(vm_lock);
    uint64_t* pt = table_for(va);
    if (!pt) return false;
    pt[(va >> 12) & 511] = (phys & ADDR) | P | RW;
    invlpg(va);
    return true;
}

uint64_t vm_translate(uintptr_t va) {
    if (va >= (4ull << 30)) return ~0ull;
    uint64_t pde = boot_pd[va >> 21];
    if (!(pde & P)) return ~0ull;
    if (pde & PS) return (pde & 0xFFFFFFFFFFE00000ull & ADDR) | (va & 0x1FFFFF);
    uint64_t pte = ((uint64_t*)(pde & ADDR))[(va >> 12) & 511];
    return (pte & P) ? (pte & ADDR) | (va & 0xFFF) : ~0ull;
}
