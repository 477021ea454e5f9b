/// @file elf.h
/// The ELF checks a user program passes before any of it is mapped (System V
/// ABI, "ELF Object Files", and its Intel386 and AMD64 supplements). Only
/// what a statically linked executable for the running kernel's arch can be
/// is accepted; every header field is checked, and a file that fails says
/// which field and why in one warning. Hardware-independent: the same source
/// is host-tested on hand-made bad files (tests/unit/test_elf.cpp).
#pragma once
#include "types.h"

/// The most PT_LOAD segments a program may have (text, rodata, data, bss: a
/// static program has two to four).
constexpr uint32_t ELF_MAX_SEGMENTS = 8;

/// Which ELF files are acceptable: the arch, and where user space is.
struct ElfTarget {
    bool elf64;         ///< ELFCLASS64 with EM_X86_64 (amd64), else ELFCLASS32 with EM_386 (i686).
    uint64_t user_lo;   ///< Lowest user address a segment may start at (page 0 stays unmapped).
    uint64_t user_hi;   ///< One past the highest user address a segment may reach.
};

/// One PT_LOAD segment, checked.
struct ElfSegment {
    uint64_t vaddr;     ///< Where it starts in the address space.
    uint64_t memsz;     ///< Bytes it occupies there (the tail past filesz is zero: bss).
    uint64_t offset;    ///< Where its bytes start in the file.
    uint64_t filesz;    ///< Bytes taken from the file.
    bool write;         ///< PF_W: mapped writable.
    bool exec;          ///< PF_X: mapped executable.
};

/// What the loader needs from a checked file.
struct ElfImage {
    uint64_t entry;                          ///< e_entry: inside an executable segment.
    uint32_t nsegments;                      ///< Entries in @ref segments.
    ElfSegment segments[ELF_MAX_SEGMENTS];   ///< PT_LOAD, in ascending, non-overlapping address order.
};

/// Check the ELF file of @p len bytes at @p file against @p target and fill
/// @p out. Refused (one warning naming the field, false): a short file; a bad
/// magic, class, data encoding, version, OS ABI or ABI version; a type other
/// than ET_EXEC; another machine; header or program-header sizes that are not
/// the class's; a program header table or section header table outside the
/// file; PT_INTERP or PT_DYNAMIC (no dynamic linking); PT_TLS; an executable
/// stack (PT_GNU_STACK with PF_X); for each PT_LOAD: bytes outside the file,
/// filesz > memsz, an address range that wraps or leaves [user_lo, user_hi),
/// an alignment that is not a power of two or that vaddr and offset disagree
/// on, a page shared with another segment, writable and executable at once;
/// no PT_LOAD, or more than ::ELF_MAX_SEGMENTS; an entry point outside every
/// executable segment. @p name names the file in the warnings.
bool elf_check(const uint8_t* file, size_t len, const ElfTarget& target, const char* name, ElfImage* out);
