// The kernel's printf-style formatter, checked against what C's snprintf prints.
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>
#include "format.h"

namespace {
template <typename... A>
std::string k(const char* f, A... a) {
    char b[128];
    ksnprintf(b, sizeof b, f, a...);
    return b;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(format)

BOOST_AUTO_TEST_CASE(integers) {
    BOOST_TEST(k("%d", 0) == "0");
    BOOST_TEST(k("%d", -42) == "-42");
    BOOST_TEST(k("%i", 2147483647) == "2147483647");
    BOOST_TEST(k("%d", (-2147483647 - 1)) == "-2147483648");
    BOOST_TEST(k("%u", 4294967295u) == "4294967295");
    BOOST_TEST(k("%x", 0xdeadbeefu) == "deadbeef");
    BOOST_TEST(k("%X", 0xdeadbeefu) == "DEADBEEF");
}

BOOST_AUTO_TEST_CASE(sixty_four_bit) {
    BOOST_TEST(k("%llu", 18446744073709551615ull) == "18446744073709551615");
    BOOST_TEST(k("%llx", 0x123456789abcdef0ull) == "123456789abcdef0");
    BOOST_TEST(k("%lld", -9223372036854775807ll - 1) == "-9223372036854775808");
    BOOST_TEST(k("%zu", (size_t)12345) == "12345");
}

BOOST_AUTO_TEST_CASE(widths_and_padding) {
    BOOST_TEST(k("%5d|", 42) == "   42|");
    BOOST_TEST(k("%-5d|", 42) == "42   |");
    BOOST_TEST(k("%05d", 42) == "00042");
    BOOST_TEST(k("%05d", -42) == "-0042");
    BOOST_TEST(k("%08x", 0xbeefu) == "0000beef");
    BOOST_TEST(k("%*d", 4, 7) == "   7");
    BOOST_TEST(k("%-6s|", "ab") == "ab    |");
    BOOST_TEST(k("%6s|", "ab") == "    ab|");
    BOOST_TEST(k("%.3s", "abcdef") == "abc");
    BOOST_TEST(k("%.*s", 2, "abcdef") == "ab");
}

BOOST_AUTO_TEST_CASE(strings_chars_pointers) {
    BOOST_TEST(k("%s", "hello") == "hello");
    BOOST_TEST(k("%s", (const char*)nullptr) == "(null)");
    BOOST_TEST(k("%c%c", 'o', 'k') == "ok");
    BOOST_TEST(k("%p", (void*)0x1000) == "0x1000");
    BOOST_TEST(k("100%%") == "100%");
}

BOOST_AUTO_TEST_CASE(matches_libc) {
    char a[64], b[64];
    const int vals[] = {0, 1, -1, 99, -12345, 1 << 30};
    for (int v : vals) {
        ksnprintf(a, sizeof a, "[%8d|%-8d|%08d|%x]", v, v, v, (unsigned)v);
        std::snprintf(b, sizeof b, "[%8d|%-8d|%08d|%x]", v, v, v, (unsigned)v);
        BOOST_TEST(std::string(a) == std::string(b));
    }
}

BOOST_AUTO_TEST_CASE(truncation) {
    char b[6];
    size_t n = ksnprintf(b, sizeof b, "%s", "abcdefghij");
    BOOST_TEST(n == 10u);
    BOOST_TEST(std::string(b) == "abcde");
    char z[1] = {'x'};
    BOOST_TEST(ksnprintf(z, 1, "%d", 123) == 3u);
    BOOST_TEST(z[0] == '\0');
    BOOST_TEST(ksnprintf(nullptr, 0, "%d", 12345) == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
