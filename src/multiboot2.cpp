/// @file multiboot2.cpp
/// Walking the Multiboot2 boot information (Multiboot2 1.0 section 3.6).
///
/// Two kinds of trouble, treated differently. A tag whose own size cannot be
/// trusted (below 8, or past the end) means the position of the next tag is
/// unknown: the walk stops there. A tag whose size is sound but whose payload
/// is malformed (too short for its fields, a string without its NUL) is
/// dropped, and the walk goes on to the next tag, which is still well placed.
#include "multiboot2.h"
#include "log.h"

namespace {

// The information sits at an 8-byte boundary, but a caller's buffer (or a
// fuzz input) need not, so fields are loaded bytewise.
uint32_t rd32(const uint8_t* p) { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
uint64_t rd64(const uint8_t* p) { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }

/// One tag whose size has been checked against the end of the information.
struct Tag {
    const uint8_t* p;  // the tag header
    uint32_t type;
    uint32_t size;     // >= 8, and the whole tag is readable
    size_t off;        // from the start of the information, for messages
};

bool too_small(const Tag& t, uint32_t need, const char* what) {
    if (t.size >= need) return false;
    log_warn("multiboot2: %s tag at offset %zu has size %u, needs %u; tag dropped", what,
             t.off, t.size, need);
    return true;
}

/// The NUL-terminated string at @p at inside the tag, or nullptr (reported).
const char* string_at(const Tag& t, uint32_t at, const char* what) {
    for (uint32_t i = at; i < t.size; ++i)
        if (t.p[i] == 0) return reinterpret_cast<const char*>(t.p + at);
    log_warn("multiboot2: %s tag at offset %zu: string not NUL-terminated within the tag; tag dropped",
             what, t.off);
    return nullptr;
}

/// Tag 6 (section 3.6.8): entry_size is honoured, so a later, longer entry
/// format still parses; entries shorter than {base, len, type} are refused.
bool parse_mmap(const Tag& t, Mb2Info& out) {
    if (too_small(t, 16, "memory map")) return false;
    uint32_t esize = rd32(t.p + 8);
    if (esize < 20) {
        log_warn("multiboot2: memory map entry_size %u is smaller than an entry (20 bytes); map dropped",
                 esize);
        return false;
    }
    uint32_t n = (t.size - 16) / esize;
    out.mmap_count = 0;
    out.mmap_truncated = false;
    for (uint32_t i = 0; i < n; ++i) {
        if (out.mmap_count == Mb2Info::kMaxRegions) {
            log_warn("multiboot2: memory map has %u entries; only the first %zu are kept", n,
                     Mb2Info::kMaxRegions);
            out.mmap_truncated = true;
            break;
        }
        const uint8_t* e = t.p + 16 + i * esize;
        out.mmap[out.mmap_count++] = {rd64(e), rd64(e + 8), rd32(e + 16)};
    }
    return true;
}

bool parse_module(const Tag& t, Mb2Info& out) {
    if (too_small(t, 17, "module")) return false;
    uint32_t start = rd32(t.p + 8), end = rd32(t.p + 12);
    const char* s = string_at(t, 16, "module");
    if (!s) return false;
    if (end < start) {
        log_warn("multiboot2: module at offset %zu ends (0x%x) before it starts (0x%x); dropped",
                 t.off, end, start);
        return false;
    }
    if (out.module_count == Mb2Info::kMaxModules) {
        log_warn("multiboot2: more than %zu modules; module 0x%x-0x%x not kept", Mb2Info::kMaxModules,
                 start, end);
        return true;
    }
    out.modules[out.module_count++] = {start, end, s};
    return true;
}

/// Reads one tag into @p out; false when the tag was malformed (reported).
bool parse_tag(const Tag& t, Mb2Info& out) {
    const uint8_t* p = t.p;
    switch (t.type) {
    case kMb2TagCmdline:
        return (out.cmdline = string_at(t, 8, "command line")) != nullptr;
    case kMb2TagLoaderName:
        return (out.loader_name = string_at(t, 8, "boot loader name")) != nullptr;
    case kMb2TagModule:
        return parse_module(t, out);
    case kMb2TagBasicMeminfo:
        if (too_small(t, 16, "basic meminfo")) return false;
        out.has_meminfo = true;
        out.mem_lower_kib = rd32(p + 8);
        out.mem_upper_kib = rd32(p + 12);
        return true;
    case kMb2TagMmap:
        return parse_mmap(t, out);
    case kMb2TagFramebuffer:
        if (too_small(t, 30, "framebuffer")) return false;
        out.has_framebuffer = true;
        out.fb = {rd64(p + 8), rd32(p + 16), rd32(p + 20), rd32(p + 24), p[28], p[29]};
        return true;
    case kMb2TagEfi32:
        if (too_small(t, 12, "EFI32 system table")) return false;
        out.has_efi32 = true;
        out.efi_system_table = rd32(p + 8);
        return true;
    case kMb2TagEfi64:
        if (too_small(t, 16, "EFI64 system table")) return false;
        out.has_efi64 = true;
        out.efi_system_table = rd64(p + 8);
        return true;
    // The RSDP copies are checked (signature, checksum) by the ACPI code;
    // here only that the tag can hold one (ACPI 6.5 5.2.5.3: 20 and 36 bytes).
    case kMb2TagAcpiOld:
        if (too_small(t, 8 + 20, "ACPI old RSDP")) return false;
        out.rsdp_old = p + 8;
        out.rsdp_old_len = t.size - 8;
        return true;
    case kMb2TagAcpiNew:
        if (too_small(t, 8 + 36, "ACPI new RSDP")) return false;
        out.rsdp_new = p + 8;
        out.rsdp_new_len = t.size - 8;
        return true;
    case kMb2TagEfiBootServices:
        out.efi_boot_services = true;
        return true;
    case kMb2TagElfSections: {
        if (too_small(t, 20, "ELF sections")) return false;
        uint32_t num = rd32(p + 8), entsize = rd32(p + 12);
        if ((entsize != 40 && entsize != 64) || uint64_t(num) * entsize > t.size - 20) {
            log_warn("multiboot2: ELF sections tag at offset %zu: %u headers of %u bytes do not fit its %u bytes; "
                     "dropped", t.off, num, entsize, t.size);
            return false;
        }
        out.elf_sections = p + 20;
        out.elf_num = num;
        out.elf_entsize = entsize;
        return true;
    }
    case kMb2TagLoadBase:
        if (too_small(t, 12, "load base")) return false;
        out.has_load_base = true;
        out.load_base = rd32(p + 8);
        return true;
    default:
        ++out.skipped_tags;
        return true;
    }
}

}  // namespace

bool mb2_parse(const uint8_t* info, size_t avail, Mb2Info& out) {
    out = Mb2Info{};
    if (!info) {
        log_warn("multiboot2: no boot information (null pointer)");
        return false;
    }
    if (avail < 8) {
        log_warn("multiboot2: only %zu bytes available, the header alone needs 8", avail);
        return false;
    }
    uint32_t total = rd32(info);
    out.total_size = total;
    if (total < 16) {
        log_warn("multiboot2: total_size %u is below the minimum of 16; not parsed", total);
        return false;
    }
    bool ok = true;
    size_t limit = total;
    if (total > avail) {
        log_warn("multiboot2: total_size %u exceeds the %zu bytes available; reading only those",
                 total, avail);
        limit = avail;
        ok = false;
    }
    if (total % 8 != 0) log_warn("multiboot2: total_size %u is not a multiple of 8", total);

    /// [tag walk]
    for (size_t off = 8;;) {
        if (off > limit || limit - off < 8) {
            log_warn("multiboot2: no end tag within %zu bytes; walk stopped at offset %zu", limit, off);
            return false;
        }
        Tag t{info + off, rd32(info + off), rd32(info + off + 4), off};
        if (t.type == kMb2TagEnd) return ok;
        if (t.size < 8) {
            log_warn("multiboot2: tag %u at offset %zu has size %u (below 8); walk stopped", t.type,
                     off, t.size);
            return false;
        }
        if (t.size > limit - off) {
            log_warn("multiboot2: tag %u at offset %zu (size %u) runs past the end at %zu; walk stopped",
                     t.type, off, t.size, limit);
            return false;
        }
        if (!parse_tag(t, out)) ok = false;
        off += align_up(t.size, 8);  // tags start 8-byte aligned (section 3.6.1)
    }
    /// [tag walk]
}

const char* mb2_mem_type_name(uint32_t type) {
    switch (type) {
    case kMb2MemAvailable: return "available";
    case kMb2MemReserved: return "reserved";
    case kMb2MemAcpiReclaimable: return "acpi";
    case kMb2MemNvs: return "nvs";
    case kMb2MemBad: return "bad";
    default: return "type?";
    }
}
