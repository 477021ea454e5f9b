// The topology decoder (src/topology.cpp) on CPUID dumps recorded from
// qemu-system -smp shapes (tools/record-cpuid --boot: the last CPU of each)
// and on hand-built leaves for what QEMU cannot show: a die level, module
// and tile levels, a reserved level type, zero and shrinking shifts.
#include <boost/test/unit_test.hpp>
#include <ostream>
#include <random>
#include <initializer_list>
#include <set>
#include <string>
#include <tuple>
#include <vector>
#include "cpuid.h"
#include "cpuid_dump.h"
#include "host_log.h"
#include "topology.h"

static std::ostream& operator<<(std::ostream& o, TopoSource v) { return o << "TopoSource " << int(v); }
static std::ostream& operator<<(std::ostream& o, CpuVendor v) { return o << "CpuVendor " << int(v); }

namespace {

struct Decoded {
    Dump dump;
    CpuFeatures f;
    Topology t;
    bool ok;
};

Decoded decode(Dump d) {
    Decoded r{std::move(d), {}, {}, false};
    cpuid_probe(replay, &r.dump, true, r.f);
    r.ok = topology_decode(replay, &r.dump, r.f, r.t);
    BOOST_TEST(r.dump.out_of_range == 0u);
    return r;
}

Decoded decode(const std::string& name) { return decode(load(name)); }

void expect_fields(const Topology& t, TopoSource source, uint32_t smt, uint32_t die_base, uint32_t package,
                   uint32_t threads, uint32_t logical) {
    BOOST_TEST(t.source == source);
    BOOST_TEST(t.smt_shift == smt);
    BOOST_TEST(t.die_base == die_base);
    BOOST_TEST(t.package_shift == package);
    BOOST_TEST(t.threads_per_core == threads);
    BOOST_TEST(t.logical_per_package == logical);
}

void expect_ids(const Topology& t, uint32_t apic, uint32_t package, uint32_t die, uint32_t core, uint32_t smt) {
    TopoIds i = topology_ids(t, apic);
    BOOST_TEST_CONTEXT("apic " << apic) {
        BOOST_TEST(i.package == package);
        BOOST_TEST(i.die == die);
        BOOST_TEST(i.core == core);
        BOOST_TEST(i.smt == smt);
    }
}

/// Every APIC id of @p apics gets its own (package, die, core, smt), and
/// they make @p packages x @p cores x @p threads.
void expect_machine(const Topology& t, const std::set<uint32_t>& apics, size_t packages, size_t cores,
                    size_t threads) {
    std::set<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>> all;
    std::set<uint32_t> pk;
    std::set<std::tuple<uint32_t, uint32_t, uint32_t>> co;
    for (uint32_t a : apics) {
        TopoIds i = topology_ids(t, a);
        all.insert({i.package, i.die, i.core, i.smt});
        pk.insert(i.package);
        co.insert({i.package, i.die, i.core});
        BOOST_TEST(i.smt < threads);
    }
    BOOST_TEST(all.size() == apics.size());
    BOOST_TEST(pk.size() == packages);
    BOOST_TEST(co.size() == packages * cores);
}

std::set<uint32_t> range(uint32_t n) {
    std::set<uint32_t> s;
    for (uint32_t i = 0; i < n; i++) s.insert(i);
    return s;
}

/// One level of leaf 0xB/0x1F: EAX[4:0] shift, EBX[15:0] count, ECX[15:8] type.
struct Lvl {
    uint32_t shift, count, type;
};

/// Leaf @p leaf's levels, subleaf 0 first; EDX is the x2APIC id @p x2apic.
void levels(Dump& d, uint32_t leaf, std::initializer_list<Lvl> ls, uint32_t x2apic = 13) {
    uint32_t sub = 0;
    for (const Lvl& l : ls) {
        d.set(leaf, sub, l.shift, l.count, (l.type << 8) | sub, x2apic);
        sub++;
    }
}

/// An Intel CPU with leaf @p max and its APIC id 13 in leaf 1.
Dump intel_cpu(uint32_t max) {
    Dump d;
    intel(d, max);
    d.set(1, 0, 0x00050654, 0x0d100800, 0, 1u << 28);
    return d;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(topology)

// -smp 16,sockets=2,cores=4,threads=2 with QEMU's default CPU (qemu64, an
// AuthenticAMD model that still offers leaf 0xB): 1 SMT bit, 2 core bits.
BOOST_AUTO_TEST_CASE(qemu64_two_packages_leaf_b) {
    Decoded d = decode("smp16-s2c4t2-qemu64.txt");
    BOOST_TEST(d.ok);
    BOOST_TEST(d.f.x2apic_id == 15u);
    expect_fields(d.t, TopoSource::Leaf0B, 1, 3, 3, 2, 8);
    BOOST_TEST(d.t.nlevels == 2u);
    expect_ids(d.t, d.f.x2apic_id, 1, 0, 3, 1);
    expect_ids(d.t, 0, 0, 0, 0, 0);
    expect_ids(d.t, 6, 0, 0, 3, 0);
    expect_machine(d.t, range(16), 2, 4, 2);
    BOOST_TEST(std::string(d.t.note) == "");
}

// EPYC under TCG: leaf 0xB is there and wins; Fn8000_001E is answered but
// TOPOEXT is not set (QEMU warns it cannot), so it is not believed.
BOOST_AUTO_TEST_CASE(epyc_two_packages) {
    Decoded d = decode("smp16-s2c4t2-epyc.txt");
    expect_fields(d.t, TopoSource::Leaf0B, 1, 3, 3, 2, 8);
    expect_ids(d.t, d.f.x2apic_id, 1, 0, 3, 1);
    BOOST_TEST(d.t.amd_node == 0u);
}

// The same CPU as an AMD part before leaf 0xB with TOPOEXT: Fn8000_0008
// gives the package width (ApicIdSize 3), Fn8000_001E the threads per core.
BOOST_AUTO_TEST_CASE(epyc_from_amd_leaves) {
    Dump raw = load("smp16-s2c4t2-epyc.txt");
    CpuidRegs l0 = raw.at(0, 0), e1 = raw.at(0x80000001, 0);
    raw.set(0, 0, 0xa, l0.ebx, l0.ecx, l0.edx);
    raw.set(0x80000001, 0, e1.eax, e1.ebx, e1.ecx | (1u << 22), e1.edx);
    Decoded d = decode(std::move(raw));
    BOOST_TEST(d.ok);
    expect_fields(d.t, TopoSource::Amd1E, 1, 3, 3, 2, 8);
    BOOST_TEST(d.t.amd_node == 1u);  // Fn8000_001E ECX[7:0] of APIC id 15
    expect_ids(d.t, 15, 1, 0, 3, 1);
    expect_machine(d.t, range(16), 2, 4, 2);
}

BOOST_AUTO_TEST_CASE(skylake_server_two_packages) {
    Decoded d = decode("smp16-s2c4t2-skylake-server.txt");
    BOOST_TEST(d.f.vendor == CpuVendor::Intel);
    expect_fields(d.t, TopoSource::Leaf0B, 1, 3, 3, 2, 8);
    expect_ids(d.t, 15, 1, 0, 3, 1);
}

// Three cores need two bits: APIC ids 0-5 and 8-13, the 12th CPU is id 13.
BOOST_AUTO_TEST_CASE(three_cores_leave_gaps) {
    Decoded d = decode("smp12-s2c3t2-epyc.txt");
    expect_fields(d.t, TopoSource::Leaf0B, 1, 3, 3, 2, 6);
    BOOST_TEST(d.f.x2apic_id == 13u);
    expect_ids(d.t, 13, 1, 0, 2, 1);
    expect_machine(d.t, {0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13}, 2, 3, 2);
}

// phenom: no leaf 0xB (level 5), no TOPOEXT: Fn8000_0008 gives the package
// width only, so the two threads of a core count as two cores.
BOOST_AUTO_TEST_CASE(phenom_without_leaf_b) {
    Decoded d = decode("smp16-s2c4t2-phenom.txt");
    BOOST_TEST(!d.f.has_x2apic_id);
    BOOST_TEST(d.f.initial_apic_id == 15u);
    expect_fields(d.t, TopoSource::Amd8, 0, 3, 3, 1, 8);
    expect_ids(d.t, 15, 1, 0, 7, 0);
    expect_machine(d.t, range(16), 2, 8, 1);
}

// qemu32 (level 4): leaf 1 says 8 logical CPUs a package, leaf 4 EAX[31:26]
// 4 cores, so 2 threads a core (SDM Vol. 3A 8.9.1 example).
BOOST_AUTO_TEST_CASE(qemu32_legacy_leaf_4) {
    Decoded d = decode("smp16-s2c4t2-qemu32.txt");
    expect_fields(d.t, TopoSource::Leaf4, 1, 3, 3, 2, 8);
    expect_ids(d.t, d.f.initial_apic_id, 1, 0, 3, 1);
    expect_machine(d.t, range(16), 2, 4, 2);
}

// Three cores, no leaf 0xB: leaf 1 says 6 logical CPUs, leaf 4 4 core ids.
// Both round up to powers of two before the division (8 / 4: 2 threads a
// core); 6 / 4 would make it one thread, and two CPUs of each core collide.
BOOST_AUTO_TEST_CASE(qemu32_three_cores_round_up) {
    Decoded d = decode("smp12-s2c3t2-qemu32.txt");
    BOOST_TEST(d.f.leaf1_logical == 6u);
    expect_fields(d.t, TopoSource::Leaf4, 1, 3, 3, 2, 6);
    expect_ids(d.t, d.f.initial_apic_id, 1, 0, 2, 1);
    expect_machine(d.t, {0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13}, 2, 3, 2);
}

// A user-mode recording of a 486: no topology at all, each CPU a package.
BOOST_AUTO_TEST_CASE(i486_no_topology) {
    Decoded d = decode("i486.txt");
    expect_fields(d.t, TopoSource::None, 0, 0, 0, 1, 1);
    expect_ids(d.t, 5, 5, 0, 0, 0);
}

// Leaf 0x1F with a die level (QEMU's -smp 16,sockets=2,dies=2,cores=2,threads=2
// shape, which QEMU 10.0.2 cannot boot): it wins over leaf 0xB's two levels.
BOOST_AUTO_TEST_CASE(leaf_1f_die_level) {
    Dump d = intel_cpu(0x1f);
    levels(d, 0x1f, {{1, 2, 1}, {2, 4, 2}, {3, 8, 5}});
    levels(d, 0xb, {{1, 2, 1}, {3, 8, 2}});
    Decoded r = decode(std::move(d));
    BOOST_TEST(r.ok);
    expect_fields(r.t, TopoSource::Leaf1F, 1, 2, 3, 2, 8);
    BOOST_TEST(r.t.nlevels == 3u);
    expect_ids(r.t, 13, 1, 1, 0, 1);
    expect_ids(r.t, 10, 1, 0, 1, 0);
    expect_machine(r.t, range(16), 2, 4, 2);
    clear_log();
    topology_print(r.t, "t: ");
    BOOST_TEST(log_count("t: level 2 die shift 3 count 8") == 1u);
    BOOST_TEST(log_count("t: fields smt 1 core 1 die 1 bits, package from bit 3 (leaf 0x1f)") == 1u);
}

// Module and tile bits sit between core and die: they are part of the core id.
BOOST_AUTO_TEST_CASE(module_and_tile_in_core_id) {
    Dump d = intel_cpu(0x1f);
    levels(d, 0x1f, {{1, 2, 1}, {2, 4, 2}, {3, 8, 3}, {4, 16, 4}, {6, 64, 5}}, 0xb5);
    Decoded r = decode(std::move(d));
    expect_fields(r.t, TopoSource::Leaf1F, 1, 4, 6, 2, 64);
    expect_ids(r.t, 0xb5, 2, 3, 2, 1);  // 0b10'11'010'1: package 2, die 3, core (tile, module, core) 0b010, smt 1
}

// A non-power-of-two count: 6 logical CPUs need 3 bits; 5 levels of 3 is not 8.
BOOST_AUTO_TEST_CASE(leaf_b_three_cores) {
    Dump d = intel_cpu(0xb);
    levels(d, 0xb, {{1, 2, 1}, {3, 6, 2}});
    Decoded r = decode(std::move(d));
    expect_fields(r.t, TopoSource::Leaf0B, 1, 3, 3, 2, 6);
    expect_ids(r.t, 13, 1, 0, 2, 1);
}

// A level type the SDM reserves: kept, its bits go to the core id, and the
// note says so (the kernel turns the note into one warning).
BOOST_AUTO_TEST_CASE(reserved_level_type) {
    Dump d = intel_cpu(0x1f);
    levels(d, 0x1f, {{1, 2, 1}, {3, 8, 2}, {4, 16, 9}});
    Decoded r = decode(std::move(d));
    BOOST_TEST(r.ok);
    expect_fields(r.t, TopoSource::Leaf1F, 1, 4, 4, 2, 16);
    BOOST_TEST(std::string(r.t.note).find("reserved type 9") != std::string::npos);
    expect_ids(r.t, 13, 0, 0, 6, 1);
    char buf[12];
    BOOST_TEST(std::string(topology_level_name(9, buf)) == "type 9");
    BOOST_TEST(std::string(topology_level_name(5, buf)) == "die");
}

// Shift 0 everywhere with one CPU per level is a real (single-thread) answer.
BOOST_AUTO_TEST_CASE(zero_shifts) {
    Dump d = intel_cpu(0xb);
    levels(d, 0xb, {{0, 1, 1}, {0, 1, 2}});
    Decoded r = decode(std::move(d));
    BOOST_TEST(r.ok);
    expect_fields(r.t, TopoSource::Leaf0B, 0, 0, 0, 1, 1);
    expect_ids(r.t, 13, 13, 0, 0, 0);
}

// Layouts no hardware has: the flat fallback, and a note saying why.
BOOST_AUTO_TEST_CASE(impossible_layouts_fall_back) {
    auto expect_fallback = [](Dump d, const char* why) {
        Decoded r = decode(std::move(d));
        BOOST_TEST(!r.ok);
        expect_fields(r.t, TopoSource::Fallback, 0, 0, 0, 1, 1);
        BOOST_TEST(std::string(r.t.note).find(why) != std::string::npos, r.t.note);
        expect_ids(r.t, 13, 13, 0, 0, 0);
    };
    Dump shrinking = intel_cpu(0xb);  // the core level numbers fewer bits than the SMT level
    levels(shrinking, 0xb, {{3, 2, 1}, {1, 8, 2}});
    expect_fallback(std::move(shrinking), "below it shift 3");
    Dump crowded = intel_cpu(0xb);  // 2 threads cannot be numbered with 0 bits
    levels(crowded, 0xb, {{0, 2, 1}, {3, 8, 2}});
    expect_fallback(std::move(crowded), "shift 0 and 2 CPUs");
    Dump upside = intel_cpu(0xb);  // the core level below the SMT level
    levels(upside, 0xb, {{2, 4, 2}, {3, 8, 1}});
    expect_fallback(std::move(upside), "type 1 after type 2");
    Dump endless = intel_cpu(0x1f);  // more levels than the leaf can have
    for (uint32_t s = 0; s < 9; s++) endless.set(0x1f, s, s, 1, (9u << 8) | s, 13);
    expect_fallback(std::move(endless), "more than 7 levels");
}

// Leaf 0x1F in range but not valid (subleaf 0 EBX = 0): leaf 0xB is used.
BOOST_AUTO_TEST_CASE(invalid_leaf_1f_uses_leaf_b) {
    Dump d = intel_cpu(0x1f);
    d.set(0x1f, 0, 0, 0, 0, 13);
    levels(d, 0xb, {{1, 2, 1}, {4, 16, 2}});
    Decoded r = decode(std::move(d));
    expect_fields(r.t, TopoSource::Leaf0B, 1, 4, 4, 2, 16);
}

// AMD nodes: Fn8000_001E ECX[10:8] = 1 is two nodes a package, which take
// the top bit of the package's APIC id bits (ApicIdSize 4).
BOOST_AUTO_TEST_CASE(amd_nodes_are_dies) {
    Dump d;
    amd(d, 1);
    d.set(0x80000000, 0, 0x8000001e, 0, 0, 0);
    d.set(1, 0, 0x00800f12, 0x1d100800, 0, 1u << 28);  // APIC id 29, 16 logical, HTT
    d.set(0x80000001, 0, 0, 0, 1u << 22, 0);           // TOPOEXT
    d.set(0x80000008, 0, 0, 0, 0x400f, 0);             // ApicIdSize 4, NC 15
    d.set(0x8000001e, 0, 29, 0x0106, 0x0103, 0);       // 2 threads a core, 2 nodes, node 3
    Decoded r = decode(std::move(d));
    BOOST_TEST(r.ok);
    expect_fields(r.t, TopoSource::Amd1E, 1, 3, 4, 2, 16);
    BOOST_TEST(r.t.nlevels == 3u);
    BOOST_TEST(r.t.amd_node == 3u);
    expect_ids(r.t, 29, 1, 1, 2, 1);
}

// The firmware's list against the layout: QEMU's own shapes fit; a table
// with both threads of a core where CPUID says one thread a core does not.
BOOST_AUTO_TEST_CASE(table_fits_layout) {
    Decoded d = decode("smp16-s2c4t2-qemu64.txt");
    std::vector<uint32_t> all(16), three = {0, 1, 9};
    for (uint32_t i = 0; i < 16; i++) all[i] = i;
    char why[128] = "";
    BOOST_TEST(topology_fits(d.t, all.data(), 16, why, sizeof why));
    BOOST_TEST(topology_fits(d.t, three.data(), 3, why, sizeof why));
    Dump one = intel_cpu(0xb);  // 1 thread a core, yet an SMT bit
    levels(one, 0xb, {{1, 1, 1}, {3, 4, 2}});
    Decoded r = decode(std::move(one));
    BOOST_TEST(r.ok);
    BOOST_TEST(!topology_fits(r.t, all.data(), 16, why, sizeof why));
    BOOST_TEST(std::string(why) == "puts 2 CPUs in the core and 8 in the package of apic 0, CPUID says at most 1 and 4");
    std::vector<uint32_t> evens = {0, 2, 4, 6, 8};
    BOOST_TEST(topology_fits(r.t, evens.data(), 5, why, sizeof why));
    std::vector<uint32_t> crowded = {0, 2, 4, 6, 7};  // a fifth CPU in package 0
    BOOST_TEST(!topology_fits(r.t, crowded.data(), 5, why, sizeof why));
}

// Random leaves 0xB/0x1F and AMD/legacy answers (a fixed seed): whatever
// CPUID says, the fields stay ordered, and the four ids put back together
// give the APIC id they were cut from. The decoder never reads past a leaf.
BOOST_AUTO_TEST_CASE(random_answers_keep_the_fields_whole) {
    std::mt19937 rng(16);
    auto any = [&](uint32_t n) { return uint32_t(rng() % n); };
    for (int round = 0; round < 5000; round++) {
        Dump d;
        uint32_t max = any(2) ? 0x1f : any(2) ? 0xb : 4;
        if (any(2)) intel(d, max); else amd(d, max);
        d.set(1, 0, 0x00050654, (any(256) << 16) | (any(256) << 24), 0, any(2) << 28);
        d.set(4, 0, (any(64) << 26) | any(2), 0, 0, 0);
        d.set(0x80000000, 0, 0x8000001e, 0, 0, 0);
        d.set(0x80000001, 0, 0, 0, any(2) << 22, 0);
        d.set(0x80000008, 0, 0, 0, rng() & 0xF0FF, 0);
        d.set(0x8000001e, 0, 0, rng(), rng(), 0);
        for (uint32_t leaf : {0xbu, 0x1fu})
            for (uint32_t sub = 0, n = any(9); sub < n; sub++)
                d.set(leaf, sub, any(40), any(4) ? 1u << any(10) : rng() & 0xFFFF, (any(8) << 8) | sub, 0);
        Decoded r = decode(std::move(d));
        const Topology& t = r.t;
        BOOST_TEST_REQUIRE(t.smt_shift <= t.die_base);
        BOOST_TEST_REQUIRE(t.die_base <= t.package_shift);
        BOOST_TEST_REQUIRE(t.package_shift < 32);
        BOOST_TEST_REQUIRE(t.nlevels <= kTopoMaxLevels);
        BOOST_TEST_REQUIRE(r.ok == (t.source != TopoSource::Fallback));
        uint32_t apic = uint32_t(rng());
        TopoIds i = topology_ids(t, apic);
        uint32_t back = (i.package << t.package_shift) | (i.die << t.die_base) | (i.core << t.smt_shift) | i.smt;
        BOOST_TEST_REQUIRE(back == apic, "round " << round << ": " << topology_source_name(t));
    }
}

BOOST_AUTO_TEST_CASE(no_cpuid_is_flat) {
    CpuFeatures f{};
    Topology t;
    BOOST_TEST(topology_decode(replay, nullptr, f, t));
    BOOST_TEST(t.source == TopoSource::None);
    expect_ids(t, 3, 3, 0, 0, 0);
    BOOST_TEST(std::string(topology_source_name(t)) == "none");
}

BOOST_AUTO_TEST_CASE(same_layout) {
    Decoded a = decode("smp16-s2c4t2-qemu64.txt"), b = decode("smp16-s2c4t2-qemu32.txt");
    Decoded c = decode("smp16-s2c4t2-phenom.txt");
    BOOST_TEST(topology_same_layout(a.t, b.t));
    BOOST_TEST(!topology_same_layout(a.t, c.t));
}

BOOST_AUTO_TEST_SUITE_END()
