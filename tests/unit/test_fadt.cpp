// The FADT's PM timer and SCI fields (src/fadt.cpp) on hand-made tables (the
// layouts of ACPI 1.0 and 2.0+ FADTs, and the ways a table can say "no usable
// timer" or "no SCI"), and on the FADTs QEMU's firmware built (tests/data).
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <string>
#include <vector>
#include "acpi.h"
#include "fadt.h"
#include "host_log.h"
#include "snapshot.h"
#include "test_data.h"

namespace {
void put32(std::vector<uint8_t>& t, size_t at, uint32_t v) {
    if (t.size() >= at + 4) std::memcpy(t.data() + at, &v, 4);
}

/// A FADT of @p len bytes: signature, length, revision, SCI 9, PM_TMR_BLK
/// @p port with PM_TMR_LEN 4, and TMR_VAL_EXT when @p wide; the SCI's
/// blocks where QEMU's pc machine has them (SMI_CMD 0xB2, ACPI_ENABLE 0xF1,
/// PM1a_EVT_BLK 0x600 of 4 bytes, PM1a_CNT_BLK 0x604 of 2).
std::vector<uint8_t> make_fadt(uint32_t len, uint8_t rev, uint32_t port, bool wide = true) {
    std::vector<uint8_t> t(len, 0);
    std::memcpy(t.data(), "FACP", 4);
    std::memcpy(t.data() + 4, &len, 4);
    t[8] = rev;
    if (len >= 48) t[46] = 9;
    put32(t, 48, 0xB2);
    if (len >= 53) t[52] = 0xF1;
    put32(t, 56, 0x600);
    put32(t, 64, 0x604);
    if (len >= 90) t[88] = 4, t[89] = 2;
    if (len >= 80) std::memcpy(t.data() + 76, &port, 4);
    if (len >= 92) t[91] = 4;
    uint32_t flags = wide ? 1u << 8 : 0;
    if (len >= 116) std::memcpy(t.data() + 112, &flags, 4);
    return t;
}
/// Put a Generic Address (space, address) at offset @p at.
void gas(std::vector<uint8_t>& t, size_t at, uint8_t space, uint64_t addr) {
    t[at] = space;
    t[at + 1] = 32;
    std::memcpy(t.data() + at + 4, &addr, 8);
}
/// At X_PM_TMR_BLK (offset 208).
void x_pm_tmr(std::vector<uint8_t>& t, uint8_t space, uint64_t addr) { gas(t, 208, space, addr); }

/// The FADT of a recorded machine (tests/data/tables/NAME.snap), found the
/// kernel's way: RSDP, then RSDT or XSDT, then "FACP".
std::vector<uint8_t> recorded_fadt(const std::string& name) {
    Snapshot s = Snapshot::load(std::string(test_data_dir()) + "/tables/" + name + ".snap");
    Rsdp r{};
    const uint8_t* p = s.mem().map(s.rsdp, 36);
    if (!p || !acpi_parse_rsdp(p, 36, &r, true)) {
        p = s.mem().map(s.rsdp, 20);
        BOOST_REQUIRE(p != nullptr);
        BOOST_REQUIRE(acpi_parse_rsdp(p, 20, &r));
    }
    AcpiTableRef ref{};
    BOOST_REQUIRE(acpi_find_table(s.mem(), r, "FACP", &ref));
    const uint8_t* f = s.mem().map(ref.phys, ref.len);
    BOOST_REQUIRE(f != nullptr);
    return std::vector<uint8_t>(f, f + ref.len);
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

BOOST_AUTO_TEST_CASE(sci_blocks_of_an_acpi1_table) {
    auto t = make_fadt(116, 1, 0x608, false);
    FadtInfo f;
    clear_log();
    BOOST_TEST(fadt_parse(t.data(), t.size(), &f));
    BOOST_TEST(f.sci);
    BOOST_TEST(!f.hw_reduced);
    BOOST_TEST(f.smi_cmd == 0xB2u);
    BOOST_TEST(f.acpi_enable == 0xF1u);
    BOOST_TEST(f.pm1a_evt == 0x600u);
    BOOST_TEST(f.pm1_evt_len == 4u);
    BOOST_TEST(f.pm1a_cnt == 0x604u);
    BOOST_TEST(captured_log().empty());
    // No SMI_CMD: a machine without legacy mode, already in ACPI mode (Table 5.9).
    put32(t, 48, 0);
    BOOST_TEST(fadt_parse(t.data(), t.size(), &f));
    BOOST_TEST(f.sci);
    BOOST_TEST(f.smi_cmd == 0u);
}

BOOST_AUTO_TEST_CASE(x_blocks_win_over_the_legacy_fields) {
    auto t = make_fadt(244, 3, 0x608);
    gas(t, 148, 1, 0xB000);
    gas(t, 172, 1, 0xB004);
    FadtInfo f;
    clear_log();
    BOOST_TEST(fadt_parse(t.data(), t.size(), &f));
    BOOST_TEST(f.sci);
    BOOST_TEST(f.pm1a_evt == 0xB000u);
    BOOST_TEST(f.pm1a_cnt == 0xB004u);
    BOOST_TEST(captured_log().empty());
}

BOOST_AUTO_TEST_CASE(qemu_fadts_as_recorded) {
    // SeaBIOS on pc: a 116-byte revision 1 table; on q35 and under OVMF a
    // revision 3 table with the same ports in its X_ blocks. ICH9 enters ACPI
    // mode on 0x02 at SMI_CMD, PIIX4 on 0xF1 (QEMU hw/acpi).
    struct Want { const char* name; uint8_t rev; uint8_t enable; };
    for (Want w : {Want{"pc-smp4", 1, 0xF1}, Want{"q35-smp8", 3, 0x02}, Want{"ovmf-smp4", 3, 0x02}}) {
        BOOST_TEST_CONTEXT(w.name) {
            auto t = recorded_fadt(w.name);
            FadtInfo f;
            clear_log();
            BOOST_TEST(fadt_parse(t.data(), t.size(), &f));
            BOOST_TEST(f.revision == w.rev);
            BOOST_TEST(f.sci_irq == 9u);
            BOOST_TEST(f.pm_timer == 0x608u);
            BOOST_TEST(!f.pm_timer_32);  // 24 bits: TMR_STS every 2^23 ticks, 2.34 s
            BOOST_TEST(f.sci);
            BOOST_TEST(f.smi_cmd == 0xB2u);
            BOOST_TEST(f.acpi_enable == w.enable);
            BOOST_TEST(f.pm1a_evt == 0x600u);
            BOOST_TEST(f.pm1_evt_len == 4u);
            BOOST_TEST(f.pm1a_cnt == 0x604u);
            BOOST_TEST(captured_log().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(malformed_sci_blocks_give_one_warning_and_no_sci) {
    struct Bad {
        const char* what;
        void (*spoil)(std::vector<uint8_t>&);
        const char* warning;
    };
    const Bad bad[] = {
        {"PM1_EVT_LEN 2", [](std::vector<uint8_t>& t) { t[88] = 2; }, "PM1_EVT_LEN is 2"},
        {"PM1_EVT_LEN 5", [](std::vector<uint8_t>& t) { t[88] = 5; }, "PM1_EVT_LEN is 5"},
        {"PM1_CNT_LEN 1", [](std::vector<uint8_t>& t) { t[89] = 1; }, "PM1_CNT_LEN is 1"},
        {"no PM1a_EVT_BLK", [](std::vector<uint8_t>& t) { put32(t, 56, 0); }, "no PM1a_EVT_BLK"},
        {"no PM1a_CNT_BLK", [](std::vector<uint8_t>& t) { put32(t, 64, 0); }, "no PM1a_CNT_BLK"},
        {"event block past 0xFFFF", [](std::vector<uint8_t>& t) { put32(t, 56, 0xFFFE); },
         "PM1a_EVT_BLK 0xfffe (4 ports) is not an I/O port range"},
        {"SMI_CMD past 0xFFFF", [](std::vector<uint8_t>& t) { put32(t, 48, 0x10000); },
         "SMI_CMD 0x10000 is not an I/O port"},
        {"X_PM1a_EVT_BLK in memory", [](std::vector<uint8_t>& t) { gas(t, 148, 0, 0xFED00000); },
         "X_PM1a_EVT_BLK 0xfed00000 in address space 0 is not an I/O port; no SCI"},
        {"X_PM1a_CNT_BLK past 0xFFFF", [](std::vector<uint8_t>& t) { gas(t, 172, 1, 0x12345); },
         "X_PM1a_CNT_BLK 0x12345 in address space 1"},
    };
    for (const Bad& b : bad) {
        BOOST_TEST_CONTEXT(b.what) {
            auto t = make_fadt(244, 3, 0x608);
            b.spoil(t);
            FadtInfo f;
            clear_log();
            BOOST_TEST(fadt_parse(t.data(), t.size(), &f));
            BOOST_TEST(!f.sci);
            BOOST_TEST(f.pm1a_evt == 0u);
            BOOST_TEST(f.pm1a_cnt == 0u);
            BOOST_TEST(f.smi_cmd == 0u);
            BOOST_TEST(f.pm_timer == 0x608u);  // the PM timer does not suffer
            BOOST_TEST(captured_log().size() == 1u);
            BOOST_TEST(log_contains(b.warning));
        }
    }
}

BOOST_AUTO_TEST_CASE(no_sci_without_complaint_or_with_one) {
    FadtInfo f;
    // HW_REDUCED_ACPI (flags bit 20): no fixed hardware, legitimately.
    auto hw = make_fadt(276, 5, 0);
    put32(hw, 112, 1u << 20);
    put32(hw, 56, 0);
    put32(hw, 64, 0);
    clear_log();
    BOOST_TEST(fadt_parse(hw.data(), hw.size(), &f));
    BOOST_TEST(f.hw_reduced);
    BOOST_TEST(!f.sci);
    BOOST_TEST(captured_log().empty());
    // Cut before the flags: one warning covers the timer and the SCI.
    auto t = make_fadt(116, 1, 0x608);
    clear_log();
    BOOST_TEST(fadt_parse(t.data(), 100, &f));
    BOOST_TEST(!f.sci);
    BOOST_TEST(f.sci_irq == 9u);
    BOOST_TEST(captured_log().size() == 1u);
    BOOST_TEST(log_contains("too short for the PM timer and SCI fields"));
}

BOOST_AUTO_TEST_CASE(delta_across_a_wrap) {
    BOOST_TEST(pm_timer_delta(0xFFFFF0u, 0x10u, false) == 0x20u);  // 24-bit counter
    BOOST_TEST(pm_timer_delta(0xFFFFFFF0u, 0x10u, true) == 0x20u);  // 32-bit counter
    BOOST_TEST(pm_timer_delta(100u, 250u, false) == 150u);
}

BOOST_AUTO_TEST_SUITE_END()
