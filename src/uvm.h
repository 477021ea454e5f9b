/// @file uvm.h
/// A process's page tables (the arch interface of issue 17; implemented in
/// src/arch/<arch>/uvm_arch.cpp).
#pragma once
#include "types.h"

using PtRoot = uint64_t;                 ///< physical address of the top table (what CR3 holds); 0 = none
constexpr unsigned UVM_W = 1, UVM_X = 2; ///< rights of a user page beyond "user, read"
PtRoot   uvm_new();
void     uvm_free(PtRoot root);
bool     uvm_map(PtRoot root, uintptr_t va, uint64_t phys, unsigned rights);
uint64_t uvm_unmap(PtRoot root, uintptr_t va);
uint64_t uvm_query(PtRoot root, uintptr_t va, unsigned* rights);
void     uvm_activate(PtRoot root);
PtRoot   uvm_current();
