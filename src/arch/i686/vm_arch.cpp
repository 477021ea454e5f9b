/// @file vm_arch.cpp
/// i686 paging: one page directory of 4 MiB pages (CR4.PSE, SDM Vol. 3A 4.3),
/// split into a page table of 4 KiB pages where needed. Every change to an
/// entry of boot_pd is copied to the process page directories
/// (pd_sync_kernel_pde(), uvm_arch.cpp).
#include "log.h"
#include "pdsync.h"
#include "spinlock.h"
#include "vm.h"
#include "x86.h"

extern "C" uint32_t boot_pd[1024];

namespace {
constexpr uint32_t P = 1, RW = 2, PWT = 8, PCD = 16, PS = 128;
constexpr int POOL = 16;
alignas(4096) uint32_t pool[POOL][1024];
int used = 0;

uint32_t* table_for(uintptr_t va) {
    uint32_t& pde = boot_pd[va >> 22];
    if (!(pde & PS)) return (uint32_t*)(uintptr_t)(pde & ~0xFFFu);
    if (used == POOL) return nullptr;
    uint32_t* pt = pool[used++];
    uint32_t base = pde & 0xFFC00000u, flags = pde & (P | RW | PWT | PCD);
    for (uint32_t i = 0; i < 1024; ++i) pt[i] = (base + (i << 12)) | flags;
    pde = (uint32_t)(uintptr_t)pt | P | RW;
    pd_sync_kernel_pde(va >> 22);  // every process directory points at the new table too
    vm_flush_tlb();
    return pt;
}
}  // namespace

void vm_flush_tlb() { write_cr3(read_cr3()); }

void vm_map_mmio(uintptr_t phys, size_t len) {
    IrqSpinGuard g(vm_lock);
    for (uintptr_t a = phys & ~0x3FFFFFu; a < phys + len; a += 0x400000) {
        boot_pd[a >> 22] |= PCD | PWT;
        pd_sync_kernel_pde(a >> 22);
        if (a + 0x400000 < a) break;
    }
    vm_flush_tlb();
}

bool vm_set_guard(uintptr_t va) {
    IrqSpinGuard g(vm_lock);
    uint32_t* pt = table_for(va);
    if (!pt) {
        log_warn("vm: no page table left to place a guard page at %p", (void*)va);
        return false;
    }
    pt[(va >> 12) & 1023] &= ~P;
    invlpg(va);
    return true;
}

void vm_clear_guard(uintptr_t va) {
    IrqSpinGuard g(vm_lock);
    auto* pt = table_for(va);
    if (!pt) return;
    pt[(va >> 12) & 1023] |= P;
    invlpg(va);
}

bool vm_map_page(uintptr_t va, uint64_t phys) {
    if (va < VM_SCRATCH || va >= VM_SCRATCH + VM_SCRATCH_SIZE || phys >= (1ull << 32)) return false;
    IrqSpinGuard g(vm_lock);
    uint32_t* pt = table_for(va);
    if (!pt) return false;
    pt[(va >> 12) & 1023] = (uint32_t)phys | P | RW;
    invlpg(va);
    return true;
}

uint64_t vm_translate(uintptr_t va) {
    uint32_t pde = boot_pd[va >> 22];
    if (!(pde & P)) return ~0ull;
    if (pde & PS) return (pde & 0xFFC00000u) | (va & 0x3FFFFF);
    uint32_t pte = ((uint32_t*)(uintptr_t)(pde & ~0xFFFu))[(va >> 12) & 1023];
    return (pte & P) ? (pte & ~0xFFFu) | (va & 0xFFF) : ~0ull;
}
