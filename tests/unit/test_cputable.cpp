// The discovery policy and the CPU table: recorded QEMU machines through the
// whole pipeline (RSDP -> MADT or MP -> table -> summary lines), and the
// policy's corner cases on hand-made parser results.
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <memory>
#include <sstream>
#include "acpi.h"
#include "cputable.h"
#include "host_log.h"
#include "mp.h"
#include "snapshot.h"
#include "test_data.h"

// Boost.Test prints both sides of a failed comparison.
std::ostream& operator<<(std::ostream& os, CpuSource s) { return os << cpu_source_name(s); }

namespace {

struct Run {
    std::unique_ptr<MadtInfo> madt = std::make_unique<MadtInfo>();
    std::unique_ptr<MpInfo> mp = std::make_unique<MpInfo>();
    std::unique_ptr<CpuTable> t = std::make_unique<CpuTable>();
    bool have_madt = false;
    bool have_mp = false;
    std::vector<std::string> summary;  // the lines cpu_table_log printed
};

/// What the kernel will do: ACPI (tag or scan), MP, the policy, the summary.
Run discover(const Snapshot& s, bool use_tag, bool acpi_off = false, uint32_t limit = CPU_LIMIT_NONE,
             uint32_t bsp = 0, uint32_t package_cpus = 0) {
    Run r;
    AcpiRsdpTags tags;
    std::vector<uint8_t> tag;
    if (use_tag) {
        const uint8_t* p = s.mem().map(s.rsdp, 36);
        size_t n = p ? 36 : 20;
        if (!p) p = s.mem().map(s.rsdp, 20);
        BOOST_REQUIRE(p != nullptr);
        tag.assign(p, p + n);
        tags.v2 = tag.data();
        tags.v2_len = tag.size();
    }
    r.have_madt = acpi_discover(s.mem(), tags, r.madt.get());
    r.have_mp = mp_discover(s.mem(), r.mp.get());
    cpu_table_build(r.t.get(), r.madt.get(), r.mp.get(), acpi_off, limit, bsp, package_cpus);
    size_t before = captured_log().size();
    cpu_table_log(*r.t);
    r.summary.assign(captured_log().begin() + long(before), captured_log().end());
    return r;
}

std::string path(const std::string& name, const char* ext) {
    return std::string(test_data_dir()) + "/tables/" + name + ext;
}

/// The summary lines an .expect file implies for the default boot (BSP apic
/// 0, no maxcpus=), from its madt-cpu (or mp-cpu) and ioapic lines.
std::vector<std::string> expected_summary(const std::string& name, bool* acpi) {
    auto madt = expect_lines(path(name, ".expect"), "madt-cpu");
    auto mp = expect_lines(path(name, ".expect"), "mp-cpu");
    *acpi = !madt.empty();
    std::vector<std::string> usable, unusable, out;
    std::vector<unsigned> usable_ids;
    for (const std::string& l : *acpi ? madt : mp) {
        std::istringstream ls(l);
        std::string apic, en;
        ls >> apic >> en;
        if (en == "enabled") {
            usable.push_back("cpu " + std::to_string(usable.size()) + ": apic " + apic + " enabled " +
                             (apic == "0" ? "bsp" : "ap") + " will start");
            usable_ids.push_back(unsigned(std::stoul(apic)));
        } else {
            unusable.push_back("cpu -: apic " + apic + " disabled ap not usable");
        }
    }
    // Above 16 entries, runs of APs with consecutive APIC ids share a line
    // (kernel ids are consecutive by construction here: BSP 0, then in order).
    if (usable.size() + unusable.size() > 16 && unusable.empty()) {
        std::vector<std::string> runs{usable[0]};
        for (size_t i = 1; i < usable_ids.size();) {
            size_t j = i + 1;
            while (j < usable_ids.size() && usable_ids[j] == usable_ids[j - 1] + 1) ++j;
            if (j - i == 1)
                runs.push_back(usable[i]);
            else
                runs.push_back("cpus " + std::to_string(i) + "-" + std::to_string(j - 1) + ": apic " +
                               std::to_string(usable_ids[i]) + "-" + std::to_string(usable_ids[j - 1]) +
                               " enabled ap will start");
            i = j;
        }
        usable = runs;
    }
    out.push_back("cpus: found " + std::to_string(usable_ids.size()) + " (source=" + (*acpi ? "acpi" : "mp") + ")");
    out.push_back("cpus: starting " + std::to_string(usable_ids.size()) + " of " + std::to_string(usable_ids.size()));
    out.insert(out.end(), usable.begin(), usable.end());
    out.insert(out.end(), unusable.begin(), unusable.end());
    for (const std::string& l : expect_lines(path(name, ".expect"), "ioapic")) {
        std::istringstream ls(l);
        std::string id, addr, gsi;
        ls >> id >> addr >> gsi;
        out.push_back("ioapic " + id + ": addr " + addr + " gsi " + gsi);
    }
    if (*acpi) {
        for (const std::string& l : expect_lines(path(name, ".expect"), "override")) {
            std::istringstream ls(l);
            unsigned bus, irq, gsi, flags;
            ls >> bus >> irq >> gsi >> flags;
            out.push_back("override: irq " + std::to_string(irq) + " -> gsi " + std::to_string(gsi) +
                          ((flags & 3) == 3 ? " low" : " high") + (((flags >> 2) & 3) == 3 ? " level" : " edge"));
        }
    }
    return out;
}

/// Hand-made parser results.
std::unique_ptr<MadtInfo> madt_of(std::vector<std::pair<uint32_t, bool>> cpus) {
    auto m = std::make_unique<MadtInfo>();
    m->found = true;
    m->lapic_addr = LAPIC_DEFAULT_ADDR;
    for (auto [apic, en] : cpus) {
        m->cpus[m->ncpus] = MadtCpu{apic, m->ncpus, en, false, apic > 254};
        ++m->ncpus;
    }
    m->cpu_entries = m->ncpus;
    return m;
}
std::unique_ptr<MpInfo> mp_of(std::vector<uint8_t> apics) {
    auto m = std::make_unique<MpInfo>();
    m->found = true;
    for (uint8_t a : apics) m->cpus[m->ncpus++] = MpCpu{a, true, a == 0, 0};
    return m;
}

struct Fixture {
    Fixture() { clear_log(); }
    std::unique_ptr<CpuTable> t = std::make_unique<CpuTable>();
    std::vector<std::string> summary() {
        size_t before = captured_log().size();
        cpu_table_log(*t);
        return {captured_log().begin() + long(before), captured_log().end()};
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cputable)

BOOST_AUTO_TEST_CASE(recorded_machines) {
    // name, found through the BIOS scan (false: only through the boot loader's tag, as OVMF)
    const std::pair<const char*, bool> machines[] = {
        {"pc-smp4", true}, {"q35-smp8", true}, {"pc-smp6-s2c3", true}, {"pc-smp2-max4", true},
        {"pc-noacpi-smp4-s4", true}, {"pc-noacpi-smp4", true}, {"ovmf-smp4", false}, {"q35-x2apic-smp288", true}};
    for (auto [name, scan] : machines) {
        BOOST_TEST_CONTEXT(name) {
            clear_log();
            Snapshot s = Snapshot::load(path(name, ".snap"));
            Run r = discover(s, !scan);
            bool acpi = false;
            auto want = expected_summary(name, &acpi);
            if (!acpi) {  // .expect has no MP wiring; recorded_mp_only_machines checks it
                auto o = std::remove_if(r.summary.begin(), r.summary.end(),
                                        [](const std::string& l) { return l.rfind("override:", 0) == 0; });
                r.summary.erase(o, r.summary.end());
            }
            BOOST_TEST(r.summary == want, boost::test_tools::per_element());
            BOOST_TEST(r.have_madt == acpi);
            BOOST_TEST(expect_lines(path(name, ".expect"), "source") ==
                       std::vector<std::string>{cpu_source_name(r.t->source)}, boost::test_tools::per_element());
            BOOST_TEST(expect_lines(path(name, ".expect"), "found") ==
                       std::vector<std::string>{std::to_string(r.t->usable)}, boost::test_tools::per_element());
            BOOST_TEST(log_count("WARN") == 0u);
            if (acpi) {  // the MADT's entries, one by one, disabled ones included
                std::vector<std::string> got;
                for (uint32_t i = 0; i < r.madt->ncpus; ++i)
                    got.push_back(std::to_string(r.madt->cpus[i].apic_id) +
                                  (r.madt->cpus[i].enabled ? " enabled " : " disabled ") +
                                  (r.madt->cpus[i].online_capable ? "1" : "0"));
                BOOST_TEST(got == expect_lines(path(name, ".expect"), "madt-cpu"), boost::test_tools::per_element());
            }
            if (acpi) {  // the tag path finds the same
                Run viatag = discover(s, true);
                BOOST_TEST(viatag.summary == want, boost::test_tools::per_element());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(recorded_shapes_spelled_out) {
    Run r = discover(Snapshot::load(path("pc-smp6-s2c3", ".snap")), false);
    BOOST_TEST(r.t->source == CpuSource::Acpi);
    std::vector<uint32_t> apics;
    for (uint32_t i = 0; i < r.t->usable; ++i) apics.push_back(r.t->cpus[i].apic_id);
    BOOST_TEST(apics == (std::vector<uint32_t>{0, 1, 2, 4, 5, 6}), boost::test_tools::per_element());
    BOOST_TEST(cpu_table_kernel_id(*r.t, 4) == 3);
    BOOST_TEST(cpu_table_kernel_id(*r.t, 3) == -1);

    r = discover(Snapshot::load(path("pc-smp2-max4", ".snap")), false);
    BOOST_TEST(r.t->usable == 2u);
    BOOST_TEST(r.t->count == 4u);
    BOOST_TEST(r.summary[5] == "cpu -: apic 3 disabled ap not usable");

    r = discover(Snapshot::load(path("q35-x2apic-smp288", ".snap")), false);
    BOOST_TEST(r.t->usable == 288u);
    BOOST_TEST(r.t->cpus[287].apic_id == 287u);
    BOOST_TEST(cpu_table_kernel_id(*r.t, 287) == 287);
    BOOST_TEST(cpu_table_kernel_id(*r.t, 288) == -1);
    BOOST_TEST(r.madt->cpus[255].x2apic);
    BOOST_TEST(!r.madt->cpus[254].x2apic);
    // With x2APIC entries QEMU wires LINT1 to NMI with one type 0xA entry (uid all).
    BOOST_TEST(r.madt->nlapic_nmis == 1u);
    BOOST_TEST(r.madt->lapic_nmis[0].uid == LAPIC_NMI_ALL);
    BOOST_TEST(r.madt->lapic_nmis[0].lint == 1);
    r = discover(Snapshot::load(path("pc-smp4", ".snap")), false);  // type 4, uid 0xFF
    BOOST_TEST(r.madt->nlapic_nmis == 1u);
    BOOST_TEST(r.madt->lapic_nmis[0].uid == LAPIC_NMI_ALL);
    BOOST_TEST(r.madt->lapic_nmis[0].lint == 1);

    // OVMF keeps its RSDP above 1 MiB: the BIOS scan cannot find it.
    clear_log();
    r = discover(Snapshot::load(path("ovmf-smp4", ".snap")), false);
    BOOST_TEST(r.t->source == CpuSource::None);
    BOOST_TEST(log_contains("acpi: no RSDP found"));
}

BOOST_AUTO_TEST_CASE(recorded_mp_only_machines) {
    // -machine pc,acpi=off -smp 4: one package of 4 cores, SeaBIOS lists 1.
    clear_log();
    Run r = discover(Snapshot::load(path("pc-noacpi-smp4", ".snap")), false, false, CPU_LIMIT_NONE, 0, 4);
    BOOST_TEST(r.t->source == CpuSource::Mp);
    BOOST_TEST(r.summary[0] == "cpus: found 1 (source=mp)");
    BOOST_TEST(log_count("SeaBIOS lists only the first logical CPU of each package") == 1u);
    BOOST_TEST(log_contains("WARN: cpus: the MP table lists 1 CPU(s) but CPUID reports 4 logical CPUs in the boot "
                            "package: SeaBIOS lists only the first logical CPU of each package, and QEMU's `-smp N` "
                            "is one package of N cores; boot with `-smp N,sockets=N,cores=1` (or with ACPI) to see "
                            "them all"));
    // The ISA wiring from the MP table: IRQ 0 goes to pin 2.
    BOOST_TEST(r.t->noverrides >= 1u);
    bool wired = std::find(r.summary.begin(), r.summary.end(), "override: irq 0 -> gsi 2 high edge") != r.summary.end();
    BOOST_TEST(wired);

    // sockets=4,cores=1: all four, and no hint (one logical CPU per package).
    clear_log();
    r = discover(Snapshot::load(path("pc-noacpi-smp4-s4", ".snap")), false, false, CPU_LIMIT_NONE, 0, 1);
    BOOST_TEST(r.summary[0] == "cpus: found 4 (source=mp)");
    BOOST_TEST(!log_contains("SeaBIOS"));

    // acpi=off on a machine with both: the MP table wins.
    clear_log();
    r = discover(Snapshot::load(path("pc-smp4", ".snap")), false, true, CPU_LIMIT_NONE, 0, 4);
    BOOST_TEST(r.summary[0] == "cpus: found 1 (source=mp)");
    BOOST_TEST(log_contains("cpus: acpi=off: the ACPI MADT is ignored, using the MP table"));
    BOOST_TEST(log_contains("SeaBIOS lists only the first logical CPU"));
}

BOOST_FIXTURE_TEST_CASE(bsp_is_kernel_id_0_wherever_it_is_listed, Fixture) {
    auto m = madt_of({{2, true}, {7, true}, {5, true}, {300, true}, {9, false}});
    cpu_table_build(t.get(), m.get(), nullptr, false, CPU_LIMIT_NONE, 5, 0);
    BOOST_TEST(t->source == CpuSource::Acpi);
    BOOST_TEST(t->usable == 4u);
    BOOST_TEST(t->count == 5u);
    BOOST_TEST(t->cpus[0].apic_id == 5u);
    BOOST_TEST(t->cpus[0].bsp);
    BOOST_TEST(t->cpus[0].acpi_uid == 2u);
    BOOST_TEST(cpu_table_kernel_id(*t, 5) == 0);
    BOOST_TEST(cpu_table_kernel_id(*t, 2) == 1);
    BOOST_TEST(cpu_table_kernel_id(*t, 7) == 2);
    BOOST_TEST(cpu_table_kernel_id(*t, 300) == 3);
    BOOST_TEST(cpu_table_kernel_id(*t, 9) == -1);  // listed, not usable
    BOOST_TEST(cpu_table_kernel_id(*t, 0xFFFFFFF0u) == -1);
    auto lines = summary();
    std::vector<std::string> want = {
        "cpus: found 4 (source=acpi)",        "cpus: starting 4 of 4",
        "cpu 0: apic 5 enabled bsp will start", "cpu 1: apic 2 enabled ap will start",
        "cpu 2: apic 7 enabled ap will start",  "cpu 3: apic 300 enabled ap will start",
        "cpu -: apic 9 disabled ap not usable"};
    BOOST_TEST(lines == want, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(global_table_lookup, Fixture) {
    auto m = madt_of({{0, true}, {4, true}, {1000, true}});
    cpu_table_build(&cpu_table, m.get(), nullptr, false, CPU_LIMIT_NONE, 0, 0);
    BOOST_TEST(kernel_id_of_apic(0) == 0);
    BOOST_TEST(kernel_id_of_apic(4) == 1);
    BOOST_TEST(kernel_id_of_apic(1000) == 2);
    BOOST_TEST(kernel_id_of_apic(1) == -1);
}

BOOST_FIXTURE_TEST_CASE(bsp_missing_from_the_table_is_added, Fixture) {
    auto m = madt_of({{0, true}, {1, true}});
    cpu_table_build(t.get(), m.get(), nullptr, false, CPU_LIMIT_NONE, 9, 0);
    BOOST_TEST(t->usable == 3u);
    BOOST_TEST(t->cpus[0].apic_id == 9u);
    BOOST_TEST(cpu_table_kernel_id(*t, 0) == 1);
    BOOST_TEST(log_contains("WARN: cpus: the boot CPU (apic 9) is not in the acpi table; added"));

    // A disabled BSP entry is used anyway.
    clear_log();
    m = madt_of({{0, false}, {1, true}});
    cpu_table_build(t.get(), m.get(), nullptr, false, CPU_LIMIT_NONE, 0, 0);
    BOOST_TEST(t->usable == 2u);
    BOOST_TEST(t->cpus[0].bsp);
    BOOST_TEST(log_contains("WARN: cpus: the boot CPU (apic 0) is listed as disabled; using it anyway"));
}

BOOST_FIXTURE_TEST_CASE(full_table_still_makes_room_for_the_bsp, Fixture) {
    auto m = std::make_unique<MadtInfo>();
    m->found = true;
    for (uint32_t i = 0; i < COHORT_MAX_CPUS; ++i) m->cpus[m->ncpus++] = MadtCpu{i + 1, i, true, false, true};
    cpu_table_build(t.get(), m.get(), nullptr, false, CPU_LIMIT_NONE, 0, 0);
    BOOST_TEST(t->count == uint32_t(COHORT_MAX_CPUS));
    BOOST_TEST(t->cpus[0].apic_id == 0u);
    BOOST_TEST(cpu_table_kernel_id(*t, COHORT_MAX_CPUS - 1) == int(COHORT_MAX_CPUS - 1));
    BOOST_TEST(cpu_table_kernel_id(*t, COHORT_MAX_CPUS) == -1);  // the entry that made room
}

BOOST_FIXTURE_TEST_CASE(maxcpus, Fixture) {
    auto m = madt_of({{0, true}, {1, true}, {2, true}, {3, true}, {4, false}});
    const std::pair<uint32_t, uint32_t> cases[] = {{0, 1}, {1, 1}, {3, 3}, {4, 4}, {100, 4}, {CPU_LIMIT_NONE, 4}};
    for (auto [limit, start] : cases) {
        cpu_table_build(t.get(), m.get(), nullptr, false, limit, 0, 0);
        BOOST_TEST(t->to_start == start);
        for (uint32_t i = 0; i < t->count; ++i) BOOST_TEST(t->cpus[i].will_start == (i < start));
    }
    cpu_table_build(t.get(), m.get(), nullptr, false, 3, 0, 0);
    auto lines = summary();
    BOOST_TEST(lines[1] == "cpus: starting 3 of 4");
    BOOST_TEST(lines[4] == "cpu 2: apic 2 enabled ap will start");
    BOOST_TEST(lines[5] == "cpu 3: apic 3 enabled ap not started (maxcpus)");
    BOOST_TEST(lines[6] == "cpu -: apic 4 disabled ap not usable");
}

BOOST_FIXTURE_TEST_CASE(policy_sources, Fixture) {
    auto m = madt_of({{0, true}, {1, true}});
    auto mp = mp_of({0, 1, 2});
    cpu_table_build(t.get(), m.get(), mp.get(), false, CPU_LIMIT_NONE, 0, 0);
    BOOST_TEST(t->source == CpuSource::Acpi);
    BOOST_TEST(t->usable == 2u);
    cpu_table_build(t.get(), m.get(), mp.get(), true, CPU_LIMIT_NONE, 0, 0);
    BOOST_TEST(t->source == CpuSource::Mp);
    BOOST_TEST(t->usable == 3u);

    // A MADT without an enabled CPU is no MADT.
    auto empty = madt_of({{0, false}, {1, false}});
    clear_log();
    cpu_table_build(t.get(), empty.get(), mp.get(), false, CPU_LIMIT_NONE, 0, 0);
    BOOST_TEST(t->source == CpuSource::Mp);
    BOOST_TEST(log_contains("WARN: cpus: the MADT lists no enabled CPU; trying the MP table"));

    // A MADT that failed its checksum (found == false) is not used either.
    m->found = false;
    cpu_table_build(t.get(), m.get(), mp.get(), false, CPU_LIMIT_NONE, 0, 0);
    BOOST_TEST(t->source == CpuSource::Mp);

    // Neither: the BSP alone, said clearly.
    clear_log();
    cpu_table_build(t.get(), nullptr, nullptr, false, CPU_LIMIT_NONE, 7, 8);
    BOOST_TEST(t->source == CpuSource::None);
    BOOST_TEST(log_contains("WARN: cpus: no usable ACPI MADT and no MP table: running on the boot CPU only (apic 7)"));
    BOOST_TEST(!log_contains("SeaBIOS"));
    auto lines = summary();
    std::vector<std::string> want = {"cpus: found 1 (source=none)", "cpus: starting 1 of 1",
                                     "cpu 0: apic 7 enabled bsp will start"};
    BOOST_TEST(lines == want, boost::test_tools::per_element());
    BOOST_TEST(t->lapic_addr == LAPIC_DEFAULT_ADDR);
}

BOOST_FIXTURE_TEST_CASE(mp_hint_only_when_the_mp_table_lists_fewer, Fixture) {
    auto mp = mp_of({0, 1});
    cpu_table_build(t.get(), nullptr, mp.get(), false, CPU_LIMIT_NONE, 0, 2);
    BOOST_TEST(!log_contains("SeaBIOS"));
    cpu_table_build(t.get(), nullptr, mp.get(), false, CPU_LIMIT_NONE, 0, 0);  // unknown
    BOOST_TEST(!log_contains("SeaBIOS"));
    auto m = madt_of({{0, true}});
    cpu_table_build(t.get(), m.get(), mp.get(), false, CPU_LIMIT_NONE, 0, 8);  // ACPI: no hint
    BOOST_TEST(!log_contains("SeaBIOS"));
    cpu_table_build(t.get(), nullptr, mp.get(), false, CPU_LIMIT_NONE, 0, 3);
    BOOST_TEST(log_count("SeaBIOS lists only the first logical CPU of each package") == 1u);
}

BOOST_FIXTURE_TEST_CASE(mp_default_configuration_through_the_policy, Fixture) {
    auto mp = std::make_unique<MpInfo>();
    BOOST_TEST(mp_default_config(6, mp.get()));
    cpu_table_build(t.get(), nullptr, mp.get(), false, CPU_LIMIT_NONE, 0, 0);
    auto lines = summary();
    std::vector<std::string> want = {"cpus: found 2 (source=mp)", "cpus: starting 2 of 2",
                                     "cpu 0: apic 0 enabled bsp will start", "cpu 1: apic 1 enabled ap will start",
                                     "ioapic 2: addr 0xfec00000 gsi 0"};
    BOOST_TEST(lines == want, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(summary_of_ioapics_and_overrides, Fixture) {
    auto m = madt_of({{0, true}});
    m->nioapics = 2;
    m->ioapics[0] = IoApicInfo{1, 0xFEC00000, 0};
    m->ioapics[1] = IoApicInfo{2, 0xFEC01000, 24};
    m->noverrides = 4;
    m->overrides[0] = IrqOverride{0, 0, 2, 0};
    m->overrides[1] = IrqOverride{0, 9, 9, 0xD};  // QEMU's SCI: high, level
    m->overrides[2] = IrqOverride{0, 5, 5, 0x5};
    m->overrides[3] = IrqOverride{0, 11, 11, 0xF};
    cpu_table_build(t.get(), m.get(), nullptr, false, CPU_LIMIT_NONE, 0, 0);
    auto lines = summary();
    std::vector<std::string> want = {
        "cpus: found 1 (source=acpi)", "cpus: starting 1 of 1", "cpu 0: apic 0 enabled bsp will start",
        "ioapic 1: addr 0xfec00000 gsi 0", "ioapic 2: addr 0xfec01000 gsi 24",
        "override: irq 0 -> gsi 2 high edge", "override: irq 9 -> gsi 9 high level",
        "override: irq 5 -> gsi 5 high edge", "override: irq 11 -> gsi 11 low level"};
    BOOST_TEST(lines == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
