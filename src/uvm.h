/// @file uvm.h
/// A process's page tables (docs/usermode.md). Implemented per arch in
/// `src/arch/<arch>/uvm_arch.cpp`.
///
/// The kernel half of every process's tables is the kernel's own map, shared:
/// on amd64 the process's PML4 points entry 0 at the kernel's PDPT, so a
/// later change to the kernel map is seen by every process at once; on i686
/// the process's page directory copies the kernel's PDEs and the arch keeps
/// them in step. The user half, [::USER_BASE, ::USER_END), is the process's
/// own: 4 KiB pages with U=1. Write and execute rights are given per page;
/// no-execute is enforced only where the arch can (amd64 with EFER.NXE, SDM
/// Vol. 3A 4.6.2; i686 without PAE has no execute-disable bit).
#pragma once
#include "types.h"

/// Physical address of the top table (what CR3 holds); 0 = none, the boot tables.
using PtRoot = uint64_t;
/// Rights of a user page beyond "user, read": writable.
constexpr unsigned UVM_W = 1;
/// Rights of a user page beyond "user, read": executable.
constexpr unsigned UVM_X = 2;

/// New top table: kernel half shared, user half empty; 0 if out of frames.
PtRoot uvm_new();
/// Free the user half's page-table frames (the caller already unmapped and
/// freed every leaf frame). @p root must not be the loaded CR3 on any CPU.
void uvm_free(PtRoot root);
/// Map the 4 KiB page @p va to frame @p phys with U=1 and @p rights. False:
/// out of frames, @p va not page-aligned or outside [USER_BASE, USER_END),
/// or already mapped.
bool uvm_map(PtRoot root, uintptr_t va, uint64_t phys, unsigned rights);
/// Clear the PTE of @p va: the frame it held, or ~0ull. No TLB flush.
uint64_t uvm_unmap(PtRoot root, uintptr_t va);
/// Give the mapped page @p va the write right of @p rights (UVM_W set or
/// not), in one store of its PTE; the frame and the execute right stay.
/// False when @p va is not mapped. No TLB flush.
bool uvm_protect(PtRoot root, uintptr_t va, unsigned rights);
/// The frame plus offset @p va maps to (and its rights), or ~0ull when not mapped.
uint64_t uvm_query(PtRoot root, uintptr_t va, unsigned* rights);
/// Load CR3 on this CPU (0: the kernel's boot tables).
void uvm_activate(PtRoot root);
/// What this CPU's CR3 holds now, 0 when it is the boot tables.
PtRoot uvm_current();
