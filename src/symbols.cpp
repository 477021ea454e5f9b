/// @file symbols.cpp
/// Symbol lookup for backtraces. GRUB loads every section of the kernel ELF,
/// the symbol table included, and passes the section headers (Multiboot2 tag
/// 9); the addresses in them are where GRUB put each section.
#include "symbols.h"
#include "format.h"

namespace {
#if UINTPTR_MAX > 0xFFFFFFFFu
struct Shdr { uint32_t name, type; uint64_t flags, addr, offset, size; uint32_t link, info; uint64_t align, entsize; };
struct Sym { uint32_t name; uint8_t info, other; uint16_t shndx; uint64_t value, size; };
#else
struct Shdr { uint32_t name, type, flags, addr, offset, size, link, info, align, entsize; };
struct Sym { uint32_t name, value, size; uint8_t info, other; uint16_t shndx; };
#endif
const Sym* syms = nullptr;
size_t nsyms = 0;
const char* strs = nullptr;
size_t strsize = 0;
}  // namespace

void symbols_init(const void* shdrs, uint32_t num, uint32_t entsize) {
    if (entsize != sizeof(Shdr) || num > 256) return;
    const Shdr* sh = (const Shdr*)shdrs;
    for (uint32_t i = 0; i < num; ++i) {
        if (sh[i].type != 2 /* SHT_SYMTAB */ || sh[i].link >= num || !sh[i].addr) continue;
        const Shdr& str = sh[sh[i].link];
        if (!str.addr) continue;
        syms = (const Sym*)(uintptr_t)sh[i].addr;
        nsyms = sh[i].size / sizeof(Sym);
        strs = (const char*)(uintptr_t)str.addr;
        strsize = str.size;
        return;
    }
}

void symbolize(uintptr_t addr, char* buf, size_t cap) {
    const Sym* best = nullptr;
    for (size_t i = 0; i < nsyms; ++i) {
        const Sym& s = syms[i];
        if ((s.info & 0xF) != 2 /* STT_FUNC */ || s.value > addr || s.name >= strsize) continue;
        if (!best || s.value > best->value) best = &s;
    }
    if (!best || (best->size && addr >= best->value + best->size + 64)) {
        ksnprintf(buf, cap, "?");
        return;
    }
    ksnprintf(buf, cap, "%s+0x%llx", strs + best->name, (unsigned long long)(addr - best->value));
}
