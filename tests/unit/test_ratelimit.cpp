// The limit on warnings a program can cause at will (src/ratelimit.h): a
// burst per window, the rest counted and reported by the next line printed.
#include <boost/test/unit_test.hpp>
#include "ratelimit.h"

namespace {
constexpr uint64_t kSec = 1000000000ull;
}  // namespace

BOOST_AUTO_TEST_SUITE(ratelimit)

BOOST_AUTO_TEST_CASE(burst_then_quiet_within_a_window) {
    RateLimit r;
    uint32_t skipped = 99;
    for (int i = 0; i < 5; ++i) {
        BOOST_TEST(r.allow(1000 + i, 5, 10 * kSec, &skipped));
        BOOST_TEST(skipped == 0u);
    }
    for (int i = 0; i < 100; ++i) BOOST_TEST(!r.allow(2000 + i, 5, 10 * kSec, &skipped));
    BOOST_TEST(r.dropped == 100u);
}

BOOST_AUTO_TEST_CASE(the_next_window_says_how_many_were_left_out) {
    RateLimit r;
    uint32_t skipped = 0;
    for (int i = 0; i < 8; ++i) r.allow(0, 5, 10 * kSec, &skipped);  // 5 printed, 3 left out
    BOOST_TEST(!r.allow(10 * kSec - 1, 5, 10 * kSec, &skipped));      // still the first window
    BOOST_TEST(r.allow(10 * kSec, 5, 10 * kSec, &skipped));           // a new one
    BOOST_TEST(skipped == 4u);
    BOOST_TEST(r.allow(10 * kSec + 1, 5, 10 * kSec, &skipped));
    BOOST_TEST(skipped == 0u);  // counted once only
}

BOOST_AUTO_TEST_CASE(time_zero_and_a_long_silence) {
    RateLimit r;
    uint32_t skipped = 0;
    BOOST_TEST(r.allow(0, 1, kSec, &skipped));  // a clock that starts at 0 opens a window too
    BOOST_TEST(!r.allow(0, 1, kSec, &skipped));
    BOOST_TEST(r.allow(1000 * kSec, 1, kSec, &skipped));  // long after: a fresh window
    BOOST_TEST(skipped == 1u);
}

BOOST_AUTO_TEST_CASE(burst_zero_prints_nothing_and_counts_all) {
    RateLimit r;
    uint32_t skipped = 0;
    for (int i = 0; i < 3; ++i) BOOST_TEST(!r.allow(i, 0, kSec, &skipped));
    BOOST_TEST(r.dropped == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
