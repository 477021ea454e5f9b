// CpuMask (cpumask.h): next() and for_each_cpu() against a bit-by-bit
// reference, on hand-picked sets (word edges, the last id) and random ones.
#include <boost/test/unit_test.hpp>
#include <random>
#include <vector>
#include "cpumask.h"

namespace {

/// The lowest id at or after @p from in @p m, one test() at a time.
uint32_t next_by_bits(const CpuMask& m, uint32_t from) {
    for (uint32_t k = from; k < COHORT_MAX_CPUS; ++k)
        if (m.test(k)) return k;
    return COHORT_MAX_CPUS;
}

/// next() from every start (and past the end) agrees with the reference.
void check_all_starts(const CpuMask& m) {
    for (uint32_t from = 0; from <= COHORT_MAX_CPUS + 40; ++from)
        BOOST_REQUIRE_EQUAL(m.next(from), next_by_bits(m, from));
    std::vector<uint32_t> seen, want;
    for_each_cpu(k, m) seen.push_back(k);
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k)
        if (m.test(k)) want.push_back(k);
    BOOST_REQUIRE(seen == want);
    BOOST_REQUIRE_EQUAL(seen.size(), m.count());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cpumask)

BOOST_AUTO_TEST_CASE(empty_and_full) {
    CpuMask m;
    BOOST_TEST(m.next(0) == COHORT_MAX_CPUS);
    check_all_starts(m);
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k) m.set(k);
    check_all_starts(m);
}

BOOST_AUTO_TEST_CASE(word_edges) {
    for (uint32_t k : {0u, 1u, 30u, 31u, 32u, 33u, 63u, 64u, 255u, 256u, uint32_t(COHORT_MAX_CPUS - 2),
                       uint32_t(COHORT_MAX_CPUS - 1)}) {
        CpuMask m;
        m.set(k);
        BOOST_TEST_CONTEXT("cpu " << k) {
            BOOST_TEST(m.next(0) == k);
            BOOST_TEST(m.next(k) == k);
            BOOST_TEST(m.next(k + 1) == COHORT_MAX_CPUS);
            check_all_starts(m);
        }
    }
}

BOOST_AUTO_TEST_CASE(set_then_cleared) {
    CpuMask m;
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; k += 7) m.set(k);
    for (uint32_t k = 0; k < COHORT_MAX_CPUS; k += 14) m.clear(k);
    check_all_starts(m);
}

BOOST_AUTO_TEST_CASE(random_sets) {
    std::mt19937 rng(12345);
    for (int round = 0; round < 200; ++round) {
        CpuMask m;
        uint32_t density = 1 + rng() % 64;  // from nearly empty to nearly full
        for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k)
            if (rng() % 64 < density) m.set(k);
        check_all_starts(m);
    }
}

BOOST_AUTO_TEST_SUITE_END()
