/// @file cpuid_dump.cpp
/// The CPUID recorder that tools/record-cpuid --boot boots: what a CPU of a
/// qemu-system -smp shape reports, which QEMU's user mode (one CPU) cannot show.
#include "cpu.h"
#include "cpuidwalk.h"
#include "cpumask.h"
#include "ipi.h"
#include "ktest.h"
#include "log.h"
#include "x86.h"

namespace {

/// One recorded answer, in the format of tests/data/cpuid/.
struct DumpLine {
    uint32_t v[6];
};
DumpLine dump[320];
uint32_t ndump;

void query(uint32_t leaf, uint32_t sub, uint32_t r[4], void*) { cpuid(leaf, sub, r); }
void put(uint32_t leaf, uint32_t sub, const uint32_t r[4], void*) {
    if (ndump < array_size(dump)) dump[ndump++] = DumpLine{{leaf, sub, r[0], r[1], r[2], r[3]}};
}
void walk_here(void*) { cpuidwalk(query, put, nullptr); }

}  // namespace

/// tools/record-cpuid --boot: the CPUID of the online CPU with the highest
/// kernel id (its APIC id is not 0, so its ids say something), walked on
/// that CPU with the same rules as tools/cpuid-dump.c, printed for the tool.
KTEST(cpuid_dump, -1, "print the last online CPU's CPUID leaves for tools/record-cpuid (by name)") {
    uint32_t last = 0;
    for_each_cpu(k, cpu_online_mask) last = k;
    if (!has_cpuid()) {
        ktest_detail("no CPUID instruction");
        return false;
    }
    ndump = 0;
    ipi_call_one(last, walk_here, nullptr, true);
    log_info("cpuid-dump: cpu %u apic %u", last, cpus[last].apic_id);
    for (uint32_t i = 0; i < ndump; ++i)
        log_info("cpuid-dump: %08x %08x %08x %08x %08x %08x", dump[i].v[0], dump[i].v[1], dump[i].v[2],
                 dump[i].v[3], dump[i].v[4], dump[i].v[5]);
    ktest_detail("%u lines of cpu %u%s", ndump, last, ndump == array_size(dump) ? ", cut short" : "");
    return ndump < array_size(dump);
}
