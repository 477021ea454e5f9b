/// @file user_arch.h
/// Where user programs live on amd64 (docs/userprog.md). cmake/user.cmake reads
/// ::USER_BASE from this header to link the programs there: one number, one place.
///
/// boot.asm maps the first 4 GiB through PML4 entry 0 (one PDPT, four page
/// directories); nothing else is mapped. User space starts at 512 GiB, the
/// first address of PML4 entry 1, so no paging structure below a PML4 entry
/// is ever shared between the kernel and a process: a process's PML4 copies
/// entry 0 and owns entries 1..255 (SDM Vol. 3A 4.5). It ends one page below
/// the top of the canonical lower half: SYSRET to a non-canonical RIP faults
/// in ring 0 on Intel CPUs (SDM Vol. 2B SYSRET), and a program whose last
/// page ended at 2^47 could reach it by falling off its end (Linux keeps the
/// same page free, TASK_SIZE_MAX).
#pragma once
#include "types.h"

/// User programs are ELFCLASS64, EM_X86_64 (System V ABI AMD64 supplement).
constexpr bool USER_ELF64 = true;
/// Lowest user address: the programs' link address (user/user.ld).
constexpr uint64_t USER_BASE = 0x8000000000;
/// One past the highest user address.
constexpr uint64_t USER_END = 0x7FFFFFFFF000;
