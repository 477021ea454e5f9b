// The physical frame allocator: which frames a memory map makes usable, and
// how runs are handed out, given back and refused.
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>
#include "host_log.h"
#include "kalloc.h"

namespace {

constexpr uint64_t K = 1024, M = 1024 * K, G = 1024 * M;

// What QEMU's SeaBIOS reports for -m 128M (plus the BIOS ROM at 4 GiB - 256 KiB).
const std::vector<Mb2MemRegion> kQemu = {
    {0x0, 0x9fc00, 1},          {0x9fc00, 0x400, 2},       {0xf0000, 0x10000, 2},
    {0x100000, 0x7ee0000, 1},   {0x7fe0000, 0x20000, 2},   {0xfffc0000, 0x40000, 2},
};

std::unique_ptr<FrameAllocator> make(const std::vector<Mb2MemRegion>& map,
                                     const std::vector<PhysRange>& res = {},
                                     uint64_t max_phys = FrameAllocator::kMaxPhys) {
    clear_log();
    auto fa = std::make_unique<FrameAllocator>();
    fa->init(map.data(), map.size(), res.data(), res.size(), max_phys);
    return fa;
}

std::vector<std::pair<uint64_t, uint64_t>> ranges(const FrameAllocator& fa) {
    std::vector<std::pair<uint64_t, uint64_t>> v;
    for (size_t i = 0; i < fa.usable_range_count(); ++i)
        v.push_back({fa.usable_range(i).base, fa.usable_range(i).len});
    return v;
}
using RangeList = std::vector<std::pair<uint64_t, uint64_t>>;

size_t warnings() { return log_count("WARN: "); }

}  // namespace

BOOST_AUTO_TEST_SUITE(kalloc)

BOOST_AUTO_TEST_CASE(qemu_map_with_kernel_and_boot_info) {
    auto fa = make(kQemu, {{0x100000, 0x80000}, {0x190000, 0x1234}});
    BOOST_TEST(warnings() == 0u);
    // 0x100000..0x7fe0000 minus the kernel (128 frames) and the boot info (2).
    BOOST_TEST(fa->total_frames() == 0x7ee0u - 128 - 2);
    BOOST_TEST(fa->free_frames() == fa->total_frames());
    // 0x1000..0x9f000: frame 0x9f is cut by the reserved entry at 0x9fc00.
    BOOST_TEST(fa->low_total_frames() == 0x9eu);
    RangeList want = {{0x1000, 0x9e000}, {0x180000, 0x10000}, {0x192000, 0x7fe0000 - 0x192000}};
    BOOST_TEST(ranges(*fa) == want);
    BOOST_TEST(!fa->is_free(0));
    BOOST_TEST(fa->is_free(0x1000));
    BOOST_TEST(!fa->is_free(0x9f000));
    BOOST_TEST(!fa->is_free(0xa0000));
    BOOST_TEST(!fa->is_free(0x100000));
    BOOST_TEST(fa->is_free(0x180000));
    BOOST_TEST(!fa->is_free(0x191000));
    BOOST_TEST(!fa->is_free(0x7fe0000));
    BOOST_TEST(!fa->is_free(0xffffffffffull));
    BOOST_TEST(fa->alloc() == 0x180000u);  // lowest first, never below 1 MiB
}

BOOST_AUTO_TEST_CASE(overlapping_entries) {
    auto fa = make({
        {1 * M, 15 * M, 1},
        {4 * M, 16 * M, 1},           // overlaps the first: union up to 20 MiB
        {8 * M + 0x100, 0x800, 2},    // inside, unaligned: costs one whole frame
        {12 * M, 64 * K, 3},          // ACPI tables inside available RAM
        {19 * M, 2 * M, 4},           // NVS straddling the end
    });
    BOOST_TEST(warnings() == 0u);
    RangeList want = {{1 * M, 7 * M}, {8 * M + 4 * K, 4 * M - 4 * K},
                      {12 * M + 64 * K, 7 * M - 64 * K}};
    BOOST_TEST(ranges(*fa) == want);
    BOOST_TEST(fa->total_frames() == (18 * M - 4 * K - 64 * K) / kFrameSize);
    BOOST_TEST(!fa->is_free(8 * M));
}

BOOST_AUTO_TEST_CASE(unsorted_entries_give_the_same_result) {
    std::vector<Mb2MemRegion> map = kQemu;
    map.push_back({0x3000000, 0x100000, 2});
    map.push_back({0x2f80000, 0x200000, 1});  // overlaps the hole above: the hole wins
    auto ref = make(map);
    RangeList want = ranges(*ref);
    BOOST_TEST(!ref->is_free(0x3000000));
    BOOST_TEST(ref->is_free(0x2fff000));
    std::mt19937 rng(7);
    for (int round = 0; round < 50; ++round) {
        std::shuffle(map.begin(), map.end(), rng);
        auto fa = make(map);
        BOOST_TEST(ranges(*fa) == want);
        BOOST_TEST(fa->total_frames() == ref->total_frames());
        BOOST_TEST(fa->low_total_frames() == ref->low_total_frames());
    }
}

BOOST_AUTO_TEST_CASE(reserved_wins_whatever_the_order) {
    // The reserved entry comes first and lies fully inside the available one.
    auto fa = make({{2 * M, 4 * K, 2}, {1 * M, 2 * M, 1}, {1 * M + 100, 1, 5}});
    RangeList want = {{1 * M + 4 * K, 1 * M - 4 * K}, {2 * M + 4 * K, 1 * M - 4 * K}};
    BOOST_TEST(ranges(*fa) == want);
    // Reserved ranges passed by the kernel, also overlapping each other.
    fa = make({{1 * M, 2 * M, 1}}, {{1 * M + 8 * K, 8 * K}, {1 * M + 12 * K, 1}, {0, 1 * M + 1}});
    want = {{1 * M + 4 * K, 4 * K}, {1 * M + 16 * K, 2 * M - 16 * K}};
    BOOST_TEST(ranges(*fa) == want);
    BOOST_TEST(fa->low_total_frames() == 0u);
}

BOOST_AUTO_TEST_CASE(exhaustion_returns_zero) {
    auto fa = make({{1 * M, 10 * kFrameSize, 1}});
    BOOST_TEST(fa->total_frames() == 10u);
    std::set<uint64_t> got;
    for (int i = 0; i < 10; ++i) {
        uint64_t p = fa->alloc();
        BOOST_TEST(p >= 1 * M);
        BOOST_TEST(p < 1 * M + 40 * K);
        BOOST_TEST(p % kFrameSize == 0u);
        got.insert(p);
    }
    BOOST_TEST(got.size() == 10u);
    BOOST_TEST(fa->free_frames() == 0u);
    BOOST_TEST(fa->alloc() == 0u);
    BOOST_TEST(fa->alloc(3) == 0u);
    BOOST_TEST(fa->alloc(0) == 0u);
    fa->free(1 * M + 5 * kFrameSize);
    BOOST_TEST(fa->alloc() == 1 * M + 5 * kFrameSize);
    BOOST_TEST(fa->alloc(size_t(1) << 40) == 0u);
    BOOST_TEST(warnings() == 0u);
}

BOOST_AUTO_TEST_CASE(contiguous_runs) {
    // Two islands of 3 and 40 frames.
    auto fa = make({{1 * M, 3 * kFrameSize, 1}, {2 * M, 40 * kFrameSize, 1}});
    BOOST_TEST(fa->alloc(4) == 2 * M);  // does not fit the first island
    BOOST_TEST(fa->alloc(3) == 1 * M);
    BOOST_TEST(fa->alloc(36) == 2 * M + 4 * kFrameSize);
    BOOST_TEST(fa->alloc(2) == 0u);  // none left at all
    BOOST_TEST(fa->free_frames() == 0u);
    // Free every other frame: plenty free, but no run of two.
    for (uint64_t i = 0; i < 36; i += 2) fa->free(2 * M + (4 + i) * kFrameSize);
    BOOST_TEST(fa->free_frames() == 18u);
    BOOST_TEST(fa->alloc(2) == 0u);
    BOOST_TEST(fa->alloc(1) == 2 * M + 4 * kFrameSize);
    fa->free(2 * M + 7 * kFrameSize);
    BOOST_TEST(fa->alloc(2) == 2 * M + 6 * kFrameSize);
    BOOST_TEST(warnings() == 0u);
}

BOOST_AUTO_TEST_CASE(long_runs_cross_bitmap_words) {
    auto fa = make({{16 * M, 64 * M, 1}});
    uint64_t a = fa->alloc(5);
    uint64_t b = fa->alloc(1000);
    uint64_t c = fa->alloc(70);
    BOOST_TEST(a == 16 * M);
    BOOST_TEST(b == a + 5 * kFrameSize);
    BOOST_TEST(c == b + 1000 * kFrameSize);
    fa->free(b, 1000);
    BOOST_TEST(fa->alloc(999) == b);
    BOOST_TEST(fa->alloc(2) == c + 70 * kFrameSize);  // 1 frame left at b+999 is too short
    BOOST_TEST(fa->alloc(1) == b + 999 * kFrameSize);
    BOOST_TEST(fa->free_frames() == 64 * M / kFrameSize - 5 - 1000 - 70 - 2);
}

BOOST_AUTO_TEST_CASE(free_everything_and_allocate_again) {
    auto fa = make(kQemu, {{0x100000, 0x80000}});
    std::vector<uint64_t> got;
    for (uint64_t p; (p = fa->alloc(7)) != 0;) got.push_back(p);
    BOOST_TEST(fa->free_frames() < 7u);
    size_t left = fa->free_frames();
    for (uint64_t p : got) fa->free(p, 7);
    BOOST_TEST(fa->free_frames() == fa->total_frames());
    BOOST_TEST(got.size() == (fa->total_frames() - left) / 7);
    BOOST_TEST(fa->alloc(fa->total_frames()) == 0x180000u);
    BOOST_TEST(warnings() == 0u);
}

BOOST_AUTO_TEST_CASE(bad_frees_are_reported_and_ignored) {
    auto fa = make(kQemu);
    uint64_t p = fa->alloc(4);
    size_t before = fa->free_frames();
    struct Case { uint64_t phys; size_t n; const char* line; };
    const Case cases[] = {
        {p + 2 * kFrameSize, 4, "free(0x102000, 4): already free (double free); ignored"},
        {p + 0x10, 1, "free(0x100010, 1): not frame-aligned; ignored"},
        {0x9000, 1, "free(0x9000, 1): below 1 MiB, where frames are reserved by name for good; ignored"},
        {0x7fe0000, 1, "free(0x7fe0000, 1): never usable; ignored"},
        {0x7fdf000, 2, "free(0x7fdf000, 2): never usable; ignored"},  // runs off the end
        {0x200000000ull, 1, "free(0x200000000, 1): never usable; ignored"},
        {p, size_t(1) << 40, "free(0x100000, 1099511627776): never usable; ignored"},
    };
    for (const Case& c : cases) {
        clear_log();
        fa->free(c.phys, c.n);
        BOOST_TEST_CONTEXT(c.line) {
            BOOST_TEST(captured_log().size() == 1u);
            BOOST_TEST(log_contains(std::string("WARN: kalloc: ") + c.line));
            BOOST_TEST(fa->free_frames() == before);
        }
    }
    clear_log();
    fa->free(p, 4);
    BOOST_TEST(warnings() == 0u);
    fa->free(p, 4);
    BOOST_TEST(log_count("double free") == 1u);
    BOOST_TEST(fa->free_frames() == before + 4);
    fa->free(p, 0);  // nothing to do
    BOOST_TEST(warnings() == 1u);
}

BOOST_AUTO_TEST_CASE(low_reservations_by_name) {
    auto fa = make(kQemu, {{0x7000, 0x1000}});
    BOOST_TEST(fa->low_total_frames() == 0x9eu - 1);
    uint64_t tramp = fa->reserve_low("ap-trampoline");
    BOOST_TEST(tramp == 0x1000u);
    BOOST_TEST(fa->reserve_low("stacks", 6) == 0x8000u);  // 0x2000..0x7000 holds 5, 0x7000 is taken
    BOOST_TEST(fa->reserve_low("a-name-much-longer-than-the-slot", 2) == 0x2000u);
    BOOST_TEST(fa->low_free_frames() == 0x9du - 9);
    BOOST_TEST(fa->low_reservation_count() == 3u);
    BOOST_TEST(std::string(fa->low_reservation(0).name) == "ap-trampoline");
    BOOST_TEST(fa->low_reservation(0).base == 0x1000u);
    BOOST_TEST(fa->low_reservation(0).nframes == 1u);
    BOOST_TEST(std::string(fa->low_reservation(1).name) == "stacks");
    BOOST_TEST(fa->low_reservation(1).nframes == 6u);
    BOOST_TEST(std::string(fa->low_reservation(2).name) == "a-name-much-longer-than");
    BOOST_TEST(!fa->is_free(0x1000));
    BOOST_TEST(warnings() == 0u);
    // Nothing from the low pool reaches alloc(), and low frames cannot be freed.
    BOOST_TEST(fa->free_frames() == fa->total_frames());
    fa->free(tramp);
    BOOST_TEST(log_contains("below 1 MiB"));
    BOOST_TEST(!fa->is_free(tramp));

    clear_log();
    BOOST_TEST(fa->reserve_low("huge", 200) == 0u);
    BOOST_TEST(log_contains("WARN: kalloc: reserve_low(huge): no run of 200 free frames below 0xA0000 (148 free there)"));
    BOOST_TEST(fa->reserve_low("none", 0) == 0u);
    for (int i = 3; i < 8; ++i) BOOST_TEST(fa->reserve_low("x") != 0u);
    clear_log();
    BOOST_TEST(fa->reserve_low("ninth") == 0u);
    BOOST_TEST(log_contains("WARN: kalloc: reserve_low(ninth): all 8 reservation slots taken"));
    BOOST_TEST(fa->low_reservation_count() == 8u);
}

BOOST_AUTO_TEST_CASE(alloc_never_hands_out_low_memory) {
    auto fa = make({{0, 0xa0000, 1}, {0x100000, 2 * kFrameSize, 1}});
    BOOST_TEST(fa->total_frames() == 2u);
    BOOST_TEST(fa->alloc() == 0x100000u);
    BOOST_TEST(fa->alloc() == 0x101000u);
    BOOST_TEST(fa->alloc() == 0u);
    BOOST_TEST(fa->low_free_frames() == 0x9fu);
}

BOOST_AUTO_TEST_CASE(nothing_usable) {
    for (auto map : {std::vector<Mb2MemRegion>{},
                     std::vector<Mb2MemRegion>{{0, 0xa0000, 2}, {1 * M, 100 * M, 2}},
                     std::vector<Mb2MemRegion>{{1 * M, 100 * M, 1}, {0, 200 * M, 2}},
                     std::vector<Mb2MemRegion>{{0x1800, 0x1000, 1}, {5 * G, 1 * G, 1}}}) {
        auto fa = make(map);
        BOOST_TEST(fa->total_frames() == 0u);
        BOOST_TEST(fa->low_total_frames() == 0u);
        BOOST_TEST(fa->usable_range_count() == 0u);
        BOOST_TEST(fa->alloc() == 0u);
        BOOST_TEST(fa->reserve_low("ap-trampoline") == 0u);
        BOOST_TEST(log_count("WARN: ") == 1u);
        fa->free(1 * M);
        BOOST_TEST(log_contains("never usable"));
    }
}

BOOST_AUTO_TEST_CASE(limit_and_huge_entries) {
    auto fa = make({{1 * M, 8 * G, 1}});
    BOOST_TEST(fa->total_frames() == (4 * G - 1 * M) / kFrameSize);
    fa = make({{1 * M, 8 * G, 1}}, {}, 64 * M + 100);
    BOOST_TEST(fa->total_frames() == (64 * M - 1 * M) / kFrameSize);
    BOOST_TEST(!fa->is_free(64 * M));
    // Entries that wrap the address space or start above every limit.
    fa = make({{1 * M, ~0ull, 1}, {~0ull - 4095, 8192, 1}, {3 * G, ~0ull, 2}});
    BOOST_TEST(fa->total_frames() == (3 * G - 1 * M) / kFrameSize);
    BOOST_TEST(warnings() == 0u);
    // The last frame below 4 GiB can be allocated and freed.
    fa = make({{4 * G - 8 * K, 8 * K, 1}});
    BOOST_TEST(fa->alloc(2) == 4 * G - 8 * K);
    fa->free(4 * G - 8 * K, 2);
    BOOST_TEST(fa->free_frames() == 2u);
    BOOST_TEST(warnings() == 0u);
}

BOOST_AUTO_TEST_CASE(too_many_ranges_are_cut_with_a_warning) {
    std::vector<Mb2MemRegion> map;
    for (uint64_t i = 0; i < 300; ++i) map.push_back({1 * M + i * 2 * kFrameSize, kFrameSize, 1});
    auto fa = make(map);
    BOOST_TEST(fa->usable_range_count() == FrameAllocator::kMaxRanges);
    BOOST_TEST(fa->total_frames() == 256u);
    BOOST_TEST(log_contains("WARN: kalloc: memory map splits into more than 256 ranges; 44 frames left unused"));
    uint64_t dropped = 1 * M + 299 * 2 * kFrameSize;
    BOOST_TEST(!fa->is_free(dropped));
    clear_log();
    fa->free(dropped);
    BOOST_TEST(log_contains("never usable"));
}

BOOST_AUTO_TEST_CASE(random_alloc_free_against_a_model) {
    auto fa = make(kQemu, {{0x100000, 0x80000}, {0x3000000, 0x123456}});
    std::mt19937 rng(2024);
    std::map<uint64_t, size_t> live;  // base -> frames
    std::set<uint64_t> used;          // every frame handed out
    for (int step = 0; step < 20000; ++step) {
        if (live.empty() || rng() % 3 != 0) {
            size_t n = 1 + rng() % (rng() % 8 == 0 ? 300 : 4);
            uint64_t p = fa->alloc(n);
            if (!p) continue;
            for (size_t i = 0; i < n; ++i) {
                uint64_t f = p + i * kFrameSize;
                BOOST_TEST_REQUIRE(used.insert(f).second);  // no overlap
                BOOST_TEST_REQUIRE(!fa->is_free(f));
                BOOST_TEST_REQUIRE(f >= 1 * M);
                BOOST_TEST_REQUIRE((f < 0x3000000 || f >= 0x3124000));
            }
            live[p] = n;
        } else {
            auto it = live.begin();
            std::advance(it, rng() % live.size());
            fa->free(it->first, it->second);
            for (size_t i = 0; i < it->second; ++i) used.erase(it->first + i * kFrameSize);
            live.erase(it);
        }
        BOOST_TEST_REQUIRE(fa->free_frames() + used.size() == fa->total_frames());
    }
    for (auto& [p, n] : live) fa->free(p, n);
    BOOST_TEST(fa->free_frames() == fa->total_frames());
    BOOST_TEST(warnings() == 0u);
}

BOOST_AUTO_TEST_CASE(init_again_starts_over) {
    auto fa = make(kQemu);
    fa->alloc(10);
    fa->reserve_low("t");
    fa->init(kQemu.data(), kQemu.size(), nullptr, 0);
    BOOST_TEST(fa->free_frames() == fa->total_frames());
    BOOST_TEST(fa->low_reservation_count() == 0u);
    BOOST_TEST(fa->alloc() == 0x100000u);
}

BOOST_AUTO_TEST_SUITE_END()
