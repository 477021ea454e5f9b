// The Multiboot2 boot information parser, on informations built in memory:
// a good one, and ones truncated, corrupted or carrying tags it does not know.
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>
#include "host_log.h"
#include "multiboot2.h"

namespace {

/// Builds a boot information the way GRUB lays it out (Multiboot2 1.0 3.6).
struct Info {
    std::vector<uint8_t> b = std::vector<uint8_t>(8, 0);

    void u8(uint8_t v) { b.push_back(v); }
    void u32(uint32_t v) { for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i))); }
    void u64(uint64_t v) { u32(uint32_t(v)); u32(uint32_t(v >> 32)); }
    void bytes(const void* p, size_t n) { b.insert(b.end(), (const uint8_t*)p, (const uint8_t*)p + n); }
    void set32(size_t at, uint32_t v) { for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i)); }
    void pad() { while (b.size() % 8) b.push_back(0); }

    /// Opens a tag; close() writes its size (without the padding).
    size_t open(uint32_t type) { pad(); size_t at = b.size(); u32(type); u32(0); return at; }
    void close(size_t at) { set32(at + 4, uint32_t(b.size() - at)); }
    Info& string(uint32_t type, const char* s) {
        size_t t = open(type); bytes(s, std::strlen(s) + 1); close(t); return *this;
    }
    Info& mmap(const std::vector<Mb2MemRegion>& rs, uint32_t esize = 24) {
        size_t t = open(kMb2TagMmap);
        u32(esize); u32(0);
        for (const auto& r : rs) {
            size_t e = b.size();
            u64(r.base); u64(r.len); u32(r.type);
            while (b.size() - e < esize) u8(0xEE);
        }
        close(t);
        return *this;
    }
    Info& raw(uint32_t type, size_t payload, uint8_t fill = 0) {
        size_t t = open(type); for (size_t i = 0; i < payload; ++i) u8(fill); close(t); return *this;
    }
    Info& module(uint32_t start, uint32_t end, const char* s) {
        size_t t = open(kMb2TagModule); u32(start); u32(end); bytes(s, std::strlen(s) + 1); close(t);
        return *this;
    }
    /// Adds the end tag and sets total_size.
    std::vector<uint8_t> done(bool end_tag = true) {
        pad();
        if (end_tag) { u32(kMb2TagEnd); u32(8); }
        set32(0, uint32_t(b.size()));
        return b;
    }
};

const std::vector<Mb2MemRegion> kMap = {
    {0x0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xf0000, 0x10000, 2},
    {0x100000, 0x7ee0000, 1}, {0x7fe0000, 0x20000, 2}, {0xfffc0000, 0x40000, 2},
};

/// A boot information like QEMU + GRUB under UEFI give, plus a few extras.
Info good_info() {
    Info i;
    i.string(kMb2TagCmdline, "maxcpus=2 test=all");
    i.string(kMb2TagLoaderName, "GRUB 2.06");
    i.module(0x200000, 0x201000, "initrd");
    { size_t t = i.open(kMb2TagBasicMeminfo); i.u32(639); i.u32(130048); i.close(t); }
    i.raw(kMb2TagBootdev, 12);
    i.mmap(kMap);
    {
        size_t t = i.open(kMb2TagFramebuffer);
        i.u64(0xfd000000); i.u32(4096); i.u32(1024); i.u32(768); i.u8(32); i.u8(1); i.u8(0); i.u8(0);
        for (int k = 0; k < 6; ++k) i.u8(uint8_t(k));  // colour info
        i.close(t);
    }
    { size_t t = i.open(kMb2TagEfi64); i.u64(0x7f9ee018); i.close(t); }
    { size_t t = i.open(kMb2TagAcpiOld); i.bytes("RSD PTR ", 8); for (int k = 0; k < 12; ++k) i.u8(1); i.close(t); }
    { size_t t = i.open(kMb2TagAcpiNew); i.bytes("RSD PTR ", 8); for (int k = 0; k < 28; ++k) i.u8(2); i.close(t); }
    i.raw(kMb2TagEfiBootServices, 0);
    i.raw(99, 5, 0xAB);  // unknown to the parser
    { size_t t = i.open(kMb2TagLoadBase); i.u32(0x200000); i.close(t); }
    return i;
}

size_t warnings() { return log_count("WARN: "); }

bool parse(const std::vector<uint8_t>& b, Mb2Info& out, size_t avail = SIZE_MAX) {
    clear_log();
    // Copy into a buffer of exactly the vouched size, so a read past it is a
    // heap overflow that sanitizers and valgrind see.
    size_t n = avail == SIZE_MAX ? b.size() : avail;
    std::vector<uint8_t> exact(b.begin(), b.begin() + std::min(n, b.size()));
    bool ok = mb2_parse(exact.data(), n, out);
    // Pointers into the copy would dangle: keep them comparable to b instead.
    auto rebase = [&](const void* p) -> const void* {
        return p ? b.data() + ((const uint8_t*)p - exact.data()) : nullptr;
    };
    out.cmdline = (const char*)rebase(out.cmdline);
    out.loader_name = (const char*)rebase(out.loader_name);
    out.rsdp_old = (const uint8_t*)rebase(out.rsdp_old);
    out.rsdp_new = (const uint8_t*)rebase(out.rsdp_new);
    for (size_t k = 0; k < out.module_count; ++k)
        out.modules[k].cmdline = (const char*)rebase(out.modules[k].cmdline);
    return ok;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(multiboot2)

BOOST_AUTO_TEST_CASE(magic) {
    BOOST_TEST(mb2_magic_ok(0x36d76289u));
    BOOST_TEST(!mb2_magic_ok(0x2badb002u));  // Multiboot 1
    BOOST_TEST(!mb2_magic_ok(0));
}

BOOST_AUTO_TEST_CASE(good_info_parses_completely) {
    auto b = good_info().done();
    static Mb2Info m;
    BOOST_TEST(parse(b, m));
    BOOST_TEST(warnings() == 0u);
    BOOST_TEST(m.total_size == b.size());
    BOOST_TEST(std::string(m.cmdline) == "maxcpus=2 test=all");
    BOOST_TEST(std::string(m.loader_name) == "GRUB 2.06");
    BOOST_TEST(m.has_meminfo);
    BOOST_TEST(m.mem_lower_kib == 639u);
    BOOST_TEST(m.mem_upper_kib == 130048u);
    BOOST_TEST(m.mmap_count == kMap.size());
    BOOST_TEST(!m.mmap_truncated);
    for (size_t k = 0; k < kMap.size(); ++k) {
        BOOST_TEST(m.mmap[k].base == kMap[k].base);
        BOOST_TEST(m.mmap[k].len == kMap[k].len);
        BOOST_TEST(m.mmap[k].type == kMap[k].type);
    }
    BOOST_TEST(m.has_framebuffer);
    BOOST_TEST(m.fb.addr == 0xfd000000u);
    BOOST_TEST(m.fb.pitch == 4096u);
    BOOST_TEST(m.fb.width == 1024u);
    BOOST_TEST(m.fb.height == 768u);
    BOOST_TEST(m.fb.bpp == 32);
    BOOST_TEST(m.fb.type == 1);
    BOOST_TEST(m.has_efi64);
    BOOST_TEST(!m.has_efi32);
    BOOST_TEST(m.efi_system_table == 0x7f9ee018u);
    BOOST_TEST(m.efi_boot_services);
    BOOST_TEST(m.rsdp_old_len == 20u);
    BOOST_TEST(std::memcmp(m.rsdp_old, "RSD PTR ", 8) == 0);
    BOOST_TEST(m.rsdp_new_len == 36u);
    BOOST_TEST(std::memcmp(m.rsdp_new, "RSD PTR ", 8) == 0);
    BOOST_TEST(m.rsdp_new[8] == 2);
    BOOST_TEST(m.module_count == 1u);
    BOOST_TEST(m.modules[0].start == 0x200000u);
    BOOST_TEST(m.modules[0].end == 0x201000u);
    BOOST_TEST(std::string(m.modules[0].cmdline) == "initrd");
    BOOST_TEST(m.has_load_base);
    BOOST_TEST(m.load_base == 0x200000u);
    BOOST_TEST(m.skipped_tags == 2u);  // bootdev and type 99
}

BOOST_AUTO_TEST_CASE(strings_point_into_the_information) {
    auto b = good_info().done();
    static Mb2Info m;
    clear_log();
    BOOST_TEST(mb2_parse(b.data(), b.size(), m));
    BOOST_TEST((const uint8_t*)m.cmdline > b.data());
    BOOST_TEST((const uint8_t*)m.cmdline < b.data() + b.size());
    BOOST_TEST(std::string(mb2_mem_type_name(m.mmap[0].type)) == "available");
    BOOST_TEST(std::string(mb2_mem_type_name(3)) == "acpi");
    BOOST_TEST(std::string(mb2_mem_type_name(4)) == "nvs");
    BOOST_TEST(std::string(mb2_mem_type_name(5)) == "bad");
    BOOST_TEST(std::string(mb2_mem_type_name(2)) == "reserved");
    BOOST_TEST(std::string(mb2_mem_type_name(77)) == "type?");
}

BOOST_AUTO_TEST_CASE(truncated_at_every_byte) {
    auto b = good_info().done();
    static Mb2Info m;
    for (size_t avail = 0; avail < b.size(); ++avail) {
        BOOST_TEST_CONTEXT("avail " << avail) {
            BOOST_TEST(!parse(b, m, avail));
            BOOST_TEST(warnings() >= 1u);
            BOOST_TEST(warnings() <= 3u);
        }
    }
}

BOOST_AUTO_TEST_CASE(truncated_keeps_what_came_before) {
    Info i;
    i.string(kMb2TagCmdline, "loglevel=3");
    i.pad();
    size_t after_cmdline = i.b.size();
    i.mmap(kMap);
    size_t after_mmap = i.b.size();
    i.string(kMb2TagLoaderName, "GRUB");
    auto b = i.done();
    static Mb2Info m;

    BOOST_TEST(!parse(b, m, after_cmdline + 4));  // inside the mmap tag's header
    BOOST_TEST(std::string(m.cmdline) == "loglevel=3");
    BOOST_TEST(m.mmap_count == 0u);
    BOOST_TEST(log_contains("WARN: multiboot2: total_size " + std::to_string(b.size()) +
                            " exceeds the " + std::to_string(after_cmdline + 4) +
                            " bytes available; reading only those"));
    BOOST_TEST(log_contains("no end tag within " + std::to_string(after_cmdline + 4) + " bytes"));

    BOOST_TEST(!parse(b, m, after_mmap - 8));  // inside the mmap tag's entries
    BOOST_TEST(m.cmdline != nullptr);
    BOOST_TEST(m.mmap_count == 0u);
    BOOST_TEST(log_contains("multiboot2: tag 6 at offset " + std::to_string(after_cmdline) + " (size " +
                            std::to_string(16 + 24 * kMap.size()) + ") runs past the end"));

    BOOST_TEST(!parse(b, m, b.size() - 8));  // only the end tag missing
    BOOST_TEST(m.mmap_count == kMap.size());
    BOOST_TEST(std::string(m.loader_name) == "GRUB");
}

BOOST_AUTO_TEST_CASE(header_checks) {
    static Mb2Info m;
    clear_log();
    BOOST_TEST(!mb2_parse(nullptr, 100, m));
    BOOST_TEST(log_contains("WARN: multiboot2: no boot information (null pointer)"));

    std::vector<uint8_t> tiny = {16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0};
    BOOST_TEST(parse(tiny, m));  // just the end tag: valid and empty
    BOOST_TEST(warnings() == 0u);
    BOOST_TEST(m.mmap_count == 0u);
    BOOST_TEST(m.cmdline == nullptr);

    BOOST_TEST(!parse(tiny, m, 7));
    BOOST_TEST(log_contains("WARN: multiboot2: only 7 bytes available, the header alone needs 8"));

    tiny[0] = 8;
    BOOST_TEST(!parse(tiny, m));
    BOOST_TEST(log_contains("WARN: multiboot2: total_size 8 is below the minimum of 16; not parsed"));
    BOOST_TEST(m.total_size == 8u);

    auto b = good_info().done();
    b[0] += 4;  // total_size not a multiple of 8, otherwise fine: a warning only
    b.resize(b.size() + 4);
    BOOST_TEST(parse(b, m));
    BOOST_TEST(warnings() == 1u);
    BOOST_TEST(log_contains("is not a multiple of 8"));
    BOOST_TEST(m.mmap_count == kMap.size());
}

BOOST_AUTO_TEST_CASE(total_size_smaller_than_the_tags) {
    Info i;
    i.string(kMb2TagCmdline, "a");
    i.mmap(kMap);
    auto b = i.done();
    b[0] = 40;  // total_size ends inside the mmap tag, though the buffer goes on
    static Mb2Info m;
    BOOST_TEST(!parse(b, m));
    BOOST_TEST(warnings() == 1u);
    BOOST_TEST(log_contains("tag 6 at offset 24 (size 160) runs past the end at 40; walk stopped"));
    BOOST_TEST(std::string(m.cmdline) == "a");
}

BOOST_AUTO_TEST_CASE(unknown_tags_are_skipped_by_size) {
    Info i;
    i.raw(1000, 0);
    i.raw(0xffffffffu, 1, 0xff);
    i.raw(22, 13, 0x55);  // the first type after those this parser knows
    i.raw(23, 40);
    i.string(kMb2TagCmdline, "nox2apic");
    i.raw(77, 200, 0);
    auto b = i.done();
    static Mb2Info m;
    BOOST_TEST(parse(b, m));
    BOOST_TEST(warnings() == 0u);
    BOOST_TEST(m.skipped_tags == 5u);
    BOOST_TEST(std::string(m.cmdline) == "nox2apic");
}

BOOST_AUTO_TEST_CASE(elf_sections_lie_inside_their_tag) {
    auto elf = [](Info& i, uint32_t num, uint32_t entsize, size_t headers) {
        size_t t = i.open(kMb2TagElfSections);
        i.u32(num); i.u32(entsize); i.u32(0);
        for (size_t k = 0; k < headers * entsize; ++k) i.u8(uint8_t(k));
        i.close(t);
    };
    Info ok;
    elf(ok, 3, 64, 3);
    auto b = ok.done();
    static Mb2Info m;
    BOOST_TEST(parse(b, m));
    BOOST_TEST(m.elf_num == 3u);
    BOOST_TEST(m.elf_entsize == 64u);
    BOOST_TEST((m.elf_sections && m.elf_sections[1] == 1 && m.elf_sections[191] == 191));
    // A count that runs past the tag (the walk in mem.cpp once trusted it),
    // and a header size that is neither ELF32's nor ELF64's.
    for (auto [num, entsize, have] : {std::tuple{100u, 64u, size_t(2)}, std::tuple{2u, 52u, size_t(2)}}) {
        Info bad;
        elf(bad, num, entsize, have);
        bad.string(kMb2TagCmdline, "after");
        auto bb = bad.done();
        BOOST_TEST(!parse(bb, m));
        BOOST_TEST(m.elf_sections == nullptr);
        BOOST_TEST(log_contains("do not fit"));
        BOOST_TEST(std::string(m.cmdline) == "after");
    }
}

BOOST_AUTO_TEST_CASE(zero_size_tag_stops_the_walk) {
    Info i;
    i.string(kMb2TagCmdline, "x");
    size_t bad = i.open(33);  // size left 0
    i.string(kMb2TagLoaderName, "never read");
    auto b = i.done();
    static Mb2Info m;
    BOOST_TEST(!parse(b, m));
    BOOST_TEST(warnings() == 1u);
    BOOST_TEST(log_contains("WARN: multiboot2: tag 33 at offset " + std::to_string(bad) +
                            " has size 0 (below 8); walk stopped"));
    BOOST_TEST(std::string(m.cmdline) == "x");
    BOOST_TEST(m.loader_name == nullptr);
}

BOOST_AUTO_TEST_CASE(tag_running_past_the_end) {
    Info i;
    i.string(kMb2TagCmdline, "x");
    size_t t = i.open(kMb2TagLoaderName);
    i.bytes("GRUB", 5);
    auto b = i.done();
    i.set32(t + 4, 0x10000);
    b = i.b;
    static Mb2Info m;
    BOOST_TEST(!parse(b, m));
    BOOST_TEST(warnings() == 1u);
    BOOST_TEST(log_contains("tag 2 at offset 24 (size 65536) runs past the end"));
    BOOST_TEST(m.loader_name == nullptr);
    BOOST_TEST(m.cmdline != nullptr);

    i.set32(t + 4, 0xfffffff8u);  // would wrap a careless offset + size
    b = i.b;
    BOOST_TEST(!parse(b, m));
    BOOST_TEST(log_contains("runs past the end"));
}

BOOST_AUTO_TEST_CASE(missing_end_tag) {
    Info i;
    i.string(kMb2TagCmdline, "maxcpus=1");
    auto b = i.done(false);
    static Mb2Info m;
    BOOST_TEST(!parse(b, m));
    BOOST_TEST(warnings() == 1u);
    BOOST_TEST(log_contains("WARN: multiboot2: no end tag within " + std::to_string(b.size()) + " bytes"));
    BOOST_TEST(std::string(m.cmdline) == "maxcpus=1");  // kept, though the whole is not trusted
}

BOOST_AUTO_TEST_CASE(mmap_with_larger_entry_size) {
    for (uint32_t esize : {20u, 24u, 28u, 32u, 40u, 64u}) {
        Info i;
        i.mmap(kMap, esize);
        auto b = i.done();
        static Mb2Info m;
        BOOST_TEST_CONTEXT("entry_size " << esize) {
            BOOST_TEST(parse(b, m));
            BOOST_TEST(warnings() == 0u);
            BOOST_TEST(m.mmap_count == kMap.size());
            BOOST_TEST(m.mmap[3].base == 0x100000u);
            BOOST_TEST(m.mmap[3].len == 0x7ee0000u);
            BOOST_TEST(m.mmap[5].base == 0xfffc0000u);
            BOOST_TEST(m.mmap[5].type == 2u);
        }
    }
}

BOOST_AUTO_TEST_CASE(mmap_with_bad_entry_size) {
    for (uint32_t esize : {0u, 1u, 8u, 16u, 19u}) {
        Info i;
        size_t t = i.open(kMb2TagMmap);
        i.u32(esize); i.u32(0);
        for (int k = 0; k < 48; ++k) i.u8(0x11);
        i.close(t);
        i.string(kMb2TagCmdline, "after");
        auto b = i.done();
        static Mb2Info m;
        BOOST_TEST_CONTEXT("entry_size " << esize) {
            BOOST_TEST(!parse(b, m));
            BOOST_TEST(warnings() == 1u);
            BOOST_TEST(log_contains("WARN: multiboot2: memory map entry_size " + std::to_string(esize) +
                                    " is smaller than an entry (20 bytes); map dropped"));
            BOOST_TEST(m.mmap_count == 0u);
            BOOST_TEST(std::string(m.cmdline) == "after");  // the walk went on
        }
    }
}

BOOST_AUTO_TEST_CASE(mmap_with_a_partial_last_entry) {
    Info i;
    size_t t = i.open(kMb2TagMmap);
    i.u32(24); i.u32(0);
    i.u64(0x100000); i.u64(0x1000); i.u32(1); i.u32(0);
    i.u64(0x200000); i.u64(0x1000); i.u32(1); i.u32(0);
    i.u32(0xdead);  // 4 stray bytes: not a whole entry, ignored
    i.close(t);
    auto b = i.done();
    static Mb2Info m;
    BOOST_TEST(parse(b, m));
    BOOST_TEST(warnings() == 0u);
    BOOST_TEST(m.mmap_count == 2u);
    BOOST_TEST(m.mmap[1].base == 0x200000u);
}

BOOST_AUTO_TEST_CASE(mmap_over_capacity_is_truncated) {
    std::vector<Mb2MemRegion> many;
    for (uint64_t k = 0; k < 200; ++k) many.push_back({k << 20, 1 << 20, uint32_t(1 + k % 2)});
    Info i;
    i.mmap(many);
    auto b = i.done();
    static Mb2Info m;
    BOOST_TEST(parse(b, m));
    BOOST_TEST(warnings() == 1u);
    BOOST_TEST(log_contains("WARN: multiboot2: memory map has 200 entries; only the first 128 are kept"));
    BOOST_TEST(m.mmap_count == 128u);
    BOOST_TEST(m.mmap_truncated);
    BOOST_TEST(m.mmap[127].base == (127ull << 20));
}

BOOST_AUTO_TEST_CASE(unterminated_strings_are_rejected) {
    Info i;
    { size_t t = i.open(kMb2TagCmdline); i.bytes("maxcpus=2", 9); i.close(t); }  // no NUL
    i.pad();  // padding zeros follow, but outside the tag: must not count
    i.string(kMb2TagLoaderName, "GRUB");
    { size_t t = i.open(kMb2TagModule); i.u32(0x1000); i.u32(0x2000); i.bytes("mod", 3); i.close(t); }
    auto b = i.done();
    static Mb2Info m;
    BOOST_TEST(!parse(b, m));
    BOOST_TEST(warnings() == 2u);
    BOOST_TEST(log_contains("WARN: multiboot2: command line tag at offset 8: string not NUL-terminated "
                            "within the tag; tag dropped"));
    BOOST_TEST(log_contains("module tag at offset 48: string not NUL-terminated"));
    BOOST_TEST(m.cmdline == nullptr);
    BOOST_TEST(m.module_count == 0u);
    BOOST_TEST(std::string(m.loader_name) == "GRUB");

    Info e;
    e.raw(kMb2TagCmdline, 0);  // a string tag with no room for even the NUL
    b = e.done();
    BOOST_TEST(!parse(b, m));
    BOOST_TEST(m.cmdline == nullptr);
}

BOOST_AUTO_TEST_CASE(short_fixed_tags_are_dropped) {
    struct Case { uint32_t type; size_t payload; const char* what; };
    const Case cases[] = {
        {kMb2TagBasicMeminfo, 4, "basic meminfo tag at offset 8 has size 12, needs 16"},
        {kMb2TagFramebuffer, 20, "framebuffer tag at offset 8 has size 28, needs 30"},
        {kMb2TagAcpiOld, 19, "ACPI old RSDP tag at offset 8 has size 27, needs 28"},
        {kMb2TagAcpiNew, 20, "ACPI new RSDP tag at offset 8 has size 28, needs 44"},
        {kMb2TagEfi32, 2, "EFI32 system table tag at offset 8 has size 10, needs 12"},
        {kMb2TagEfi64, 4, "EFI64 system table tag at offset 8 has size 12, needs 16"},
        {kMb2TagLoadBase, 0, "load base tag at offset 8 has size 8, needs 12"},
        {kMb2TagModule, 8, "module tag at offset 8 has size 16, needs 17"},
        {kMb2TagMmap, 4, "memory map tag at offset 8 has size 12, needs 16"},
    };
    for (const Case& c : cases) {
        Info i;
        i.raw(c.type, c.payload, 0x41);
        i.string(kMb2TagCmdline, "ok");
        auto b = i.done();
        static Mb2Info m;
        BOOST_TEST_CONTEXT(c.what) {
            BOOST_TEST(!parse(b, m));
            BOOST_TEST(warnings() == 1u);
            BOOST_TEST(log_contains(std::string("WARN: multiboot2: ") + c.what + "; tag dropped"));
            BOOST_TEST(!m.has_meminfo);
            BOOST_TEST(!m.has_framebuffer);
            BOOST_TEST(m.rsdp_old == nullptr);
            BOOST_TEST(m.rsdp_new == nullptr);
            BOOST_TEST(!m.has_efi32);
            BOOST_TEST(!m.has_efi64);
            BOOST_TEST(!m.has_load_base);
            BOOST_TEST(m.module_count == 0u);
            BOOST_TEST(std::string(m.cmdline) == "ok");
        }
    }
}

BOOST_AUTO_TEST_CASE(modules) {
    Info i;
    for (uint32_t k = 0; k < 18; ++k) i.module(0x100000 * (k + 1), 0x100000 * (k + 1) + 0x800, "m");
    i.module(0x5000, 0x4000, "backwards");
    auto b = i.done();
    static Mb2Info m;
    BOOST_TEST(!parse(b, m));  // the backwards module is malformed
    BOOST_TEST(m.module_count == 16u);
    BOOST_TEST(m.modules[15].start == 0x1000000u);
    BOOST_TEST(log_count("more than 16 modules") == 2u);
    BOOST_TEST(log_contains("module 0x1100000-0x1100800 not kept"));
    BOOST_TEST(log_contains("ends (0x4000) before it starts (0x5000); dropped"));
}

BOOST_AUTO_TEST_CASE(efi32_and_repeated_tags) {
    Info i;
    { size_t t = i.open(kMb2TagEfi32); i.u32(0x3f000000); i.close(t); }
    i.string(kMb2TagCmdline, "first");
    i.string(kMb2TagCmdline, "second");
    i.mmap({{0, 0x1000, 1}});
    i.mmap({{0x100000, 0x2000, 1}, {0x200000, 0x3000, 2}});
    auto b = i.done();
    static Mb2Info m;
    BOOST_TEST(parse(b, m));
    BOOST_TEST(m.has_efi32);
    BOOST_TEST(m.efi_system_table == 0x3f000000u);
    BOOST_TEST(std::string(m.cmdline) == "second");  // the later tag wins
    BOOST_TEST(m.mmap_count == 2u);
    BOOST_TEST(m.mmap[0].base == 0x100000u);
}

BOOST_AUTO_TEST_CASE(random_corruption_never_reads_out_of_bounds) {
    auto good = good_info().done();
    std::mt19937 rng(12345);
    static Mb2Info m;
    for (int round = 0; round < 3000; ++round) {
        auto b = good;
        int flips = 1 + int(rng() % 6);
        for (int k = 0; k < flips; ++k) b[rng() % b.size()] = uint8_t(rng());
        size_t avail = rng() % 4 == 0 ? rng() % (b.size() + 1) : b.size();
        parse(b, m, avail);
        BOOST_TEST_REQUIRE(m.mmap_count <= Mb2Info::kMaxRegions);
        BOOST_TEST_REQUIRE(m.module_count <= Mb2Info::kMaxModules);
        if (m.cmdline) BOOST_TEST_REQUIRE(std::strlen(m.cmdline) < b.size());
    }
}

BOOST_AUTO_TEST_SUITE_END()
