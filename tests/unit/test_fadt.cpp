// The FADT's PM timer fields (src/fadt.cpp) on hand-made tables: the layouts
// of ACPI 1.0 and 2.0+ FADTs, and the ways a table can say "no usable timer".
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <vector>
#include "fadt.h"
#include "host_log.h"

namespace {
/// A FADT of @p len bytes: signature, length, revision, SCI 9, PM_TMR_BLK
/// @p port with PM_TMR_LEN 4, and TMR_VAL_EXT when @p wide.
std::vector<uint8_t> make_fadt(uint32_t len, uint8_t rev, uint32_t port, bool wide = true) {
    std::vector<uint8_t> t(len, 0);
    std::memcpy(t.data(), "FACP", 4);
    std::memcpy(t.data() + 4, &len, 4);
    t[8] = rev;
    if (len >= 48) t[46] = 9;
    if (len >= 80) std::memcpy(t.data() + 76, &port, 4);
    if (len >= 92) t[91] = 4;
    uint32_t flags = wide ? 1u << 8 : 0;
    if (len >= 116) std::memcpy(t.data() + 112, &flags, 4);
    return t;
}
/// Put a Generic Address (space, address) at X_PM_TMR_BLK (offset 208).
void x_pm_tmr(std::vector<uint8_t>& t, uint8_t space, uint64_t addr) {
    t[208] = space;
    t[209] = 32;
    std::memcpy(t.data() + 212, &addr, 8);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(fadt)

BOOST_AUTO_TEST_CASE(acpi1_pm_timer_port) {
    auto t = make_fadt(116, 1, 0x608, false);  // QEMU pc's revision 1 FADT
    FadtInfo f;
    clear_log();
    BOOST_TEST(fadt_parse(t.data(), t.size(), &f));
    BOOST_TEST(f.found);
    BOOST_TEST(f.pm_timer == 0x608u);
    BOOST_TEST(!f.pm_timer_32);
    BOOST_TEST(!f.pm_from_x);
    BOOST_TEST(f.sci_irq == 9u);
    BOOST_TEST(captured_log().empty());
}

BOOST_AUTO_TEST_CASE(x_pm_tmr_blk_wins) {
    auto t = make_fadt(244, 3, 0x608);
    x_pm_tmr(t, 1, 0xB008);
    FadtInfo f;
    BOOST_TEST(fadt_parse(t.data(), t.size(), &f));
    BOOST_TEST(f.pm_timer == 0xB008u);
    BOOST_TEST(f.pm_from_x);
    BOOST_TEST(f.pm_timer_32);
    // A zero X_PM_TMR_BLK leaves PM_TMR_BLK in force.
    x_pm_tmr(t, 1, 0);
    BOOST_TEST(fadt_parse(t.data(), t.size(), &f));
    BOOST_TEST(f.pm_timer == 0x608u);
    BOOST_TEST(!f.pm_from_x);
}

BOOST_AUTO_TEST_CASE(unusable_timers_are_refused_with_a_reason) {
    FadtInfo f;
    auto mem = make_fadt(244, 5, 0x608);
    x_pm_tmr(mem, 0, 0xFED00000);  // memory space: not readable with inl
    clear_log();
    BOOST_TEST(fadt_parse(mem.data(), mem.size(), &f));
    BOOST_TEST(f.pm_timer == 0u);
    BOOST_TEST(log_contains("is not an I/O port"));

    auto len3 = make_fadt(116, 1, 0x608);
    len3[91] = 3;
    clear_log();
    BOOST_TEST(fadt_parse(len3.data(), len3.size(), &f));
    BOOST_TEST(f.pm_timer == 0u);
    BOOST_TEST(log_contains("PM_TMR_LEN is 3"));

    auto none = make_fadt(116, 1, 0);  // no PM timer at all (hardware-reduced ACPI)
    clear_log();
    BOOST_TEST(fadt_parse(none.data(), none.size(), &f));
    BOOST_TEST(f.pm_timer == 0u);
    BOOST_TEST(captured_log().empty());

    auto high = make_fadt(116, 1, 0xFFFE);
    BOOST_TEST(fadt_parse(high.data(), high.size(), &f));
    BOOST_TEST(f.pm_timer == 0u);
}

BOOST_AUTO_TEST_CASE(short_or_foreign_tables) {
    FadtInfo f;
    auto t = make_fadt(116, 1, 0x608);
    clear_log();
    BOOST_TEST(fadt_parse(t.data(), 100, &f));  // cut before the flags
    BOOST_TEST(f.found);
    BOOST_TEST(f.pm_timer == 0u);
    BOOST_TEST(log_contains("too short"));
    uint32_t declared = 90;  // the header says less than the bytes handed over
    std::memcpy(t.data() + 4, &declared, 4);
    BOOST_TEST(fadt_parse(t.data(), t.size(), &f));
    BOOST_TEST(f.pm_timer == 0u);
    std::memcpy(t.data(), "APIC", 4);
    BOOST_TEST(!fadt_parse(t.data(), t.size(), &f));
    BOOST_TEST(!f.found);
    BOOST_TEST(!fadt_parse(nullptr, 0, &f));
}

BOOST_AUTO_TEST_CASE(delta_across_a_wrap) {
    BOOST_TEST(pm_timer_delta(0xFFFFF0u, 0x10u, false) == 0x20u);  // 24-bit counter
    BOOST_TEST(pm_timer_delta(0xFFFFFFF0u, 0x10u, true) == 0x20u);  // 32-bit counter
    BOOST_TEST(pm_timer_delta(100u, 250u, false) == 150u);
}

BOOST_AUTO_TEST_SUITE_END()
