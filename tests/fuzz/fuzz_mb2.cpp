// libFuzzer target for the Multiboot2 information parser (multiboot2.cpp).
//
// The input is the information block as GRUB would leave it (copied to an
// 8-byte aligned buffer). Oracles: every string and RSDP the parser hands
// out lies inside the block and is NUL-terminated there; the counts stay
// within their capacities. Seeds: tests/fuzz/make-seeds (a few GRUB-like blocks).
#include <cstdlib>
#include <memory>
#include "fuzz_log.h"
#include "fuzz_oracles.h"
#include "multiboot2.h"

namespace {
bool inside(const void* p, size_t n, const uint8_t* base, size_t size) {
    auto b = reinterpret_cast<const uint8_t*>(p);
    return b >= base && n <= size && b - base <= (ptrdiff_t)(size - n);
}
void string_inside(const char* s, const uint8_t* base, size_t size, const char* what) {
    if (!s) return;
    ORACLE(inside(s, 1, base, size), "%s points outside the information", what);
    ORACLE(std::memchr(s, 0, size - (reinterpret_cast<const uint8_t*>(s) - base)) != nullptr,
           "%s has no NUL inside the information", what);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static auto info = std::make_unique<Mb2Info>();
    size_t cap = (size + 7) & ~size_t(7);
    auto* buf = static_cast<uint8_t*>(std::aligned_alloc(8, cap ? cap : 8));
    std::memcpy(buf, data, size);
    *info = Mb2Info{};
    if (mb2_parse(buf, size, *info)) {
        ORACLE(info->total_size <= size, "total_size %u beyond the %zu bytes given", info->total_size, size);
        string_inside(info->cmdline, buf, size, "cmdline");
        string_inside(info->loader_name, buf, size, "loader_name");
        ORACLE(info->mmap_count <= Mb2Info::kMaxRegions, "%zu regions", info->mmap_count);
        ORACLE(info->module_count <= Mb2Info::kMaxModules, "%zu modules", info->module_count);
        for (size_t i = 0; i < info->module_count; ++i) string_inside(info->modules[i].cmdline, buf, size, "module");
        if (info->rsdp_old) ORACLE(info->rsdp_old_len >= 20 && inside(info->rsdp_old, info->rsdp_old_len, buf, size), "old RSDP");
        if (info->rsdp_new) ORACLE(info->rsdp_new_len >= 36 && inside(info->rsdp_new, info->rsdp_new_len, buf, size), "new RSDP");
        if (info->elf_sections)
            ORACLE(inside(info->elf_sections, size_t(info->elf_num) * info->elf_entsize, buf, size),
                   "%u ELF section headers of %u bytes run outside the information", info->elf_num, info->elf_entsize);
    }
    std::free(buf);
    return 0;
}
