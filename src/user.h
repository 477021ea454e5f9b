/// @file user.h
/// User programs as GRUB hands them over: Multiboot2 modules (docs/userprog.md).
/// This step only checks them; nothing runs in ring 3 yet.
#pragma once
#include "elf.h"
#include "multiboot2.h"

/// The ELF files this kernel accepts: its arch's class and machine, and the
/// user range of user_arch.h.
ElfTarget user_target();

/// Check every boot module with elf_check() and log one line each: its size,
/// entry point and segments, or that it was refused and skipped (the reason
/// is the `elf:` warning just before). A module whose frames the frame
/// allocator would hand out is an error. Returns how many modules passed.
size_t user_check_modules(const Mb2Info& mb);
