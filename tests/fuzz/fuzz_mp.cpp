// libFuzzer target for the MP path: floating pointer, configuration table
// and the policy on its result.
//
// The first input byte chooses a pass (pass_of()), the rest is the input:
//
//  - discover (one input in 16): the input is physical memory at 0xF0000,
//    where the floating pointer search ends (MP spec 1.4 4.1), so the
//    pointer's table address is 0xF0000 plus an offset into the input;
//  - raw: the input handed to mp_parse_config() as a table, and its first
//    byte to mp_default_config();
//  - wrapped: the input in a valid PCMP header (checksum fixed) so that the
//    entry walk is reached, the count of processor entries checked against
//    an independent walk.
//
// The search reads 4096 places of the BIOS area whether or not a pointer is
// there; run for every input, it was half of the target's time, so it gets
// the inputs that ask for it. Seeds (tests/fuzz/make-seeds) carry the byte
// of their pass.
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

FUZZ_HARNESS uint8_t byte_sum(const std::vector<uint8_t>& m) {
    uint8_t s = 0;
    for (uint8_t b : m) s = uint8_t(s + b);
    return s;
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
    m[7] = uint8_t(-byte_sum(m));
    memset(mp, 0, sizeof *mp);
    ORACLE(mp_parse_config(m.data(), m.size(), mp), "a valid PCMP table was refused");
    uint32_t want = walk_mp(m.data(), base, count);
    ORACLE(mp->cpu_entries == want, "the parser counted %u processor entries, the walk %u", mp->cpu_entries, want);
    ORACLE(mp->ncpus <= mp->cpu_entries && mp->ncpus <= COHORT_MAX_CPUS, "%u kept of %u", mp->ncpus, mp->cpu_entries);
    cpu_table_build(table, nullptr, mp, false, CPU_LIMIT_NONE, size > 2 ? data[2] : 0, 0);
    check_cpu_table(*table);
}

enum class Pass { Discover, Raw, Wrapped };
Pass pass_of(uint8_t b) { return b % 16 == 0 ? Pass::Discover : b % 2 ? Pass::Wrapped : Pass::Raw; }  // make-seeds: 0, 2, 1
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t input_size) {
    static auto mp = std::make_unique<MpInfo>();
    static auto table = std::make_unique<CpuTable>();
    if (input_size == 0) return 0;
    const Pass pass = pass_of(input[0]);
    const uint8_t* data = input + 1;
    const size_t size = input_size - 1;

    switch (pass) {
    case Pass::Discover: {
        static Region rom(0x10000);  // the BIOS area the floating pointer is looked for in, whole
        PhysWindow bios{0xF0000, rom.hold(data, size), rom.bytes.size()};
        mp_discover(physmem_window(&bios), mp.get());
        cpu_table_build(table.get(), nullptr, mp.get(), true, CPU_LIMIT_NONE, 0, size);
        check_cpu_table(*table);
        cpu_table_log(*table);
        break;
    }
    case Pass::Raw:
        memset(mp.get(), 0, sizeof *mp);
        mp_parse_config(data, size, mp.get());
        cpu_table_build(table.get(), nullptr, mp.get(), false, 3, size > 1 ? data[1] : 0, 0);
        check_cpu_table(*table);
        cpu_table_log(*table);
        for (uint32_t i = 0; i < table->count; ++i) (void)cpu_table_kernel_id(*table, table->cpus[i].apic_id);
        if (size > 0) mp_default_config(data[0], mp.get());
        break;
    case Pass::Wrapped:
        wrapped(data, size, mp.get(), table.get());
        break;
    }
    return 0;
}
