// libFuzzer target for the ACPI path: RSDP, RSDT/XSDT, MADT and the policy.
//
// The input is physical memory. First it sits at address 0 and also serves
// as the boot loader's RSDP tag, so table pointers are offsets into the
// input; then it sits at 0xE0000, where the BIOS scan looks; last, the
// input is handed to madt_parse() as a table. Seeds: tests/fuzz/make-seeds.
#include <memory>
#include "acpi.h"
#include "cputable.h"
#include "fuzz_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static auto madt = std::make_unique<MadtInfo>();
    static auto table = std::make_unique<CpuTable>();

    Rsdp rsdp{};
    acpi_parse_rsdp(data, size, &rsdp);

    PhysWindow low{0, data, size};
    AcpiRsdpTags tags;
    tags.v2 = data;
    tags.v2_len = size;
    tags.v1 = data;
    tags.v1_len = size < 20 ? size : 20;
    acpi_discover(physmem_window(&low), tags, madt.get());
    cpu_table_build(table.get(), madt.get(), nullptr, false, CPU_LIMIT_NONE, 0, 0);
    cpu_table_log(*table);
    for (uint32_t i = 0; i < table->count; ++i) (void)cpu_table_kernel_id(*table, table->cpus[i].apic_id);

    PhysWindow bios{0xE0000, data, size};
    acpi_discover(physmem_window(&bios), AcpiRsdpTags{}, madt.get());

    madt_parse(data, size, madt.get());
    cpu_table_build(table.get(), madt.get(), nullptr, false, 2, size > 0 ? data[0] : 0, 0);
    cpu_table_log(*table);
    return 0;
}
