// The user-program ELF checks (src/elf.cpp) on hand-made files: a good static
// executable of each class, then one broken field at a time, each of which
// must be refused with one warning that names it.
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <functional>
#include <string>
#include <vector>
#include "elf.h"
#include "host_log.h"

namespace {
constexpr uint64_t kLo = 0x400000, kHi = 0x800000000000ull;  // amd64 user space for the tests
constexpr ElfTarget k64{true, kLo, kHi};
constexpr ElfTarget k32{false, kLo, 0xC0000000u};

void put(std::vector<uint8_t>& f, size_t at, uint64_t v, size_t n) { std::memcpy(f.data() + at, &v, n); }

/// Field offsets of one class (System V ABI), for the tests' own writes.
struct Off {
    bool wide;
    size_t ehsize, phentsize, shentsize, entry, phoff, shoff, flags, f_ehsize, f_phentsize, f_phnum, f_shentsize,
        f_shnum, f_shstrndx, p_flags, p_offset, p_vaddr, p_filesz, p_memsz, p_align;
    size_t word() const { return wide ? 8 : 4; }
};
constexpr Off o64{true, 64, 56, 64, 24, 32, 40, 48, 52, 54, 56, 58, 60, 62, 4, 8, 16, 32, 40, 48};
constexpr Off o32{false, 52, 32, 40, 24, 28, 32, 36, 40, 42, 44, 46, 48, 50, 24, 4, 8, 16, 20, 28};

/// A static executable: text (R-X) at 0x401000 from file offset 0x1000,
/// 0x200 bytes; data (RW-) at 0x402000 from 0x2000, 0x100 bytes in the file and
/// 0x1100 in memory (bss); PT_GNU_STACK without X; entry 0x401010.
struct Elf {
    Off o;
    std::vector<uint8_t> f;
    explicit Elf(const Off& off) : o(off), f(0x2100, 0) {
        f[0] = 0x7F, f[1] = 'E', f[2] = 'L', f[3] = 'F';
        f[4] = o.wide ? 2 : 1, f[5] = 1, f[6] = 1;
        put(f, 16, 2, 2);                       // ET_EXEC
        put(f, 18, o.wide ? 62 : 3, 2);         // EM_X86_64 / EM_386
        put(f, 20, 1, 4);                       // EV_CURRENT
        put(f, o.entry, 0x401010, o.word());
        put(f, o.phoff, o.ehsize, o.word());
        put(f, o.f_ehsize, o.ehsize, 2);
        put(f, o.f_phentsize, o.phentsize, 2);
        put(f, o.f_phnum, 3, 2);
        put(f, o.f_shentsize, o.shentsize, 2);
        phdr(0, 1, 5, 0x1000, 0x401000, 0x200, 0x200, 0x1000);
        phdr(1, 1, 6, 0x2000, 0x402000, 0x100, 0x1100, 0x1000);
        phdr(2, 0x6474E551, 6, 0, 0, 0, 0, 16);
    }
    size_t ph(uint32_t i) const { return o.ehsize + i * o.phentsize; }
    void phdr(uint32_t i, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr, uint64_t filesz, uint64_t memsz,
              uint64_t align) {
        size_t b = ph(i);
        put(f, b, type, 4);
        put(f, b + o.p_flags, flags, 4);
        put(f, b + o.p_offset, off, o.word());
        put(f, b + o.p_vaddr, vaddr, o.word());
        put(f, b + o.p_vaddr + o.word(), vaddr, o.word());  // p_paddr follows p_vaddr in both classes
        put(f, b + o.p_filesz, filesz, o.word());
        put(f, b + o.p_memsz, memsz, o.word());
        put(f, b + o.p_align, align, o.word());
    }
};

bool check(const std::vector<uint8_t>& f, const ElfTarget& t, ElfImage* img) {
    return elf_check(f.data(), f.size(), t, "test", img);
}

/// Each case breaks one thing in a good file; the check must refuse it with
/// exactly one warning containing @ref needle.
struct Bad {
    const char* what;
    std::function<void(Elf&)> bre;
    const char* needle;
};

std::vector<Bad> bad_cases() {
    return {
        {"magic", [](Elf& e) { e.f[1] = 'X'; }, "no ELF magic"},
        {"class", [](Elf& e) { e.f[4] = e.o.wide ? 1 : 2; }, "EI_CLASS"},
        {"big endian", [](Elf& e) { e.f[5] = 2; }, "EI_DATA"},
        {"ident version", [](Elf& e) { e.f[6] = 0; }, "EI_VERSION"},
        {"os abi", [](Elf& e) { e.f[7] = 9; }, "EI_OSABI"},
        {"abi version", [](Elf& e) { e.f[8] = 1; }, "EI_ABIVERSION"},
        {"padding", [](Elf& e) { e.f[12] = 1; }, "EI_PAD"},
        {"shared object", [](Elf& e) { put(e.f, 16, 3, 2); }, "e_type"},
        {"machine", [](Elf& e) { put(e.f, 18, 40, 2); }, "e_machine"},
        {"version", [](Elf& e) { put(e.f, 20, 2, 4); }, "e_version"},
        {"flags", [](Elf& e) { put(e.f, e.o.flags, 1, 4); }, "e_flags"},
        {"ehsize", [](Elf& e) { put(e.f, e.o.f_ehsize, e.o.ehsize + 4, 2); }, "e_ehsize"},
        {"phentsize", [](Elf& e) { put(e.f, e.o.f_phentsize, 32 + 56 - e.o.phentsize, 2); }, "e_phentsize"},
        {"no phdrs", [](Elf& e) { put(e.f, e.o.f_phnum, 0, 2); }, "no program headers"},
        {"pn_xnum", [](Elf& e) { put(e.f, e.o.f_phnum, 0xFFFF, 2); }, "PN_XNUM"},
        {"phdrs past the end", [](Elf& e) { put(e.f, e.o.phoff, e.f.size() - 8, e.o.word()); }, "program headers outside"},
        {"phoff wraps", [](Elf& e) { put(e.f, e.o.phoff, ~0ull, e.o.word()); }, "program headers outside"},
        {"shoff without sections", [](Elf& e) { put(e.f, e.o.shoff, 0x100, e.o.word()); }, "e_shoff set with no sections"},
        {"sections past the end", [](Elf& e) { put(e.f, e.o.f_shnum, 4, 2); put(e.f, e.o.shoff, e.f.size() - 8, e.o.word()); },
         "section headers outside"},
        {"shentsize", [](Elf& e) { put(e.f, e.o.f_shnum, 1, 2); put(e.f, e.o.shoff, 0x100, e.o.word());
                                   put(e.f, e.o.f_shentsize, 12, 2); }, "e_shentsize"},
        {"shstrndx", [](Elf& e) { put(e.f, e.o.f_shstrndx, 3, 2); }, "e_shstrndx"},
        {"interp", [](Elf& e) { put(e.f, e.ph(2), 3, 4); }, "PT_INTERP"},
        {"dynamic", [](Elf& e) { put(e.f, e.ph(2), 2, 4); }, "PT_DYNAMIC"},
        {"shlib", [](Elf& e) { put(e.f, e.ph(2), 5, 4); }, "PT_SHLIB"},
        {"tls", [](Elf& e) { put(e.f, e.ph(2), 7, 4); }, "PT_TLS"},
        {"unknown type", [](Elf& e) { put(e.f, e.ph(2), 0x100, 4); }, "unknown program header type"},
        {"exec stack", [](Elf& e) { put(e.f, e.ph(2) + e.o.p_flags, 7, 4); }, "executable stack"},
        {"flag bits", [](Elf& e) { put(e.f, e.ph(0) + e.o.p_flags, 0x15, 4); }, "unknown p_flags"},
        {"w+x", [](Elf& e) { put(e.f, e.ph(0) + e.o.p_flags, 7, 4); }, "both writable and executable"},
        {"filesz > memsz", [](Elf& e) { put(e.f, e.ph(1) + e.o.p_filesz, 0x2000, e.o.word()); }, "p_filesz exceeds"},
        {"bytes past the end", [](Elf& e) { put(e.f, e.ph(1) + e.o.p_offset, 0x2080, e.o.word());
                                            put(e.f, e.ph(1) + e.o.p_vaddr, 0x402080, e.o.word()); }, "bytes outside the file"},
        {"offset wraps", [](Elf& e) { put(e.f, e.ph(1) + e.o.p_offset, e.o.wide ? ~0ull - 0x10 : 0xFFFFFFF0u, e.o.word()); },
         "bytes outside the file"},
        {"align not a power of two", [](Elf& e) { put(e.f, e.ph(0) + e.o.p_align, 0x1800, e.o.word()); }, "power of two"},
        {"vaddr and offset disagree", [](Elf& e) { put(e.f, e.ph(1) + e.o.p_vaddr, 0x402010, e.o.word()); },
         "disagree modulo p_align"},
        {"below user space", [](Elf& e) { put(e.f, e.ph(0) + e.o.p_vaddr, 0x1000, e.o.word()); }, "outside user space"},
        {"into the kernel", [](Elf& e) { put(e.f, e.ph(1) + e.o.p_memsz, e.o.wide ? kHi : 0xC0000000u, e.o.word()); },
         "outside user space"},
        {"memsz wraps", [](Elf& e) { put(e.f, e.ph(1) + e.o.p_memsz, e.o.wide ? ~0ull : 0xFFFFFFFFu, e.o.word()); },
         "outside user space"},
        {"shared page", [](Elf& e) { put(e.f, e.ph(1) + e.o.p_vaddr, 0x401000 + 0x1000 - 0x1000, e.o.word()); },
         "shares a page"},
        {"out of order", [](Elf& e) { put(e.f, e.ph(1) + e.o.p_vaddr, 0x400000, e.o.word()); }, "shares a page"},
        {"no load", [](Elf& e) { put(e.f, e.ph(0), 4, 4); put(e.f, e.ph(1), 4, 4); }, "no PT_LOAD"},
        {"entry in data", [](Elf& e) { put(e.f, e.o.entry, 0x402010, e.o.word()); }, "e_entry is in no executable"},
        {"entry past text", [](Elf& e) { put(e.f, e.o.entry, 0x401200, e.o.word()); }, "e_entry is in no executable"},
    };
}

void run_bad(const Off& o, const ElfTarget& t) {
    for (const Bad& b : bad_cases()) {
        Elf e(o);
        b.bre(e);
        clear_log();
        ElfImage img;
        bool ok = check(e.f, t, &img);
        BOOST_TEST(!ok, (o.wide ? "elf64 " : "elf32 ") << b.what << ": accepted");
        BOOST_TEST(log_count("WARN: ") == 1u, b.what);
        BOOST_TEST(log_contains(b.needle), b.what << ": no warning with '" << b.needle << "'");
    }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(elf)

BOOST_AUTO_TEST_CASE(good_static_executables) {
    for (bool wide : {true, false}) {
        Elf e(wide ? o64 : o32);
        clear_log();
        ElfImage img;
        BOOST_TEST(check(e.f, wide ? k64 : k32, &img));
        BOOST_TEST(log_count("WARN: ") == 0u);
        BOOST_TEST(img.entry == 0x401010u);
        BOOST_TEST(img.nsegments == 2u);
        BOOST_TEST(img.segments[0].vaddr == 0x401000u);
        BOOST_TEST(img.segments[0].exec);
        BOOST_TEST(!img.segments[0].write);
        BOOST_TEST(img.segments[1].memsz == 0x1100u);
        BOOST_TEST(img.segments[1].filesz == 0x100u);
        BOOST_TEST(img.segments[1].write);
    }
}

BOOST_AUTO_TEST_CASE(each_bad_field_refused_elf64) { run_bad(o64, k64); }
BOOST_AUTO_TEST_CASE(each_bad_field_refused_elf32) { run_bad(o32, k32); }

BOOST_AUTO_TEST_CASE(the_other_arch_refused) {
    Elf e(o32);
    ElfImage img;
    clear_log();
    BOOST_TEST(!check(e.f, k64, &img));  // an i686 program on the amd64 kernel
    BOOST_TEST(log_contains("EI_CLASS"));
}

BOOST_AUTO_TEST_CASE(every_short_prefix_refused) {
    // No prefix of a good file shorter than its last byte in use may pass or
    // read past its end (run under the sanitizers in the host build).
    Elf e(o64);
    for (size_t n = 0; n < e.f.size(); n += 7) {
        std::vector<uint8_t> cut(e.f.begin(), e.f.begin() + n);
        ElfImage img;
        clear_log();
        BOOST_TEST(!check(cut, k64, &img), "prefix of " << n << " bytes accepted");
    }
}

BOOST_AUTO_TEST_CASE(zero_size_segments_take_no_room) {
    Elf e(o64);
    e.phdr(2, 1, 4, 0x2000, 0x402000, 0, 0, 0x1000);  // an empty PT_LOAD where data is: occupies nothing
    ElfImage img;
    clear_log();
    BOOST_TEST(check(e.f, k64, &img));
    BOOST_TEST(img.nsegments == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
