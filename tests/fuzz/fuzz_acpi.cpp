// libFuzzer target for the ACPI path: RSDP, RSDT/XSDT, MADT and the policy;
// the SRAT and SLIT and the NUMA node policy (numa()).
//
// The first input byte chooses a pass (pass_of()), the rest is the input:
//
//  - tags (the kernel's usual path): the input is physical memory at address
//    0 (in a MiB of zeros) and also the boot loader's RSDP tags, so table
//    pointers are offsets into the input;
//  - scan (one input in 16): the input at 0 and at 0xE0000, with no tags
//    or tags that fail, so acpi_discover() scans the EBDA and the BIOS area
//    for the RSDP (ACPI 6.5 5.2.5.1);
//  - raw: the input handed to acpi_parse_rsdp(), fadt_parse() and
//    madt_parse() as a table;
//  - wrapped: most random inputs fail a checksum at once, so this pass wraps
//    the input in a valid RSDP, XSDT and MADT header, checksums fixed, and
//    takes the whole acpi_discover() path to the entries; then the input as
//    an SRAT and a SLIT, raw and wrapped, and the node policy.
//
// The scan reads 8192 places of the BIOS area whether or not the RSDP is
// there; run for every input, it was most of the target's time, so it gets
// the inputs that ask for it. Seeds (tests/fuzz/make-seeds) carry the byte
// of their pass. The oracles (fuzz_oracles.h) check the MADT counts against
// an independent walk and the CPU table's consistency.
#include <memory>
#include <vector>
#include "acpi.h"
#include "cputable.h"
#include "fadt.h"
#include "fuzz_log.h"
#include "fuzz_oracles.h"
#include "fuzz_region.h"
#include "numa.h"
#include "srat.h"

namespace {
void put32(std::vector<uint8_t>& m, size_t at, uint32_t v) { std::memcpy(&m[at], &v, 4); }
void put64(std::vector<uint8_t>& m, size_t at, uint64_t v) { std::memcpy(&m[at], &v, 8); }
FUZZ_HARNESS void fix_sum(std::vector<uint8_t>& m, size_t at, size_t len, size_t sum_at) {
    m[sum_at] = 0;
    uint8_t s = 0;
    for (size_t i = 0; i < len; ++i) s = uint8_t(s + m[at + i]);
    m[sum_at] = uint8_t(-s);
}
void header(std::vector<uint8_t>& m, size_t at, const char* sig, uint32_t len, uint8_t rev) {
    std::memcpy(&m[at], sig, 4);
    put32(m, at + 4, len);
    m[at + 8] = rev;
    std::memcpy(&m[at + 10], "COHORT", 6);
}

/// RSDP at 0 (36 bytes), XSDT at 64 (one entry), MADT at 128: its flags and
/// entries are the input, its length, revision and checksum made valid.
void wrapped(const uint8_t* data, size_t size, MadtInfo* madt, CpuTable* table) {
    size_t body = size > 2 ? size - 2 : 0;  // the first two bytes pick the revision and the BSP
    std::vector<uint8_t> m(128 + 44 + body, 0);
    std::memcpy(&m[0], "RSD PTR ", 8);
    std::memcpy(&m[9], "COHORT", 6);
    m[15] = 2;
    put32(m, 20, 36);
    put64(m, 24, 64);
    fix_sum(m, 0, 20, 8);
    fix_sum(m, 0, 36, 32);
    header(m, 64, "XSDT", 44, 1);
    put64(m, 64 + 36, 128);
    fix_sum(m, 64, 44, 64 + 9);
    header(m, 128, "APIC", uint32_t(44 + body), size > 0 ? data[0] % 8 : 3);
    put32(m, 128 + 36, 0xFEE00000u);
    if (body) std::memcpy(&m[128 + 40], data + 2, body);  // flags, then the entries
    fix_sum(m, 128, 44 + body, 128 + 9);
    PhysWindow mem{0, m.data(), m.size()};
    AcpiRsdpTags tags;
    tags.v2 = m.data();
    tags.v2_len = 36;
    acpi_discover(physmem_window(&mem), tags, madt);
    ORACLE(madt->found, "a valid MADT was not found");
    check_madt(*madt, &m[128], 44 + body);
    uint32_t bsp = size > 1 ? data[1] : 0;
    cpu_table_build(table, madt, nullptr, false, CPU_LIMIT_NONE, bsp, 0);
    check_cpu_table(*table);
}
/// The input as an SRAT and as a SLIT, raw; then wrapped in valid headers
/// (an SRAT's entries; a SLIT's count byte and matrix), so the entry walk
/// and the matrix checks are reached; then the node policy on the results.
void numa(const uint8_t* data, size_t size, const CpuTable& table) {
    static auto srat = std::make_unique<SratInfo>();
    static auto slit = std::make_unique<SlitInfo>();
    static auto nodes = std::make_unique<NumaInfo>();
    srat_parse(data, size, srat.get());
    check_srat(*srat, data, srat->found ? load_le32(data + 4) : 0);
    slit_parse(data, size, slit.get());

    std::vector<uint8_t> t(48 + size, 0);
    header(t, 0, "SRAT", uint32_t(t.size()), 3);
    if (size) std::memcpy(&t[48], data, size);
    fix_sum(t, 0, t.size(), 9);
    srat_parse(t.data(), t.size(), srat.get());
    check_srat(*srat, t.data(), uint32_t(t.size()));

    size_t matrix = size > 1 ? size - 1 : 0;
    std::vector<uint8_t> l(44 + matrix, 0);
    header(l, 0, "SLIT", uint32_t(l.size()), 1);
    put64(l, 36, size ? data[0] % (MAX_NUMA_NODES + 2) : 0);  // 17 too: one more than kept
    if (matrix) std::memcpy(&l[44], data + 1, matrix);
    fix_sum(l, 0, l.size(), 9);
    slit_parse(l.data(), l.size(), slit.get());
    ORACLE(!slit->found || (slit->n >= 1 && slit->n <= MAX_NUMA_NODES), "%u localities", slit->n);

    numa_build(nodes.get(), srat.get(), slit.get(), table);
    check_numa(*nodes, table);
    numa_log(*nodes, table);
    numa_build(nodes.get(), nullptr, nullptr, table);
    check_numa(*nodes, table);
}

enum class Pass { Scan, Tags, Raw, Wrapped };
Pass pass_of(uint8_t b) { return b % 16 == 0 ? Pass::Scan : Pass(1 + b % 3); }  // make-seeds: 0, 3, 1, 2

/// The input as both RSDP tags of the Multiboot2 information (v2 whole, v1 its first 20 bytes).
AcpiRsdpTags input_tags(const uint8_t* data, size_t size) {
    AcpiRsdpTags tags;
    tags.v2 = data;
    tags.v2_len = size;
    tags.v1 = data;
    tags.v1_len = size < 20 ? size : 20;
    return tags;
}

/// The input at 0 in the first MiB, as memory and as the RSDP tags (which
/// parse: the caller checked); the CPU table built from what acpi_discover() found.
void low_memory(const uint8_t* data, size_t size, MadtInfo* madt, CpuTable* table) {
    static Region first_mib(0x100000);
    PhysWindow low{0, first_mib.hold(data, size), first_mib.bytes.size()};
    acpi_discover(physmem_window(&low), input_tags(data, size), madt);
    cpu_table_build(table, madt, nullptr, false, CPU_LIMIT_NONE, 0, 0);
    check_cpu_table(*table);
    cpu_table_log(*table);
    for (uint32_t i = 0; i < table->count; ++i) (void)cpu_table_kernel_id(*table, table->cpus[i].apic_id);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t input_size) {
    static auto madt = std::make_unique<MadtInfo>();
    static auto table = std::make_unique<CpuTable>();
    if (input_size == 0) return 0;
    const Pass pass = pass_of(input[0]);
    const uint8_t* data = input + 1;
    const size_t size = input_size - 1;

    switch (pass) {
    case Pass::Tags: {
        // A tag that fails would make acpi_discover() scan: the scan pass's work.
        Rsdp r;
        if (acpi_parse_rsdp(data, size, &r, true) || acpi_parse_rsdp(data, size < 20 ? size : 20, &r, true))
            low_memory(data, size, madt.get(), table.get());
        break;
    }
    case Pass::Scan: {
        // The input at 0 (the EBDA pointer at 0x40E is its bytes) and again
        // at 0xE0000, in a MiB of zeros; with bit 4 of the pass byte, also
        // as the tags. No tag, or one that fails, makes acpi_discover() scan
        // the EBDA and the BIOS area, each mapped once (as in the kernel).
        static Region first_mib(0x100000);
        PhysWindow low{0, first_mib.hold2(data, size, 0xE0000), first_mib.bytes.size()};
        acpi_discover(physmem_window(&low), input[0] & 0x10 ? input_tags(data, size) : AcpiRsdpTags{}, madt.get());
        cpu_table_build(table.get(), madt.get(), nullptr, false, CPU_LIMIT_NONE, 0, 0);
        check_cpu_table(*table);
        cpu_table_log(*table);
        break;
    }
    case Pass::Raw: {
        Rsdp rsdp{};
        acpi_parse_rsdp(data, size, &rsdp);
        FadtInfo fadt;
        fadt_parse(data, size, &fadt);
        ORACLE(fadt.pm_timer <= 0xFFFC, "PM timer port 0x%x is not an I/O port", fadt.pm_timer);
        // An SCI is all or nothing: usable blocks inside the I/O space, or zeros.
        if (fadt.sci)
            ORACLE(fadt.pm1a_evt != 0 && fadt.pm1a_cnt != 0 && fadt.pm1_evt_len >= 4 && !(fadt.pm1_evt_len & 1) &&
                       fadt.pm1a_evt + fadt.pm1_evt_len - 1u <= 0xFFFFu,
                   "SCI blocks evt 0x%x (%u bytes) cnt 0x%x", fadt.pm1a_evt, fadt.pm1_evt_len, fadt.pm1a_cnt);
        else
            ORACLE(fadt.pm1a_evt == 0 && fadt.pm1a_cnt == 0 && fadt.smi_cmd == 0, "no SCI, yet blocks kept");
        madt_parse(data, size, madt.get());
        check_madt(*madt, data, size);
        cpu_table_build(table.get(), madt.get(), nullptr, false, 2, size > 0 ? data[0] : 0, 0);
        check_cpu_table(*table);
        cpu_table_log(*table);
        break;
    }
    case Pass::Wrapped:
        wrapped(data, size, madt.get(), table.get());
        numa(data, size, *table);
        break;
    }
    return 0;
}
