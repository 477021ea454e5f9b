/// @file uvm_arch.cpp
/// i686 process page directories (32-bit paging without PAE, SDM Vol. 3A 4.3).
///
/// A process's page directory is a copy of boot_pd with entries 256..511
/// ([1 GiB, 2 GiB), docs/userprog.md) replaced by its own 4 KiB page tables.
/// The kernel entries point at the same 4 MiB pages and split page tables as
/// boot_pd's, with U/S clear, so ring 3 cannot touch them (SDM Vol. 3A 4.6:
/// a user-mode access needs U/S set at both levels). The user entries have
/// U/S and R/W set in the directory and decide rights in each PTE.
///
/// Keeping the kernel half in step: on amd64 every process shares one PML4
/// entry with the kernel, so a later kernel change is seen by all. Here each
/// directory holds copies of the kernel PDEs, and the kernel does change
/// them after boot: vm_arch.cpp splits a 4 MiB page into a page table (guard
/// pages, the scratch window) and vm_map_mmio() sets PCD|PWT. So every live
/// process directory is on a list, and every change to a kernel PDE of
/// boot_pd is copied to each of them under vm_lock, which both the list and
/// boot_pd live under (pd_sync_kernel_pde()). A directory made later copies
/// boot_pd under the same lock, so none misses a change. The TLBs are the
/// same question as for boot_pd: the caller of vm_set_guard() shoots down.
/// PTE-level changes inside a split kernel table need nothing: the table is
/// shared.
///
/// No NX: 32-bit paging without PAE has no execute-disable bit (SDM Vol. 3A
/// 4.6.2: XD exists only with PAE or 4-level paging), so every readable user
/// page is executable. UVM_X is kept in a software bit (PTE bit 9, ignored by
/// the CPU, SDM Vol. 3A Table 4-6) only so that uvm_query() gives back what
/// uvm_map() was asked for.
#include "uvm.h"
#include "kstring.h"
#include "mem.h"
#include "pdsync.h"
#include "spinlock.h"
#include "user_arch.h"
#include "vm.h"
#include "x86.h"

extern "C" uint32_t boot_pd[1024];

static_assert(PD_USER_FIRST * 0x400000ull == USER_BASE && PD_USER_END * 0x400000ull == USER_END,
              "the user page-directory entries are user space");

namespace {
constexpr uint32_t P = 1, RW = 2, US = 4, PS = 128, SW_X = 1u << 9;

/// One live process directory, on the list pd_sync_kernel_pde() walks.
struct PdNode {
    PdNode* next;
    uint32_t* pd;
};
PdNode* live = nullptr;  // under vm_lock

/// Frames are below 1 GiB (mem.cpp keeps [1 GiB, 2 GiB) out on i686), so the
/// identity map reaches every table whichever directory is loaded.
uint32_t* table(uint64_t phys) { return (uint32_t*)(uintptr_t)phys; }

bool user_va(uintptr_t va) {
    return (va & 0xFFF) == 0 && va >= PD_USER_FIRST * 0x400000u && va < PD_USER_END * 0x400000u;
}

/// The PTE of @p va, or null when its page table does not exist (and @p make is false).
uint32_t* pte_of(PtRoot root, uintptr_t va, bool make) {
    uint32_t& pde = table(root)[va >> 22];
    if (!(pde & P)) {
        if (!make) return nullptr;
        uint64_t f = frame_alloc();
        if (!f) return nullptr;
        memset(table(f), 0, 4096);
        pde = (uint32_t)f | P | RW | US;
    }
    return &table(pde & ~0xFFFu)[(va >> 12) & 1023];
}
}  // namespace

/// [kernel pde sync]
void pd_sync_kernel_pde(unsigned i) {
    if (i >= PD_USER_FIRST && i < PD_USER_END) return;
    for (PdNode* n = live; n; n = n->next) n->pd[i] = boot_pd[i];
}
/// [kernel pde sync]

PtRoot uvm_new() {
    auto* node = (PdNode*)kmalloc(sizeof(PdNode));
    uint64_t f = frame_alloc();
    if (!node || !f) {
        if (node) kfree(node);
        if (f) frame_free(f);
        return 0;
    }
    uint32_t* pd = table(f);
    node->pd = pd;
    IrqSpinGuard g(vm_lock);
    for (unsigned i = 0; i < 1024; ++i)
        pd[i] = i >= PD_USER_FIRST && i < PD_USER_END ? 0 : boot_pd[i];
    node->next = live;
    live = node;
    return f;
}

void uvm_free(PtRoot root) {
    if (!root) return;
    uint32_t* pd = table(root);
    PdNode* node = nullptr;
    {
        IrqSpinGuard g(vm_lock);
        for (PdNode** p = &live; *p; p = &(*p)->next)
            if ((*p)->pd == pd) {
                node = *p;
                *p = node->next;
                break;
            }
    }
    for (unsigned i = PD_USER_FIRST; i < PD_USER_END; ++i)
        if (pd[i] & P) frame_free(pd[i] & ~0xFFFu);
    frame_free(root);
    kfree(node);
}

bool uvm_map(PtRoot root, uintptr_t va, uint64_t phys, unsigned rights) {
    if (!root || !user_va(va) || (phys & 0xFFF) || phys >= (1ull << 32)) return false;
    uint32_t* pte = pte_of(root, va, true);
    if (!pte || (*pte & P)) return false;
    *pte = (uint32_t)phys | P | US | (rights & UVM_W ? RW : 0) | (rights & UVM_X ? SW_X : 0);
    return true;
}

uint64_t uvm_unmap(PtRoot root, uintptr_t va) {
    if (!root || !user_va(va)) return ~0ull;
    uint32_t* pte = pte_of(root, va, false);
    if (!pte || !(*pte & P)) return ~0ull;
    uint32_t old = *pte;
    __atomic_store_n(pte, 0u, __ATOMIC_RELAXED);  // another CPU's walker may read it now
    return old & ~0xFFFu;
}

bool uvm_protect(PtRoot root, uintptr_t va, unsigned rights) {
    if (!root || (va & 0xFFF) || !user_va(va)) return false;
    uint32_t* pte = pte_of(root, va, false);
    if (!pte || !(*pte & P)) return false;
    // One store of the whole entry: a walker on another CPU sees the old
    // entry or the new one, never a cleared one (which would fault).
    uint32_t e = (rights & UVM_W) ? (*pte | RW) : (*pte & ~RW);
    __atomic_store_n(pte, e, __ATOMIC_RELAXED);
    return true;
}

uint64_t uvm_query(PtRoot root, uintptr_t va, unsigned* rights) {
    if (!root || va < PD_USER_FIRST * 0x400000u || va >= PD_USER_END * 0x400000u) return ~0ull;
    uint32_t* pte = pte_of(root, va & ~0xFFFu, false);
    if (!pte || !(*pte & P)) return ~0ull;
    if (rights) *rights = (*pte & RW ? UVM_W : 0) | (*pte & SW_X ? UVM_X : 0);
    return (*pte & ~0xFFFu) | (va & 0xFFF);
}

void uvm_activate(PtRoot root) { write_cr3(root ? (uintptr_t)root : (uintptr_t)boot_pd); }

PtRoot uvm_current() {
    uintptr_t cr3 = read_cr3() & ~0xFFFu;
    return cr3 == (uintptr_t)boot_pd ? 0 : cr3;
}
