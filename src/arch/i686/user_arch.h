/// @file user_arch.h
/// Where user programs live on i686 (docs/userprog.md). cmake/user.cmake reads
/// ::USER_BASE from this header to link the programs there: one number, one place.
///
/// boot.asm identity-maps all 4 GiB, so no virtual address on i686 is free of
/// kernel mappings: user space has to take over part of the identity map. It
/// takes [1 GiB, 2 GiB), page-directory entries 256..511, because on the PCs
/// Cohort runs on nothing the kernel touches is there: RAM ends below it (the
/// boot tests use 128 MiB), the PCI hole and its devices start at 2 GiB or
/// above (q35 from 2 GiB, pc from 3 GiB), the scratch window `VM_SCRATCH` is
/// at 0xEFC00000, the LAPIC and IOAPIC near 4 GiB. A machine with more than
/// 1 GiB of RAM has frames there, which a process's page directory hides from
/// the kernel: mem_init() keeps them out of the frame allocator on i686
/// (docs/user_i686.md).
#pragma once
#include "types.h"

/// User programs are ELFCLASS32, EM_386 (System V ABI Intel386 supplement).
constexpr bool USER_ELF64 = false;
/// Lowest user address: the programs' link address (user/user.ld).
constexpr uint64_t USER_BASE = 0x40000000;
/// One past the highest user address.
constexpr uint64_t USER_END = 0x80000000;
