// libFuzzer target for the MP path: floating pointer, configuration table
// and the policy on its result.
//
// The input is physical memory at 0xF0000, where the floating pointer search
// ends (MP spec 1.4 4.1), so the pointer's table address is 0xF0000 plus an
// offset into the input; then the input is handed to mp_parse_config() as a
// table. Seeds: tests/fuzz/make-seeds.
#include <memory>
#include "cputable.h"
#include "fuzz_log.h"
#include "kstring.h"
#include "mp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static auto mp = std::make_unique<MpInfo>();
    static auto table = std::make_unique<CpuTable>();

    PhysWindow bios{0xF0000, data, size};
    mp_discover(physmem_window(&bios), mp.get());
    cpu_table_build(table.get(), nullptr, mp.get(), true, CPU_LIMIT_NONE, 0, size);
    cpu_table_log(*table);

    memset(mp.get(), 0, sizeof *mp);
    mp_parse_config(data, size, mp.get());
    cpu_table_build(table.get(), nullptr, mp.get(), false, 3, size > 1 ? data[1] : 0, 0);
    cpu_table_log(*table);
    for (uint32_t i = 0; i < table->count; ++i) (void)cpu_table_kernel_id(*table, table->cpus[i].apic_id);

    if (size > 0) mp_default_config(data[0], mp.get());
    return 0;
}
