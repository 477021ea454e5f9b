// The kernel heap core: splitting, coalescing, alignment, exhaustion, bad
// frees, growing, and long random alloc/free runs checked against a model.
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include "heap.h"
#include "host_log.h"

namespace {

/// Page-aligned memory for a heap to manage.
struct Arena {
    uint8_t* p;
    size_t len;
    explicit Arena(size_t n) : p(static_cast<uint8_t*>(std::aligned_alloc(4096, n))), len(n) {}
    ~Arena() { std::free(p); }
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;
};

uintptr_t u(const void* p) { return reinterpret_cast<uintptr_t>(p); }
size_t warnings() { return log_count("WARN: "); }

/// Allocations a test holds: address -> (size, fill byte).
struct Model {
    std::map<uintptr_t, std::pair<size_t, uint8_t>> live;
    bool add(void* p, size_t n, uint8_t fill) {
        uintptr_t a = u(p);
        auto next = live.lower_bound(a);
        if (next != live.end() && next->first < a + n) return false;
        if (next != live.begin() && std::prev(next)->first + std::prev(next)->second.first > a) return false;
        std::memset(p, fill, n);
        live[a] = {n, fill};
        return true;
    }
    /// True when the block still holds its fill (nothing else wrote into it).
    bool intact(uintptr_t a) const {
        auto [n, fill] = live.at(a);
        const uint8_t* q = reinterpret_cast<const uint8_t*>(a);
        for (size_t i = 0; i < n; ++i) if (q[i] != fill) return false;
        return true;
    }
};

/// Each test starts with an empty log.
struct FreshLog {
    FreshLog() { clear_log(); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(heap, FreshLog)

BOOST_AUTO_TEST_CASE(init_and_first_allocations) {
    Arena ar(64 * 1024);
    Heap h;
    clear_log();
    h.init(ar.p + 3, ar.len - 3);  // unaligned start: trimmed to 16
    HeapStats s = h.stats();
    BOOST_TEST(s.total == 64u * 1024 - 16);
    BOOST_TEST(s.free == s.total);
    BOOST_TEST(s.used == 0u);
    BOOST_TEST(s.free_blocks == 1u);
    BOOST_TEST(s.largest_free == s.total);
    BOOST_TEST(s.regions == 1u);

    void* a = h.alloc(1);
    void* b = h.alloc(100);
    BOOST_TEST(u(a) == u(ar.p) + 16 + 16);  // first block at the first 16-byte bound, after its header
    BOOST_TEST(u(b) == u(a) + 16 + 16);     // 1 byte rounds to 16, plus the next header
    BOOST_TEST(u(b) % 16 == 0u);
    s = h.stats();
    BOOST_TEST(s.used == 32u + 128u);
    BOOST_TEST(s.free_blocks == 1u);  // the tail stays one block
    BOOST_TEST(s.allocs == 2u);
    BOOST_TEST(h.check());
    BOOST_TEST(warnings() == 0u);
}

BOOST_AUTO_TEST_CASE(coalescing_with_both_neighbours) {
    Arena ar(8192);
    Heap h;
    h.init(ar.p, ar.len);
    void* a = h.alloc(64);
    void* b = h.alloc(64);
    void* c = h.alloc(64);
    void* d = h.alloc(64);
    h.free(b);
    BOOST_TEST(h.stats().free_blocks == 2u);
    h.free(d);  // merges with the tail
    BOOST_TEST(h.stats().free_blocks == 2u);
    h.free(a);  // merges with b's block after it
    BOOST_TEST(h.stats().free_blocks == 2u);
    BOOST_TEST(h.check());
    h.free(c);  // joins a+b before and d+tail after
    HeapStats s = h.stats();
    BOOST_TEST(s.free_blocks == 1u);
    BOOST_TEST(s.largest_free == 8192u);
    BOOST_TEST(s.used == 0u);
    BOOST_TEST(h.check());
    BOOST_TEST(h.alloc(8192 - 16) == ar.p + 16);  // the whole arena in one piece again
}

BOOST_AUTO_TEST_CASE(alignment_is_honoured) {
    Arena ar(1 << 20);
    Heap h;
    clear_log();
    h.init(ar.p + 16, ar.len - 16);
    std::mt19937 rng(3);
    for (int i = 0; i < 400; ++i) {
        size_t align = size_t(1) << (rng() % 13);  // 1 .. 4096
        size_t n = 1 + rng() % 300;
        void* p = h.alloc(n, align);
        BOOST_TEST_REQUIRE(p != nullptr);
        BOOST_TEST_REQUIRE(u(p) % (align < 16 ? 16 : align) == 0u);
        if (rng() % 2) h.free(p);
    }
    BOOST_TEST(h.check());
    BOOST_TEST(warnings() == 0u);
    // A 4 KiB-aligned block right after a header-sized gap: the gap must grow
    // to a whole free block, not become a sliver.
    Heap g;
    g.init(ar.p, 1 << 16);
    void* q = g.alloc(16, 4096);
    BOOST_TEST(u(q) == u(ar.p) + 4096);
    BOOST_TEST(g.check());
    g.free(q);
    BOOST_TEST(g.stats().free_blocks == 1u);
}

BOOST_AUTO_TEST_CASE(bad_alignment_and_sizes) {
    Arena ar(4096);
    Heap h;
    h.init(ar.p, ar.len);
    clear_log();
    BOOST_TEST(h.alloc(16, 24) == nullptr);
    BOOST_TEST(log_contains("WARN: heap: alloc(16, 24): alignment is not a power of two"));
    BOOST_TEST(h.alloc(0) == nullptr);
    BOOST_TEST(h.alloc(SIZE_MAX) == nullptr);
    BOOST_TEST(h.alloc(SIZE_MAX - 15) == nullptr);
    BOOST_TEST(h.alloc(16, size_t(1) << 62) == nullptr);
    BOOST_TEST(h.stats().failures == 5u);
    BOOST_TEST(warnings() == 1u);
    BOOST_TEST(h.check());
}

BOOST_AUTO_TEST_CASE(exhaustion_returns_nullptr) {
    Arena ar(4096);
    Heap h;
    h.init(ar.p, ar.len);
    std::vector<void*> got;
    for (void* p; (p = h.alloc(48)) != nullptr;) got.push_back(p);
    BOOST_TEST(got.size() == 4096u / 64);
    BOOST_TEST(h.stats().free == 0u);
    BOOST_TEST(h.alloc(1) == nullptr);
    BOOST_TEST(h.alloc(4096) == nullptr);
    h.free(got[10]);
    BOOST_TEST(h.alloc(49) == nullptr);  // 64 bytes free, 80 needed
    BOOST_TEST(h.alloc(48) == got[10]);
    for (void* p : got) h.free(p);
    BOOST_TEST(h.stats().free_blocks == 1u);
    BOOST_TEST(h.check());
    BOOST_TEST(warnings() == 0u);
}

BOOST_AUTO_TEST_CASE(small_remainders_stay_with_the_block) {
    Arena ar(4096);
    Heap h;
    h.init(ar.p, 128);
    void* p = h.alloc(80);  // 96 of 128 used; 32 left: just enough for a free block
    BOOST_TEST(h.stats().free == 32u);
    h.free(p);
    p = h.alloc(96);  // 112 used; 16 left cannot stand alone and goes with the block
    BOOST_TEST(p != nullptr);
    BOOST_TEST(h.stats().free == 0u);
    BOOST_TEST(h.stats().free_blocks == 0u);
    h.free(p);
    BOOST_TEST(h.stats().free == 128u);
    BOOST_TEST(h.check());
}

BOOST_AUTO_TEST_CASE(bad_frees_are_reported_and_ignored) {
    Arena ar(8192);
    Heap h;
    h.init(ar.p, ar.len);
    char* a = static_cast<char*>(h.alloc(100));
    void* b = h.alloc(100);
    std::memset(a, 0, 100);
    int on_stack = 0;
    HeapStats before = h.stats();
    struct Case { void* p; const char* what; };
    const Case cases[] = {
        {&on_stack, "not a heap pointer"},
        {ar.p + ar.len + 64, "not a heap pointer"},
        {ar.p, "not a heap pointer"},  // the region start: no room for a header
        {a + 8, "not a heap pointer"},  // misaligned
        {a + 32, "no valid block header"},  // inside an allocation
    };
    for (const Case& c : cases) {
        clear_log();
        h.free(c.p);
        BOOST_TEST_CONTEXT(c.what) {
            BOOST_TEST(warnings() == 1u);
            BOOST_TEST(log_contains(c.what));
            BOOST_TEST(h.stats().free == before.free);
        }
    }
    clear_log();
    h.free(b);
    BOOST_TEST(warnings() == 0u);
    h.free(b);
    BOOST_TEST(log_count("already free (double free); ignored") == 1u);
    h.free(a);  // merges a with b's former block
    h.free(a);
    BOOST_TEST(log_count("already free (double free); ignored") == 2u);
    h.free(b);  // b's header now lies inside a free block: still caught
    BOOST_TEST(log_count("double free") == 3u);
    BOOST_TEST(h.stats().frees == 2u);
    BOOST_TEST(h.stats().free_blocks == 1u);
    BOOST_TEST(h.check());

    // A header whose size was overwritten no longer matches its magic.
    void* c = h.alloc(64);
    reinterpret_cast<size_t*>(static_cast<char*>(c) - 16)[0] += 16;
    clear_log();
    h.free(c);
    BOOST_TEST(log_contains("no valid block header"));
    BOOST_TEST(!h.check());
    h.free(nullptr);  // allowed, silent
    BOOST_TEST(warnings() == 2u);  // the free and the failed check
}

BOOST_AUTO_TEST_CASE(growing) {
    Arena ar(1 << 16);
    Heap h;
    h.init(ar.p, 4096);
    BOOST_TEST(h.alloc(5000) == nullptr);
    BOOST_TEST(h.grow(ar.p + 4096, 4096));  // adjacent: the region grows
    HeapStats s = h.stats();
    BOOST_TEST(s.regions == 1u);
    BOOST_TEST(s.free_blocks == 1u);
    BOOST_TEST(s.total == 8192u);
    void* big = h.alloc(5000);
    BOOST_TEST(big == ar.p + 16);

    BOOST_TEST(h.grow(ar.p + 32768, 8192));  // separate
    BOOST_TEST(h.stats().regions == 2u);
    BOOST_TEST(h.grow(ar.p + 24576, 8192));  // ends where the second starts
    BOOST_TEST(h.stats().regions == 2u);
    BOOST_TEST(h.grow(ar.p + 8192, 16384));  // fills the gap: all one region
    BOOST_TEST(h.stats().regions == 1u);
    BOOST_TEST(h.stats().total == 40960u);
    h.free(big);
    BOOST_TEST(h.stats().free_blocks == 1u);
    BOOST_TEST(h.alloc(40960 - 16) == ar.p + 16);
    BOOST_TEST(h.check());

    clear_log();
    BOOST_TEST(!h.grow(ar.p + 100, 200));
    BOOST_TEST(log_contains("overlaps the heap; ignored"));
    BOOST_TEST(!h.grow(ar.p + 50000, 20));
    BOOST_TEST(log_contains("too small for a block; ignored"));
    BOOST_TEST(!h.grow(nullptr, 4096));
    BOOST_TEST(warnings() == 3u);
    BOOST_TEST(h.stats().total == 40960u);
}

BOOST_AUTO_TEST_CASE(region_slots_run_out) {
    Arena ar(1 << 16);
    Heap h;
    h.init(ar.p, 64);
    for (size_t i = 1; i < Heap::kMaxRegions; ++i) BOOST_TEST(h.grow(ar.p + i * 128, 64));
    BOOST_TEST(h.stats().regions == Heap::kMaxRegions);
    clear_log();
    BOOST_TEST(!h.grow(ar.p + 40000, 64));
    BOOST_TEST(log_contains("all 32 region slots in use"));
    BOOST_TEST(h.grow(ar.p + 64, 64));  // adjacent ones still merge
    BOOST_TEST(h.stats().regions == Heap::kMaxRegions - 1);
    BOOST_TEST(h.check());
}

BOOST_AUTO_TEST_CASE(random_alloc_free_against_a_model) {
    Arena ar(1 << 20);
    Heap h;
    h.init(ar.p, 256 * 1024);
    h.grow(ar.p + 512 * 1024, 256 * 1024);
    Model m;
    clear_log();
    std::mt19937 rng(99);
    size_t failures = 0;
    for (int step = 0; step < 30000; ++step) {
        if (m.live.empty() || rng() % 5 < 3) {
            size_t n = rng() % 8 == 0 ? 1 + rng() % 20000 : 1 + rng() % 200;
            size_t align = rng() % 10 == 0 ? size_t(64) << (rng() % 6) : 16;
            void* p = h.alloc(n, align);
            if (!p) { ++failures; continue; }
            BOOST_TEST_REQUIRE(u(p) % align == 0u);
            bool inside = (u(p) >= u(ar.p) && u(p) + n <= u(ar.p) + 256 * 1024) ||
                          (u(p) >= u(ar.p) + 512 * 1024 && u(p) + n <= u(ar.p) + 768 * 1024);
            BOOST_TEST_REQUIRE(inside);
            BOOST_TEST_REQUIRE(m.add(p, n, uint8_t(step)));  // no overlap with a live block
        } else {
            auto it = m.live.begin();
            std::advance(it, rng() % m.live.size());
            BOOST_TEST_REQUIRE(m.intact(it->first));  // nobody wrote into it
            h.free(reinterpret_cast<void*>(it->first));
            m.live.erase(it);
        }
        if (step % 1000 == 0) BOOST_TEST_REQUIRE(h.check());
    }
    BOOST_TEST(failures > 0u);  // the run did reach exhaustion now and then
    BOOST_TEST(h.stats().failures == failures);
    for (auto& [a, nf] : m.live) {
        BOOST_TEST_REQUIRE(m.intact(a));
        h.free(reinterpret_cast<void*>(a));
    }
    HeapStats s = h.stats();
    BOOST_TEST(s.used == 0u);
    BOOST_TEST(s.free_blocks == 2u);  // one per region: everything coalesced back
    BOOST_TEST(s.largest_free == 256u * 1024);
    BOOST_TEST(h.check());
    BOOST_TEST(warnings() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
