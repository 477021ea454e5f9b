// libFuzzer target for the MP path: floating pointer, configuration table
// and the policy on its result.
//
// The input is physical memory at 0xF0000, where the floating pointer search
// ends (MP spec 1.4 4.1), so the pointer's table address is 0xF0000 plus an
// offset into the input; then the input is handed to mp_parse_config() as a
// table. Seeds: tests/fuzz/make-seeds. A last pass wraps the input in a
// valid PCMP header (checksum fixed) so that the entry walk is reached, and
// checks the count of processor entries against an independent walk.
#include <memory>
#include <vector>
#include "cputable.h"
#include "fuzz_log.h"
#include "fuzz_oracles.h"
#include "fuzz_region.h"
#include "kstring.h"
#include "mp.h"

namespace {
/// Processor entries an independent walk finds in @p count entries after the header.
uint32_t walk_mp(const uint8_t* t, size_t base_len, uint32_t count) {
    uint32_t cpus = 0;
    size_t off = 44;
    for (uint32_t i = 0; i < count && off < base_len; ++i) {
        uint8_t type = t[off];
        size_t n = type == 0 ? 20 : type <= 4 ? 8 : 0;
        if (n == 0 || n > base_len - off) break;
        cpus += type == 0;
        off += n;
    }
    return cpus;
}

void wrapped(const uint8_t* data, size_t size, MpInfo* mp, CpuTable* table) {
    if (size < 2 || size > 60000) return;
    size_t body = size - 2;
    std::vector<uint8_t> m(44 + body, 0);
    std::memcpy(&m[0], "PCMP", 4);
    uint16_t base = uint16_t(44 + body), count = uint16_t(data[0] | (data[1] << 8));
    std::memcpy(&m[4], &base, 2);
    m[6] = 4;
    std::memcpy(&m[34], &count, 2);
    uint32_t lapic = 0xFEE00000u;
    std::memcpy(&m[36], &lapic, 4);
    std::memcpy(&m[44], data + 2, body);
    uint8_t s = 0;
    for (uint8_t b : m) s = uint8_t(s + b);
    m[7] = uint8_t(-s);
    memset(mp, 0, sizeof *mp);
    ORACLE(mp_parse_config(m.data(), m.size(), mp), "a valid PCMP table was refused");
    uint32_t want = walk_mp(m.data(), base, count);
    ORACLE(mp->cpu_entries == want, "the parser counted %u processor entries, the walk %u", mp->cpu_entries, want);
    ORACLE(mp->ncpus <= mp->cpu_entries && mp->ncpus <= COHORT_MAX_CPUS, "%u kept of %u", mp->ncpus, mp->cpu_entries);
    cpu_table_build(table, nullptr, mp, false, CPU_LIMIT_NONE, size > 2 ? data[2] : 0, 0);
    check_cpu_table(*table);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static auto mp = std::make_unique<MpInfo>();
    static auto table = std::make_unique<CpuTable>();

    static Region rom(0x10000);  // the BIOS area the floating pointer is looked for in, whole
    PhysWindow bios{0xF0000, rom.hold(data, size), rom.bytes.size()};
    mp_discover(physmem_window(&bios), mp.get());
    cpu_table_build(table.get(), nullptr, mp.get(), true, CPU_LIMIT_NONE, 0, size);
    check_cpu_table(*table);
    cpu_table_log(*table);

    memset(mp.get(), 0, sizeof *mp);
    mp_parse_config(data, size, mp.get());
    cpu_table_build(table.get(), nullptr, mp.get(), false, 3, size > 1 ? data[1] : 0, 0);
    check_cpu_table(*table);
    cpu_table_log(*table);
    for (uint32_t i = 0; i < table->count; ++i) (void)cpu_table_kernel_id(*table, table->cpus[i].apic_id);

    if (size > 0) mp_default_config(data[0], mp.get());
    wrapped(data, size, mp.get(), table.get());
    return 0;
}
