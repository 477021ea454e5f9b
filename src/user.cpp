/// @file user.cpp
/// Checking the user programs GRUB loaded (user.h). GRUB puts each `module2`
/// file somewhere in physical memory and lists it in a module tag
/// (Multiboot2 1.0 section 3.6.6); the identity map lets the kernel read it
/// where it lies. mem_init() has already kept those frames from the allocator.
#include "user.h"
#include "format.h"
#include "log.h"
#include "mem.h"
#include "user_arch.h"

ElfTarget user_target() { return ElfTarget{USER_ELF64, USER_BASE, USER_END}; }

namespace {
/// "r-x 0x40000000-0x40000046" for each segment, comma-separated, into @p buf.
void describe_segments(const ElfImage& img, char* buf, size_t cap) {
    size_t n = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < img.nsegments && n < cap; ++i) {
        const ElfSegment& s = img.segments[i];
        n += ksnprintf(buf + n, cap - n, "%sr%c%c 0x%llx-0x%llx", i ? ", " : "", s.write ? 'w' : '-',
                          s.exec ? 'x' : '-', (unsigned long long)s.vaddr,
                          (unsigned long long)(s.vaddr + s.memsz));
    }
}
}  // namespace

/// [user_check_modules]
size_t user_check_modules(const Mb2Info& mb) {
    ElfTarget t = user_target();
    log_info("user: %zu module(s); programs must be %s, in 0x%llx-0x%llx", mb.module_count,
             t.elf64 ? "ELFCLASS64 EM_X86_64" : "ELFCLASS32 EM_386", (unsigned long long)t.user_lo,
             (unsigned long long)t.user_hi);
    size_t ok = 0;
    for (size_t i = 0; i < mb.module_count; ++i) {
        const Mb2Module& m = mb.modules[i];
        const char* name = m.cmdline && m.cmdline[0] ? m.cmdline : "(unnamed)";
        size_t len = m.end - m.start;
        // The file must stay where GRUB put it until it is loaded: a free
        // frame under it would be handed out and overwritten.
        if (size_t n = frames_free_in(m.start, len))
            log_error("user: module %s: %zu of its frames (0x%x-0x%x) are free in the frame allocator",
                      name, n, m.start, m.end);
        ElfImage img;
        if (!elf_check((const uint8_t*)(uintptr_t)m.start, len, t, name, &img)) {
            log_warn("user: module %s: %zu bytes, refused; skipped", name, len);
            continue;
        }
        char segs[ELF_MAX_SEGMENTS * 48];
        describe_segments(img, segs, sizeof segs);
        log_info("user: module %s: %zu bytes, entry 0x%llx, %u segments (%s)", name, len,
                 (unsigned long long)img.entry, img.nsegments, segs);
        ++ok;
    }
    return ok;
}
/// [user_check_modules]
