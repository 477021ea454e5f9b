/// @file symbols.h
/// Names for code addresses in backtraces, from the ELF symbol table that
/// GRUB hands over in the Multiboot2 ELF-sections tag.
#pragma once
#include "types.h"

/// Use the section headers at @p shdrs (@p num entries of @p entsize bytes).
void symbols_init(const void* shdrs, uint32_t num, uint32_t entsize);
/// Write "name+0xoff" for @p addr into @p buf, or "?" when unknown.
void symbolize(uintptr_t addr, char* buf, size_t cap);
