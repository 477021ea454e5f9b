// The range check behind copy_from_user, copy_to_user and strncpy_from_user
// (src/userrange.cpp) on hand-made bad ranges, with each arch's user space:
// the edges of [USER_BASE, USER_END), zero lengths, lengths that cross the
// end, kernel addresses, and lengths so large that addr + len wraps around.
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include "userrange.h"

// Each arch's constants from its own header, in a namespace of its own so
// the two sets of names do not clash (types.h, which both include, is already
// in through userrange.h: its #pragma once keeps it out of the namespaces).
namespace amd64 {
#include "arch/amd64/user_arch.h"
}
namespace i686 {
#include "arch/i686/user_arch.h"
}

namespace {
struct Space {
    const char* arch;
    uint64_t base, end;
    uint64_t size_max;  // the largest size_t on that arch
};
const Space kSpaces[] = {{"amd64", amd64::USER_BASE, amd64::USER_END, UINT64_MAX},
                         {"i686", i686::USER_BASE, i686::USER_END, UINT32_MAX}};

bool ok(const Space& s, uint64_t addr, uint64_t len) { return user_range_valid(addr, len, s.base, s.end); }
}  // namespace

BOOST_AUTO_TEST_SUITE(userrange)

BOOST_AUTO_TEST_CASE(edges_of_user_space) {
    for (const Space& s : kSpaces) {
        BOOST_TEST_CONTEXT(s.arch) {
            BOOST_TEST(ok(s, s.base, 1));
            BOOST_TEST(ok(s, s.base, s.end - s.base));       // all of it
            BOOST_TEST(!ok(s, s.base, s.end - s.base + 1));  // one byte past the end
            BOOST_TEST(ok(s, s.end - 1, 1));                 // the last byte
            BOOST_TEST(!ok(s, s.end - 1, 2));                // crossing USER_END
            BOOST_TEST(!ok(s, s.end - 4096, 4097));
            BOOST_TEST(!ok(s, s.end, 1));                    // at the end
            BOOST_TEST(!ok(s, s.base - 1, 1));               // just below USER_BASE
            BOOST_TEST(!ok(s, s.base - 1, 2));               // below, reaching into it
            BOOST_TEST(!ok(s, s.base - 4096, 8192));
        }
    }
}

BOOST_AUTO_TEST_CASE(zero_length) {
    for (const Space& s : kSpaces) {
        BOOST_TEST_CONTEXT(s.arch) {
            BOOST_TEST(ok(s, s.base, 0));
            BOOST_TEST(ok(s, s.end - 1, 0));
            // An empty range still needs its address in user space.
            BOOST_TEST(!ok(s, s.end, 0));
            BOOST_TEST(!ok(s, s.base - 1, 0));
            BOOST_TEST(!ok(s, 0, 0));
        }
    }
}

BOOST_AUTO_TEST_CASE(kernel_addresses) {
    for (const Space& s : kSpaces) {
        BOOST_TEST_CONTEXT(s.arch) {
            BOOST_TEST(!ok(s, 0, 1));           // null
            BOOST_TEST(!ok(s, 0x100000, 16));   // the kernel image (1 MiB)
            BOOST_TEST(!ok(s, 0xB8000, 2));     // VGA text memory
            BOOST_TEST(!ok(s, 0xFEE00000, 4));  // the LAPIC
        }
    }
    BOOST_TEST(!ok(kSpaces[0], 0x800000000000ull, 1));    // amd64: non-canonical
    BOOST_TEST(!ok(kSpaces[0], 0xFFFF800000000000ull, 1));  // amd64: the upper half
    BOOST_TEST(!ok(kSpaces[0], 0x7FFFFFFFF000ull, 1));      // amd64: the page kept free below 2^47
    BOOST_TEST(!ok(kSpaces[1], 0xC0000000u, 1));            // i686: above user space
}

BOOST_AUTO_TEST_CASE(huge_lengths_do_not_wrap) {
    for (const Space& s : kSpaces) {
        BOOST_TEST_CONTEXT(s.arch) {
            BOOST_TEST(!ok(s, s.base, s.size_max));
            BOOST_TEST(!ok(s, s.end - 1, s.size_max));
            // Lengths for which addr + len wraps, in that arch's size_t, to an
            // address inside user space, where `addr + len <= end` would pass.
            uint64_t wrap = s.size_max - s.base + 1;  // base + wrap == 0 (mod 2^bits)
            BOOST_TEST(!ok(s, s.base, wrap));
            BOOST_TEST(!ok(s, s.base, wrap + 0x10));       // wraps to 0x10
            // From the last byte, a length that wraps to base + 1.
            BOOST_TEST(!ok(s, s.end - 1, s.size_max - (s.end - 1) + 1 + s.base + 1));
            BOOST_TEST(!ok(s, s.base + 0x1000, s.size_max - 0xFFF));  // wraps to base
        }
    }
}

BOOST_AUTO_TEST_CASE(strings_byte_by_byte) {
    // strncpy_from_user checks [addr + i, addr + i + 1) for each byte i: a
    // string that starts in user space and runs to USER_END stops there.
    for (const Space& s : kSpaces) {
        BOOST_TEST_CONTEXT(s.arch) {
            uint64_t a = s.end - 3;
            BOOST_TEST(ok(s, a + 0, 1));
            BOOST_TEST(ok(s, a + 2, 1));
            BOOST_TEST(!ok(s, a + 3, 1));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
