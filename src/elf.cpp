/// @file elf.cpp
/// Checking a user program's ELF headers (elf.h). Field offsets are the
/// System V ABI's ("ELF Header", "Program Header"), for ELFCLASS32 and
/// ELFCLASS64 side by side.
#include "elf.h"
#include "log.h"
#include "physmem.h"

namespace {
constexpr uint16_t kEtExec = 2;
constexpr uint16_t kEm386 = 3, kEmX8664 = 62;
constexpr uint32_t kPtNull = 0, kPtLoad = 1, kPtDynamic = 2, kPtInterp = 3, kPtNote = 4, kPtShlib = 5,
                   kPtPhdr = 6, kPtTls = 7, kPtLoos = 0x60000000, kPtHiproc = 0x7FFFFFFF;
constexpr uint32_t kPtGnuStack = 0x6474E551;
constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;
constexpr uint64_t kPage = 4096;

/// Where each field is, per class.
struct Layout {
    size_t ehsize, phentsize, shentsize;
    size_t entry, phoff, shoff, flags, f_ehsize, f_phentsize, f_phnum, f_shentsize, f_shnum, f_shstrndx;
    size_t p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz, p_align;
};
constexpr Layout k32{52, 32, 40, 24, 28, 32, 36, 40, 42, 44, 46, 48, 50, 0, 24, 4, 8, 16, 20, 28};
constexpr Layout k64{64, 56, 64, 24, 32, 40, 48, 52, 54, 56, 58, 60, 62, 0, 4, 8, 16, 32, 40, 48};

struct Reader {
    const uint8_t* p;
    bool wide;
    uint64_t word(size_t off) const { return wide ? load_le64(p + off) : load_le32(p + off); }
};

/// [@p off, @p off + @p n) lies inside a file of @p len bytes, without wrapping.
bool inside(uint64_t off, uint64_t n, uint64_t len) { return off <= len && n <= len - off; }

/// Refuse: one warning naming the file, what is wrong, and the values seen.
struct Refuse {
    const char* name;
    bool operator()(const char* why) const {
        log_warn("elf: %s: %s; not loaded", name, why);
        return false;
    }
    bool operator()(const char* why, uint64_t a) const {
        log_warn("elf: %s: %s (0x%llx); not loaded", name, why, (unsigned long long)a);
        return false;
    }
    bool operator()(const char* why, uint64_t a, uint64_t b) const {
        log_warn("elf: %s: %s (0x%llx, 0x%llx); not loaded", name, why, (unsigned long long)a, (unsigned long long)b);
        return false;
    }
};
}  // namespace

bool elf_check(const uint8_t* f, size_t len, const ElfTarget& t, const char* name, ElfImage* out) {
    out->entry = 0;
    out->nsegments = 0;
    const Layout& L = t.elf64 ? k64 : k32;
    Refuse refuse{name};
    if (!f || len < L.ehsize) return refuse("shorter than an ELF header", len, L.ehsize);
    // e_ident (ABI "ELF Identification").
    if (f[0] != 0x7F || f[1] != 'E' || f[2] != 'L' || f[3] != 'F') return refuse("no ELF magic", load_le32(f));
    if (f[4] != (t.elf64 ? 2 : 1)) return refuse("EI_CLASS is not this kernel's (ELFCLASS32 i686, ELFCLASS64 amd64)", f[4]);
    if (f[5] != 1) return refuse("EI_DATA is not ELFDATA2LSB", f[5]);
    if (f[6] != 1) return refuse("EI_VERSION is not EV_CURRENT", f[6]);
    if (f[7] != 0 && f[7] != 3) return refuse("EI_OSABI is neither System V (0) nor GNU (3)", f[7]);
    if (f[8] != 0) return refuse("EI_ABIVERSION is not 0", f[8]);
    for (size_t i = 9; i < 16; ++i)
        if (f[i]) return refuse("EI_PAD byte is not zero", i, f[i]);
    Reader r{f, t.elf64};
    uint16_t type = load_le16(f + 16), machine = load_le16(f + 18);
    if (type != kEtExec) return refuse("e_type is not ET_EXEC (a static executable)", type);
    if (machine != (t.elf64 ? kEmX8664 : kEm386)) return refuse("e_machine is not this kernel's (EM_386 i686, EM_X86_64 amd64)", machine);
    if (load_le32(f + 20) != 1) return refuse("e_version is not EV_CURRENT", load_le32(f + 20));
    if (load_le32(f + L.flags) != 0) return refuse("e_flags is not 0 (x86 defines none)", load_le32(f + L.flags));
    if (load_le16(f + L.f_ehsize) != L.ehsize) return refuse("e_ehsize is not the class's", load_le16(f + L.f_ehsize), L.ehsize);
    uint64_t entry = r.word(L.entry), phoff = r.word(L.phoff), shoff = r.word(L.shoff);
    uint16_t phentsize = load_le16(f + L.f_phentsize), phnum = load_le16(f + L.f_phnum);
    uint16_t shentsize = load_le16(f + L.f_shentsize), shnum = load_le16(f + L.f_shnum);
    uint16_t shstrndx = load_le16(f + L.f_shstrndx);
    // Program headers: the class's size, inside the file, and not the
    // PN_XNUM escape (0xFFFF: the count is elsewhere, never needed here).
    if (phnum == 0) return refuse("no program headers (e_phnum 0)");
    if (phnum == 0xFFFF) return refuse("e_phnum is PN_XNUM", phnum);
    if (phentsize != L.phentsize) return refuse("e_phentsize is not the class's", phentsize, L.phentsize);
    if (!inside(phoff, uint64_t(phnum) * phentsize, len)) return refuse("program headers outside the file", phoff, phnum);
    // Section headers are not used, but what the header says of them must hold.
    if (shnum == 0 && shoff != 0) return refuse("e_shoff set with no sections", shoff);
    if (shnum != 0) {
        if (shentsize != L.shentsize) return refuse("e_shentsize is not the class's", shentsize, L.shentsize);
        if (!inside(shoff, uint64_t(shnum) * shentsize, len)) return refuse("section headers outside the file", shoff, shnum);
    }
    if (shstrndx != 0 && shstrndx >= shnum) return refuse("e_shstrndx names no section", shstrndx, shnum);

    for (uint32_t i = 0; i < phnum; ++i) {
        const uint8_t* ph = f + phoff + uint64_t(i) * phentsize;
        Reader p{ph, t.elf64};
        uint32_t ptype = load_le32(ph + L.p_type), pflags = load_le32(ph + L.p_flags);
        uint64_t off = p.word(L.p_offset), vaddr = p.word(L.p_vaddr), filesz = p.word(L.p_filesz),
                 memsz = p.word(L.p_memsz), align = p.word(L.p_align);
        switch (ptype) {
        case kPtNull: case kPtNote: case kPtPhdr: continue;
        case kPtInterp: return refuse("PT_INTERP: a dynamically linked program", i);
        case kPtDynamic: return refuse("PT_DYNAMIC: a dynamically linked program", i);
        case kPtShlib: return refuse("PT_SHLIB is reserved", i);
        case kPtTls: return refuse("PT_TLS: thread-local storage is not supported", i);
        case kPtGnuStack:
            if (pflags & kPfX) return refuse("PT_GNU_STACK asks for an executable stack", i, pflags);
            continue;
        case kPtLoad: break;
        default:
            if (ptype >= kPtLoos && ptype <= kPtHiproc) continue;  // OS and processor notes: not ours to act on
            return refuse("unknown program header type", i, ptype);
        }
        if (pflags & ~(kPfX | kPfW | kPfR)) return refuse("PT_LOAD has unknown p_flags bits", i, pflags);
        if ((pflags & kPfW) && (pflags & kPfX)) return refuse("PT_LOAD is both writable and executable", vaddr, pflags);
        if (filesz > memsz) return refuse("PT_LOAD p_filesz exceeds p_memsz", filesz, memsz);
        if (!inside(off, filesz, len)) return refuse("PT_LOAD bytes outside the file", off, filesz);
        if (align > 1) {
            if (align & (align - 1)) return refuse("PT_LOAD p_align is not a power of two", vaddr, align);
            if (vaddr % align != off % align) return refuse("PT_LOAD p_vaddr and p_offset disagree modulo p_align", vaddr, off);
        }
        if (memsz == 0) continue;  // occupies nothing
        if (vaddr < t.user_lo || vaddr > t.user_hi || memsz > t.user_hi - vaddr)
            return refuse("PT_LOAD outside user space", vaddr, memsz);
        if (out->nsegments == ELF_MAX_SEGMENTS) return refuse("more PT_LOAD segments than the loader holds", ELF_MAX_SEGMENTS);
        // Ascending and on pages of their own: each page gets one set of rights.
        if (out->nsegments) {
            const ElfSegment& prev = out->segments[out->nsegments - 1];
            uint64_t prev_end = (prev.vaddr + prev.memsz + kPage - 1) & ~(kPage - 1);
            if ((vaddr & ~(kPage - 1)) < prev_end) return refuse("PT_LOAD shares a page with the one before, or is out of order", vaddr, prev.vaddr);
        }
        out->segments[out->nsegments++] = ElfSegment{vaddr, memsz, off, filesz, (pflags & kPfW) != 0, (pflags & kPfX) != 0};
    }
    if (out->nsegments == 0) return refuse("no PT_LOAD segment");
    for (uint32_t i = 0; i < out->nsegments; ++i) {
        const ElfSegment& s = out->segments[i];
        if (s.exec && entry >= s.vaddr && entry - s.vaddr < s.memsz) {
            out->entry = entry;
            return true;
        }
    }
    out->nsegments = 0;
    return refuse("e_entry is in no executable segment", entry);
}
