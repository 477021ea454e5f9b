// The calibration arithmetic of timer.cpp (calib.h), with known figures.
#include <boost/test/unit_test.hpp>
#include "calib.h"

BOOST_AUTO_TEST_SUITE(calib)

BOOST_AUTO_TEST_CASE(pit_counts) {
    BOOST_TEST(pit_count_for_us(10000) == 11931u);  // 10 ms
    BOOST_TEST(pit_count_for_us(50000) == 59659u);
    BOOST_TEST(pit_count_for_us(100000) == 0xFFFFu);  // past 55 ms: clamped
    BOOST_TEST(pit_count_for_us(0) == 2u);
}

BOOST_AUTO_TEST_CASE(rates_from_the_pit) {
    // A 2.4 GHz TSC during 11931 PIT counts (9.99931 ms): 23,998,350 ticks. The
    // integer division may lose the last kHz, never more.
    uint64_t ticks = 2400000ull * 1000 * 11931 / PIT_HZ;
    BOOST_TEST(ticks == 23998350u);
    uint64_t khz = khz_from_pit(ticks, 11931);
    BOOST_TEST((khz >= 2399999u && khz <= 2400000u));
    // QEMU's LAPIC timer: 1 GHz / 16 = 62.5 MHz -> 625,000 ticks per 10 ms.
    BOOST_TEST(khz_from_pit(625000ull * 11931 * 100 / PIT_HZ, 11931) == 62499u);
    BOOST_TEST(khz_from_pit(12345, 0) == 0u);
}

BOOST_AUTO_TEST_CASE(pit_window_error) {
    // 2 ms windows with a 1 us port read: (839 + 1000) ns in 2000 us, 919 ppm,
    // the "within 0.1%" of the log line. 10 ms windows: 183 ppm.
    BOOST_TEST(pit_error_ppm(PIT_WINDOW_US, PORT_READ_NS) == 919u);
    BOOST_TEST(pit_error_ppm(PIT_WINDOW_US, PORT_READ_NS) < 1000u);
    BOOST_TEST(pit_error_ppm(10000, 1000) == 183u);
    BOOST_TEST(pit_error_ppm(0, 1000) == 0u);
}

BOOST_AUTO_TEST_CASE(early_window) {
    // A mode-0 count read while the output is low: periods since the load.
    BOOST_TEST(pit_elapsed(EARLY_COUNT, EARLY_COUNT, false) == 0u);
    BOOST_TEST(pit_elapsed(EARLY_COUNT, EARLY_COUNT - 4772, false) == 4772u);
    BOOST_TEST(pit_elapsed(EARLY_COUNT, 0, false) == 0xFFFFu);
    // Output high: the counter reached 0 and wrapped; its count says nothing.
    BOOST_TEST(pit_elapsed(EARLY_COUNT, 0xFFF0, true) == 0u);
    BOOST_TEST(pit_elapsed(EARLY_COUNT, 100, true) == 0u);
    // A count above the loaded one cannot come from this load.
    BOOST_TEST(pit_elapsed(1000, 2000, false) == 0u);
    // The shortest window, 4772 periods (3.999 ms), read with 2 us of brackets
    // in all: 1 us of half-brackets and two 839 ns periods, 669 ppm.
    uint32_t shortest = pit_count_for_us(EARLY_WINDOW_MIN_US);
    BOOST_TEST(shortest == 4772u);
    BOOST_TEST(early_error_ppm(shortest, 2000) == 669u);
    // Without brackets a 10 ms window is within 167 ppm; longer brackets only add.
    BOOST_TEST(early_error_ppm(11931, 0) == 167u);
    BOOST_TEST(early_error_ppm(11931, 10000) > early_error_ppm(11931, 0));
    BOOST_TEST(early_error_ppm(0, 2000) == 0u);
}

BOOST_AUTO_TEST_CASE(rates_from_the_tsc) {
    // QEMU's LAPIC timer at divide 16 (62.5 MHz) against a 2.4 GHz TSC over 1 ms.
    BOOST_TEST(khz_from_tsc(62500, 2400000, 2400000) == 62500u);
    // A window the TSC saw 1 us longer than the timer did: 0.1% low, no more.
    uint64_t khz = khz_from_tsc(62500, 2402400, 2400000);
    BOOST_TEST((khz >= 62437u && khz <= 62438u));
    BOOST_TEST(khz_from_tsc(62500, 0, 2400000) == 0u);
}

BOOST_AUTO_TEST_CASE(ticks_to_nanoseconds) {
    BOOST_TEST(ticks_to_ns(2400000, 2400000) == 1000000u);       // 1 ms at 2.4 GHz
    BOOST_TEST(ticks_to_ns(1, 1000000) == 1u);                    // 1 GHz: 1 ns a tick
    BOOST_TEST(ticks_to_ns(0, 1000) == 0u);
    BOOST_TEST(ticks_to_ns(1000, 0) == 0u);                       // uncalibrated: no time
    // 30 days at 3 GHz does not overflow.
    uint64_t khz = 3000000, ticks = 30ull * 86400 * 1000 * khz;
    BOOST_TEST(ticks_to_ns(ticks, khz) == 30ull * 86400 * 1000000000ull);
}

BOOST_AUTO_TEST_CASE(cpuid_leaf_15) {
    // A 24 MHz crystal with TSC/crystal = 188/2: 2.256 GHz.
    BOOST_TEST(tsc_khz_from_leaf15(2, 188, 24000000) == 2256000u);
    BOOST_TEST(tsc_khz_from_leaf15(0, 188, 24000000) == 0u);
    BOOST_TEST(tsc_khz_from_leaf15(2, 188, 0) == 0u);  // crystal not enumerated
}

BOOST_AUTO_TEST_CASE(agreement) {
    BOOST_TEST(rates_agree(2400000, 2401000, 1));
    BOOST_TEST(!rates_agree(2400000, 2500000, 1));
    BOOST_TEST(!rates_agree(0, 0, 5));
}

BOOST_AUTO_TEST_SUITE_END()
