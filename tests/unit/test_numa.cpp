// NUMA: the SRAT and SLIT parsers on recorded QEMU machines (-numa, through
// the kernel's whole path) and on hand-made good and bad tables; the node
// policy of numa_build(); the summary line; and node-first frame allocation.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <sstream>
#include "acpi.h"
#include "cputable.h"
#include "host_log.h"
#include "kalloc.h"
#include "numa.h"
#include "snapshot.h"
#include "srat.h"
#include "test_data.h"

namespace {

constexpr uint64_t M = 1024 * 1024;

std::vector<uint8_t> cpu(uint32_t apic, uint32_t dom, uint32_t flags = 1) {  // type 0
    return Bytes().u8(0).u8(16).u8(dom & 0xFF).u8(apic).u32(flags).u8(0).u8(dom >> 8).u8(dom >> 16).u8(dom >> 24)
        .u32(0).b;
}
std::vector<uint8_t> x2cpu(uint32_t apic, uint32_t dom, uint32_t flags = 1) {  // type 2
    return Bytes().u8(2).u8(24).u16(0).u32(dom).u32(apic).u32(flags).u32(0).u32(0).b;
}
std::vector<uint8_t> mem(uint64_t base, uint64_t len, uint32_t dom, uint32_t flags = 1) {  // type 1
    return Bytes().u8(1).u8(40).u32(dom).u16(0).u64(base).u64(len).u32(0).u32(flags).u64(0).b;
}
std::vector<uint8_t> srat(std::vector<std::vector<uint8_t>> entries) {
    Bytes body;
    body.u32(1).zeros(8);  // ACPI 6.5 Table 5.72: reserved 1, then 8 reserved bytes
    for (auto& e : entries) body.add(e);
    return acpi_table("SRAT", body.b, 3);
}
std::vector<uint8_t> slit(uint64_t n, std::vector<uint8_t> matrix) {
    return acpi_table("SLIT", Bytes().u64(n).add(matrix).b);
}

/// A CPU table of the given APIC ids, the first the BSP.
std::unique_ptr<CpuTable> table_of(std::vector<uint32_t> apics) {
    MadtInfo m{};
    m.found = true;
    for (uint32_t a : apics) m.cpus[m.ncpus++] = MadtCpu{a, m.ncpus, true, false, a > 254};
    m.cpu_entries = m.ncpus;
    auto t = std::make_unique<CpuTable>();
    cpu_table_build(t.get(), &m, nullptr, false, CPU_LIMIT_NONE, apics.at(0), 0);
    return t;
}

struct Fixture {
    Fixture() { clear_log(); }
    std::unique_ptr<SratInfo> s = std::make_unique<SratInfo>();
    std::unique_ptr<SlitInfo> l = std::make_unique<SlitInfo>();
    std::unique_ptr<NumaInfo> n = std::make_unique<NumaInfo>();
    /// The summary numa_log() prints, one string per line.
    std::vector<std::string> summary(const CpuTable& t) {
        size_t before = captured_log().size();
        numa_log(*n, t);
        return {captured_log().begin() + long(before), captured_log().end()};
    }
    /// Parse @p t as an SRAT; it must fail with exactly one warning containing @p why.
    void srat_bad(const std::vector<uint8_t>& t, const std::string& why, size_t avail = SIZE_MAX) {
        clear_log();
        BOOST_TEST(!srat_parse(t.data(), avail < t.size() ? avail : t.size(), s.get()));
        BOOST_TEST(!s->found);
        BOOST_TEST(s->ncpus + s->nmem == 0u);
        BOOST_TEST(log_count("WARN") == 1u);
        BOOST_TEST(log_contains(why), "wanted '" << why << "', got '" << (captured_log().empty() ? "" : captured_log()[0]) << "'");
        // The policy then falls back to one node.
        auto t1 = table_of({0, 1});
        numa_build(n.get(), s.get(), nullptr, *t1);
        BOOST_TEST(n->nodes == 1u);
        BOOST_TEST(std::string(n->one_node_why) == "SRAT not used");
    }
    void slit_bad(const std::vector<uint8_t>& t, const std::string& why, size_t avail = SIZE_MAX) {
        clear_log();
        BOOST_TEST(!slit_parse(t.data(), avail < t.size() ? avail : t.size(), l.get()));
        BOOST_TEST(!l->found);
        BOOST_TEST(log_count("WARN") == 1u);
        BOOST_TEST(log_contains(why), "wanted '" << why << "', got '" << (captured_log().empty() ? "" : captured_log()[0]) << "'");
    }
};

std::string path(const std::string& name, const char* ext) {
    return std::string(test_data_dir()) + "/tables/" + name + ext;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(numa)

// The kernel's path on machines recorded with -numa: the entries the
// recorder's independent parse found, the nodes, the line the boot prints.
BOOST_FIXTURE_TEST_CASE(recorded_machines, Fixture) {
    const std::pair<const char*, const char*> machines[] = {
        {"pc-numa2", "numa: 2 nodes; node 0: cpus 0-1, 512 MiB; node 1: cpus 2-3, 512 MiB; distances 10 20 / 20 10"},
        {"q35-numa4", "numa: 4 nodes; node 0: cpus 0, 256 MiB; node 1: cpus 1, 256 MiB; node 2: cpus 2, 256 MiB; "
                      "node 3: cpus 3, 256 MiB; distances 10 15 20 25 / 15 10 15 20 / 20 15 10 15 / 25 20 15 10"},
        {"pc-smp4", "numa: 1 node (no SRAT); node 0: cpus 0-3, all memory; distances 10"},
        {"ovmf-smp4", "numa: 1 node (no SRAT); node 0: cpus 0-3, all memory; distances 10"},
    };
    for (auto [name, line] : machines) {
        BOOST_TEST_CONTEXT(name) {
            clear_log();
            Snapshot snap = Snapshot::load(path(name, ".snap"));
            auto madt = std::make_unique<MadtInfo>();
            Rsdp rsdp{};
            AcpiRsdpTags tags;  // OVMF's RSDP comes as a boot loader tag only
            tags.v1 = snap.mem().map(snap.rsdp, 20);
            tags.v1_len = 20;
            BOOST_TEST(acpi_discover(snap.mem(), tags, madt.get(), &rsdp));
            auto t = std::make_unique<CpuTable>();
            cpu_table_build(t.get(), madt.get(), nullptr, false, CPU_LIMIT_NONE, 0, 0);
            numa_discover(snap.mem(), &rsdp, *t, s.get(), l.get(), n.get());
            BOOST_TEST(summary(*t) == std::vector<std::string>{line}, boost::test_tools::per_element());
            BOOST_TEST(log_count("WARN") == 0u);
            if (n->one_node_why) continue;
            std::vector<std::string> cpus, mems;
            for (uint32_t i = 0; i < s->ncpus; ++i)
                cpus.push_back(std::to_string(s->cpus[i].apic_id) + " " + std::to_string(s->cpus[i].domain) + " enabled");
            for (uint32_t i = 0; i < s->nmem; ++i) {
                std::ostringstream o;
                o << std::hex << "0x" << s->mem[i].base << " 0x" << s->mem[i].len << std::dec << " " << s->mem[i].domain
                  << " " << (s->mem[i].hotplug ? 3 : 1);
                mems.push_back(o.str());
            }
            BOOST_TEST(cpus == expect_lines(path(name, ".expect"), "srat-cpu"), boost::test_tools::per_element());
            // The recorder lists the empty, disabled entries QEMU pads with; the parser skips them.
            auto want = expect_lines(path(name, ".expect"), "srat-mem");
            std::erase_if(want, [](const std::string& w) { return w.ends_with(" 0"); });
            BOOST_TEST(mems == want, boost::test_tools::per_element());
            std::string row = std::to_string(l->n);
            for (uint32_t i = 0; i < l->n; ++i)
                for (uint32_t j = 0; j < l->n; ++j) row += " " + std::to_string(l->dist[i][j]);
            BOOST_TEST(std::vector<std::string>{row} == expect_lines(path(name, ".expect"), "slit"),
                       boost::test_tools::per_element());
            // Every CPU on its domain's node; memory found by address.
            for (uint32_t k = 0; k < t->usable; ++k) BOOST_TEST(n->cpu_node[k] == (l->n == 2 ? k / 2 : k));
            BOOST_TEST(numa_node_of(*n, 0x1000) == 0);
            BOOST_TEST(numa_node_of(*n, 0xA0000) == -1);  // the VGA hole is in no range
            BOOST_TEST(numa_node_of(*n, 0x3FFFFFFF) == int(n->nodes) - 1);
            BOOST_TEST(numa_node_of(*n, 0x40000000) == -1);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(all_entry_types_and_flags, Fixture) {
    auto t = srat({cpu(0, 0), cpu(1, 0x123456), x2cpu(300, 7), cpu(2, 1, 0), x2cpu(301, 7, 0),
                   mem(0, 640 * 1024, 0), mem(M, 127 * M, 0), mem(128 * M, 0, 1), mem(256 * M, 64 * M, 7, 0),
                   mem(1ull << 32, 1ull << 30, 7, 3),
                   Bytes().u8(3).u8(18).zeros(16).b,        // GICC affinity: not ours, skipped
                   Bytes().u8(0x7F).u8(2).b});              // a future type, as short as can be
    BOOST_TEST(srat_parse(t.data(), t.size(), s.get()));
    BOOST_TEST(s->ncpus == 3u);
    BOOST_TEST(s->cpus[1].apic_id == 1u);
    BOOST_TEST(s->cpus[1].domain == 0x123456u);  // bits 31:8 come from bytes 9..11
    BOOST_TEST(s->cpus[2].apic_id == 300u);
    BOOST_TEST(s->cpus[2].domain == 7u);
    BOOST_TEST(s->nmem == 3u);  // the empty range and the disabled one are not kept
    BOOST_TEST(s->mem[2].hotplug);
    BOOST_TEST(s->disabled == 3u);
    BOOST_TEST(log_count("WARN") == 0u);
}

BOOST_FIXTURE_TEST_CASE(bad_srat_tables, Fixture) {
    auto good = srat({cpu(0, 0), mem(M, M, 0)});
    srat_bad(good, "srat: length does not fit (length 104, 103 bytes available); table not used", good.size() - 1);
    srat_bad(good, "srat: signature missing", 40);
    auto sum = good;
    sum[50] ^= 1;
    srat_bad(sum, "srat: bad checksum");
    srat_bad(srat({cpu(0, 0), Bytes().u8(1).u8(40).zeros(20).b}), "an entry runs past the table end (at offset 64");
    srat_bad(srat({cpu(0, 0), Bytes().u8(0).u8(0).zeros(14).b}), "an entry of length 0 or 1 (at offset 64");
    srat_bad(srat({Bytes().u8(0x7F).u8(1).b}), "an entry of length 0 or 1");
    srat_bad(srat({cpu(0, 0), Bytes().u8(5).b}), "stray bytes after the last entry (at offset 64 of 65 bytes)");
    srat_bad(srat({Bytes().u8(1).u8(24).zeros(22).b}), "an entry is too short for its type (at offset 48");
    srat_bad(srat({Bytes().u8(2).u8(16).zeros(14).b}), "an entry is too short for its type");
    srat_bad(srat({mem(~0ull - M, 2 * M, 0)}), "a memory range wraps past 2^64");
    std::vector<std::vector<uint8_t>> many;
    for (uint32_t i = 0; i <= MAX_SRAT_MEM; ++i) many.push_back(mem(i * M, M, 0));
    srat_bad(srat(many), "more memory ranges than the kernel keeps");
    srat_bad({}, "srat: signature missing");
}

BOOST_FIXTURE_TEST_CASE(slit_good_and_bad, Fixture) {
    auto t = slit(3, {10, 20, 30, 21, 10, 40, 31, 41, 10});
    BOOST_TEST(slit_parse(t.data(), t.size(), l.get()));
    BOOST_TEST(l->n == 3u);
    BOOST_TEST(l->dist[0][2] == 30);
    BOOST_TEST(l->dist[2][0] == 31);  // the matrix need not be symmetric
    t = slit(2, {10, 255, 255, 10});  // 0xFF: unreachable, still a valid entry
    BOOST_TEST(slit_parse(t.data(), t.size(), l.get()));
    BOOST_TEST(log_count("WARN") == 0u);

    slit_bad(slit(0, {}), "slit: 0 localities");
    slit_bad(slit(MAX_NUMA_NODES + 1, std::vector<uint8_t>((MAX_NUMA_NODES + 1) * (MAX_NUMA_NODES + 1), 10)),
             "more localities than the kernel keeps");
    slit_bad(slit(1ull << 40, {10}), "more localities than the kernel keeps");  // k * k would overflow
    slit_bad(slit(3, {10, 20, 20, 10}), "slit: the matrix runs past the table end (3 localities, 48 bytes)");
    slit_bad(slit(2, {10, 20, 20, 11}), "a locality is not at distance 10 from itself");
    slit_bad(slit(2, {10, 9, 20, 10}), "a distance between two localities is 10 or less");
    slit_bad(slit(2, {10, 10, 20, 10}), "a distance between two localities is 10 or less");
    t = slit(2, {10, 20, 20, 10});
    slit_bad(t, "slit: length does not fit", t.size() - 1);
    slit_bad(t, "slit: signature missing", 43);
}

BOOST_FIXTURE_TEST_CASE(sparse_domains_become_dense_nodes, Fixture) {
    auto tb = table_of({0, 1, 2, 3});
    auto t = srat({cpu(0, 9), cpu(1, 9), cpu(2, 5), cpu(3, 5), mem(0, 64 * M, 9), mem(64 * M, 64 * M, 5)});
    BOOST_TEST(srat_parse(t.data(), t.size(), s.get()));
    numa_build(n.get(), s.get(), nullptr, *tb);
    BOOST_TEST(n->nodes == 2u);
    BOOST_TEST(n->domain[0] == 5u);  // ascending proximity domains
    BOOST_TEST(n->domain[1] == 9u);
    BOOST_TEST(n->cpu_node[0] == 1);
    BOOST_TEST(n->cpu_node[2] == 0);
    BOOST_TEST(!n->have_slit);
    BOOST_TEST(summary(*tb) == std::vector<std::string>{"numa: 2 nodes; node 0: cpus 2-3, 64 MiB; node 1: cpus 0-1, "
                                                        "64 MiB; distances 10 20 / 20 10"},
               boost::test_tools::per_element());
    BOOST_TEST(numa_node_of(*n, 64 * M) == 0);
    BOOST_TEST(numa_node_of(*n, 64 * M - 1) == 1);
    BOOST_TEST(numa_node_of(*n, 128 * M) == -1);

    // A SLIT that does not reach domain 9: the default distances, said once.
    auto s2 = slit(6, std::vector<uint8_t>(36, 20));
    for (int i = 0; i < 6; ++i) s2[44 + i * 7] = 10;
    fix_checksum(s2, 9);
    BOOST_TEST(slit_parse(s2.data(), s2.size(), l.get()));
    clear_log();
    numa_build(n.get(), s.get(), l.get(), *tb);
    BOOST_TEST(!n->have_slit);
    BOOST_TEST(n->distance[0][1] == NUMA_REMOTE);
    BOOST_TEST(log_count("WARN: numa: the SLIT has 6 localities but the SRAT names domain 9") == 1u);
}

// The SLIT is indexed by proximity domain, the distance matrix by node: with
// domains 0 and 2 (node 1 is domain 2) the two differ.
BOOST_FIXTURE_TEST_CASE(slit_read_by_domain_not_by_node, Fixture) {
    auto tb = table_of({0, 1});
    auto t = srat({cpu(0, 0), cpu(1, 2), mem(0, 64 * M, 0), mem(64 * M, 64 * M, 2)});
    BOOST_TEST(srat_parse(t.data(), t.size(), s.get()));
    auto d = slit(3, {10, 20, 30, 20, 10, 25, 30, 25, 10});
    BOOST_TEST(slit_parse(d.data(), d.size(), l.get()));
    numa_build(n.get(), s.get(), l.get(), *tb);
    BOOST_TEST(n->nodes == 2u);
    BOOST_TEST(n->domain[1] == 2u);
    BOOST_TEST(n->have_slit);
    BOOST_TEST(n->distance[0][0] == 10u);
    BOOST_TEST(n->distance[0][1] == 30u);  // domains 0 and 2, not 0 and 1 (20)
    BOOST_TEST(n->distance[1][0] == 30u);
    BOOST_TEST(n->distance[1][1] == 10u);
}

BOOST_FIXTURE_TEST_CASE(policy_corner_cases, Fixture) {
    auto tb = table_of({0, 2, 4});
    // A CPU the SRAT does not list goes to node 0, with one warning.
    auto t = srat({cpu(0, 1), cpu(2, 0), mem(0, 32 * M, 0), mem(32 * M, 32 * M, 1), mem(1ull << 32, M, 2, 3)});
    BOOST_TEST(srat_parse(t.data(), t.size(), s.get()));
    numa_build(n.get(), s.get(), nullptr, *tb);
    BOOST_TEST(n->nodes == 2u);  // the hot-pluggable range's domain 2 is no node
    BOOST_TEST(n->cpu_node[2] == 0);
    BOOST_TEST(log_count("WARN: numa: 1 cpu(s) have no SRAT entry (the first: apic 4); placed on node 0") == 1u);

    // A memory-only node, and CPUs with no memory of their own.
    clear_log();
    t = srat({cpu(0, 0), cpu(2, 0), cpu(4, 0), mem(0, 16 * M, 3)});
    BOOST_TEST(srat_parse(t.data(), t.size(), s.get()));
    numa_build(n.get(), s.get(), nullptr, *tb);
    BOOST_TEST(summary(*tb) == std::vector<std::string>{"numa: 2 nodes; node 0: cpus 0-2, 0 MiB; node 1: cpus none, "
                                                        "16 MiB; distances 10 20 / 20 10"},
               boost::test_tools::per_element());

    // One byte in two domains: no answer can be right, so one node.
    clear_log();
    t = srat({cpu(0, 0), cpu(2, 1), mem(0, 32 * M, 0), mem(16 * M, 32 * M, 1)});
    BOOST_TEST(srat_parse(t.data(), t.size(), s.get()));
    numa_build(n.get(), s.get(), nullptr, *tb);
    BOOST_TEST(n->nodes == 1u);
    BOOST_TEST(log_count("WARN: numa: the SRAT puts 0x1000000 in domains 0 and 1; one node") == 1u);
    BOOST_TEST(summary(*tb) == std::vector<std::string>{"numa: 1 node (SRAT ranges overlap); node 0: cpus 0-2, all "
                                                        "memory; distances 10"},
               boost::test_tools::per_element());
    // Overlap within one domain is harmless.
    t = srat({cpu(0, 0), mem(0, 32 * M, 0), mem(16 * M, 32 * M, 0)});
    BOOST_TEST(srat_parse(t.data(), t.size(), s.get()));
    numa_build(n.get(), s.get(), nullptr, *tb);
    BOOST_TEST(n->one_node_why == nullptr);

    // More domains than the kernel keeps.
    clear_log();
    std::vector<std::vector<uint8_t>> many;
    for (uint32_t d = 0; d <= MAX_NUMA_NODES; ++d) many.push_back(mem(d * M, M, d));
    t = srat(many);
    BOOST_TEST(srat_parse(t.data(), t.size(), s.get()));
    numa_build(n.get(), s.get(), nullptr, *tb);
    BOOST_TEST(n->nodes == 1u);
    BOOST_TEST(log_count("more than 16 proximity domains; one node") == 1u);

    // No SRAT: one node, and numa_node_of() says 0 for everything.
    numa_build(n.get(), nullptr, nullptr, *tb);
    BOOST_TEST(std::string(n->one_node_why) == "no SRAT");
    BOOST_TEST(numa_node_of(*n, 5ull << 40) == 0);
}

BOOST_FIXTURE_TEST_CASE(many_nodes_print_a_line_each, Fixture) {
    std::vector<uint32_t> apics;
    std::vector<std::vector<uint8_t>> e;
    for (uint32_t d = 0; d < 6; ++d) {
        apics.push_back(d);
        e.push_back(cpu(d, d));
        e.push_back(mem(d * 16 * M, 16 * M, d));
    }
    auto tb = table_of(apics);
    auto t = srat(e);
    BOOST_TEST(srat_parse(t.data(), t.size(), s.get()));
    numa_build(n.get(), s.get(), nullptr, *tb);
    auto lines = summary(*tb);
    BOOST_TEST(lines.size() == 7u);
    BOOST_TEST(lines.at(0) == "numa: 6 nodes");
    BOOST_TEST(lines.at(6) == "numa: node 5: cpus 5, 16 MiB; distances 20 20 20 20 20 10");
}

BOOST_FIXTURE_TEST_CASE(nearest_first_order, Fixture) {
    n->nodes = 4;
    const uint8_t d[4][4] = {{10, 30, 20, 30}, {30, 10, 40, 20}, {20, 40, 10, 25}, {30, 20, 25, 10}};
    for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) n->distance[a][b] = d[a][b];
    uint32_t order[MAX_NUMA_NODES];
    BOOST_TEST(numa_by_distance(*n, 0, order) == 4u);
    BOOST_TEST((std::vector<uint32_t>(order, order + 4)) == (std::vector<uint32_t>{0, 2, 1, 3}),
               boost::test_tools::per_element());  // ties by node number
    numa_by_distance(*n, 3, order);
    BOOST_TEST((std::vector<uint32_t>(order, order + 4)) == (std::vector<uint32_t>{3, 1, 2, 0}),
               boost::test_tools::per_element());
    numa_by_distance(*n, 9, order);  // no such node: from node 0
    BOOST_TEST(order[0] == 0u);
}

// alloc_within() is what makes allocation node-first: a run inside one node's
// range, or nothing, without breaking alloc()'s hint.
BOOST_AUTO_TEST_CASE(frames_within_a_node) {
    const std::vector<Mb2MemRegion> map = {{0, 0x9fc00, 1}, {M, 63 * M, 1}};
    auto fa = std::make_unique<FrameAllocator>();
    fa->init(map.data(), map.size(), nullptr, 0);
    uint64_t hi = fa->alloc_within(2, 32 * M, 64 * M);
    BOOST_TEST(hi == 32 * M);
    BOOST_TEST(fa->alloc() == M);  // node 0 untouched by node 1's allocation
    BOOST_TEST(fa->alloc_within(1, 0, 32 * M) == M + 4096);
    BOOST_TEST(fa->alloc_within(1, 64 * M, 128 * M) == 0u);  // beyond memory
    BOOST_TEST(fa->alloc_within(1, 32 * M, 32 * M) == 0u);   // empty range
    // Fill node 1 [32, 64) MiB: then it has nothing, and node 0 still does.
    while (fa->alloc_within(1, 32 * M, 64 * M) != 0) {}
    BOOST_TEST(fa->alloc_within(1, 32 * M, 64 * M) == 0u);
    uint64_t p = fa->alloc_within(1, 0, 32 * M);
    BOOST_TEST((p >= M && p < 32 * M));
    BOOST_TEST(fa->alloc(8) > 0u);
    fa->free(hi, 2);
    BOOST_TEST(fa->alloc_within(2, 32 * M, 64 * M) == hi);

    // A run must lie wholly inside the range, which is cut to whole frames.
    fa->init(map.data(), map.size(), nullptr, 0);
    BOOST_TEST(fa->alloc_within(2, M, M + 4096) == 0u);
    BOOST_TEST(fa->alloc_within(1, M + 1, M + 2 * 4096 + 5) == M + 4096);
}

BOOST_AUTO_TEST_SUITE_END()
