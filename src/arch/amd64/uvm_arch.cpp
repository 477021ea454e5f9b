/// @file uvm_arch.cpp
/// amd64: a process's 4-level page tables (uvm.h, SDM Vol. 3A 4.5).
///
/// The kernel's identity map hangs entirely off PML4 entry 0 (boot.asm), and
/// user space is PML4 entries 1..255 (user_arch.h). A process's PML4 copies
/// entry 0, so it shares the kernel's PDPT and everything under it: a later
/// change to the kernel map (a guard page, a scratch mapping) is seen through
/// every process's tables at once. Its own tables are below entries 1..255;
/// they are allocated on demand by uvm_map() and freed by uvm_free().
#include "mem.h"
#include "user_arch.h"
#include "uvm.h"
#include "x86.h"

extern "C" uint64_t boot_pml4[512];

namespace {
constexpr uint64_t P = 1, RW = 2, US = 4, NX = 1ull << 63;
constexpr uint64_t ADDR = 0x000FFFFFFFFFF000ull;

uint64_t* table(uint64_t phys) { return (uint64_t*)(uintptr_t)phys; }  // identity map: frames below 4 GiB

/// A zeroed frame for a page table, or 0.
uint64_t new_table() {
    uint64_t f = frame_alloc(1);
    if (f) for (int i = 0; i < 512; ++i) table(f)[i] = 0;
    return f;
}

bool user_va(uintptr_t va) { return va >= USER_BASE && va < USER_END; }

/// The PTE of @p va under @p root, or null; with @p create, missing tables
/// are allocated (null when out of frames). The tables above a user page
/// are present, writable and user: the leaf alone decides the rights (SDM
/// Vol. 3A 4.6.1 combines them, the most restrictive wins).
uint64_t* walk(PtRoot root, uintptr_t va, bool create) {
    uint64_t* t = table(root);
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t& e = t[(va >> shift) & 511];
        if (!(e & P)) {
            if (!create) return nullptr;
            uint64_t f = new_table();
            if (!f) return nullptr;
            e = f | P | RW | US;
        }
        t = table(e & ADDR);
    }
    return &t[(va >> 12) & 511];
}

bool nx_on() { return rdmsr(MSR_EFER) & EFER_NXE; }

/// Free the tables under entry @p e of a table at @p level (3: a PDPT entry's
/// PD, ... 1: a PD entry's PT, whose entries are leaves the caller freed).
void free_below(uint64_t e, int level) {
    if (!(e & P)) return;
    uint64_t* t = table(e & ADDR);
    if (level > 1)
        for (int i = 0; i < 512; ++i) free_below(t[i], level - 1);
    frame_free(e & ADDR);
}
}  // namespace

PtRoot uvm_new() {
    uint64_t f = new_table();
    if (f) table(f)[0] = boot_pml4[0];  // the kernel half: the identity map's PDPT, shared
    return f;
}

void uvm_free(PtRoot root) {
    if (!root) return;
    uint64_t* pml4 = table(root);
    for (int i = 1; i < 256; ++i) free_below(pml4[i], 3);
    frame_free(root);
}

bool uvm_map(PtRoot root, uintptr_t va, uint64_t phys, unsigned rights) {
    if ((va & 0xFFF) || !user_va(va)) return false;
    uint64_t* pte = walk(root, va, true);
    if (!pte || (*pte & P)) return false;
    uint64_t e = (phys & ADDR) | P | US;
    if (rights & UVM_W) e |= RW;
    if (!(rights & UVM_X) && nx_on()) e |= NX;  // without EFER.NXE bit 63 is reserved (SDM Vol. 3A 4.5.4)
    *pte = e;
    return true;
}

uint64_t uvm_unmap(PtRoot root, uintptr_t va) {
    if (!user_va(va)) return ~0ull;
    uint64_t* pte = walk(root, va, false);
    if (!pte || !(*pte & P)) return ~0ull;
    uint64_t f = *pte & ADDR;
    *pte = 0;
    return f;
}

bool uvm_protect(PtRoot root, uintptr_t va, unsigned rights) {
    if ((va & 0xFFF) || !user_va(va)) return false;
    uint64_t* pte = walk(root, va, false);
    if (!pte || !(*pte & P)) return false;
    // One store of the whole entry: a walker on another CPU sees the old
    // entry or the new one, never a cleared one (which would fault).
    uint64_t e = (rights & UVM_W) ? (*pte | RW) : (*pte & ~RW);
    __atomic_store_n(pte, e, __ATOMIC_RELAXED);
    return true;
}

uint64_t uvm_query(PtRoot root, uintptr_t va, unsigned* rights) {
    if (!user_va(va)) return ~0ull;
    uint64_t* pte = walk(root, va, false);
    if (!pte || !(*pte & P)) return ~0ull;
    if (rights) *rights = ((*pte & RW) ? UVM_W : 0) | ((*pte & NX) ? 0 : UVM_X);
    return (*pte & ADDR) | (va & 0xFFF);
}

void uvm_activate(PtRoot root) { write_cr3(root ? root : (uint64_t)(uintptr_t)boot_pml4); }

PtRoot uvm_current() {
    uint64_t r = read_cr3() & ADDR;
    return r == (uint64_t)(uintptr_t)boot_pml4 ? 0 : r;
}
