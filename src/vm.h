/// @file vm.h
/// Kernel paging: the identity map boot.asm built, and the few changes the
/// kernel makes to it (docs/memory.md).
///
/// Both arches identity-map the first 4 GiB with large pages (4 MiB on i686,
/// 2 MiB on amd64). The kernel splits a large page into 4 KiB pages only where
/// it needs to: guard pages under stacks, and the scratch window that the TLB
/// shootdown test remaps. These functions change only the calling CPU's TLB;
/// other CPUs learn of a change through a shootdown (ipi.h).
#pragma once
#include "types.h"

/// Start of the scratch window: 4 MiB of virtual space whose 4 KiB pages can be
/// pointed at any frame (it shadows an address range no device uses on QEMU's
/// or Bochs' machines).
constexpr uintptr_t VM_SCRATCH = 0xEFC00000;
/// Size of the scratch window.
constexpr size_t VM_SCRATCH_SIZE = 4u << 20;

class SpinLock;
/// Guards the page tables and the pool of split tables: two CPUs splitting
/// the same large page, or taking the same spare table, would corrupt them.
/// Every function below that changes a table takes it.
extern SpinLock vm_lock;

/// Make [phys, phys+len) uncached (PCD|PWT on the large pages covering it):
/// device registers such as the LAPIC and IOAPIC.
void vm_map_mmio(uintptr_t phys, size_t len);
/// Unmap the 4 KiB page at @p va so that touching it faults: a stack guard.
/// False (and a warning) when no page table was left to split the large page.
bool vm_set_guard(uintptr_t va);
/// Map the guard page at @p va again (its frame is about to be reused).
void vm_clear_guard(uintptr_t va);
/// Point the 4 KiB page @p va (inside the scratch window) at frame @p phys.
bool vm_map_page(uintptr_t va, uint64_t phys);
/// The physical address @p va maps to, or ~0 when it is not mapped.
uint64_t vm_translate(uintptr_t va);
/// Flush this CPU's whole TLB (reload CR3).
void vm_flush_tlb();
