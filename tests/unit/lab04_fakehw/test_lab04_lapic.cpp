// Lab 04 on a fake CPU (fake_device.h): what QEMU cannot show. The kernel's
// lapic.cpp and i686 runlevel backend run against a fake IA32_APIC_BASE,
// x2APIC MSRs and xAPIC page that refuse what the CPU refuses (#GP) and
// what loses an IPI (an ICR write while one is pending, no fence).
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include "fake_device.h"
#include "lapic.h"
#include "runlevel.h"

namespace {

constexpr uint64_t XAPIC = FAKE_MMIO | apic_base::enable | apic_base::bsp;
constexpr uint64_t X2APIC = XAPIC | apic_base::x2apic;
constexpr uint64_t DISABLED = FAKE_MMIO | apic_base::bsp;

CpuFeatures features(bool x2apic) {
    CpuFeatures f{};
    for (CpuFlag fl : {CpuFlag::Apic, CpuFlag::X2apic}) {
        if (fl == CpuFlag::X2apic && !x2apic) continue;
        size_t i = static_cast<size_t>(fl);
        f.flags[i / 32] |= 1u << (i % 32);
    }
    return f;
}

/// A fake CPU found in state @p base, the machine's mode chosen for
/// @p want_x2 (nox2apic otherwise), then lapic_enable_mode() on it.
void switch_from(uint64_t base, bool want_x2) {
    fake.reset(base);
    lapic_choose_mode(features(true), !want_x2, FAKE_MMIO);
    fake.events.clear();
    lapic_enable_mode();
}

std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
    return b;
}

/// This fake CPU in mode @p x2 (xAPIC otherwise), set up as the kernel does it.
void ready(bool x2, uint32_t apic_id = 0) {
    switch_from(x2 ? X2APIC : XAPIC, x2);
    fake.apic_id = apic_id;
    fake.events.clear();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lab04_lapic)

// --- IA32_APIC_BASE: the allowed steps (SDM Vol. 3A 10.12.5, Figure 10-27) ---

BOOST_AUTO_TEST_CASE(mode_switch_from_every_state, *boost::unit_test::timeout(10)) {
    struct Case { const char* what; uint64_t from; bool x2; ApicMode want; };
    const Case cases[] = {
        {"xAPIC -> x2APIC", XAPIC, true, ApicMode::X2Apic},
        {"disabled -> x2APIC", DISABLED, true, ApicMode::X2Apic},
        {"x2APIC stays", X2APIC, true, ApicMode::X2Apic},
        {"xAPIC stays", XAPIC, false, ApicMode::XApic},
        {"disabled -> xAPIC", DISABLED, false, ApicMode::XApic},
        {"x2APIC -> xAPIC (nox2apic after firmware chose x2APIC)", X2APIC, false, ApicMode::XApic},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(c.what) {
            BOOST_CHECK_NO_THROW(switch_from(c.from, c.x2));
            BOOST_TEST((fake_hw_mode() == c.want));
            BOOST_TEST((this_cpu()->apic_mode == c.want));
            BOOST_TEST((fake.apic_base & apic_base::bsp) != 0u);  // other bits kept
            BOOST_TEST((fake.apic_base & apic_base::base_mask & 0xFFFFFFFFFull) == FAKE_MMIO);
        }
    }
}

BOOST_AUTO_TEST_CASE(mode_switch_leaves_x2apic_through_disabled, *boost::unit_test::timeout(10)) {
    BOOST_CHECK_NO_THROW(switch_from(X2APIC, false));
    bool seen_disabled = false;
    for (const std::string& e : fake.events) seen_disabled |= e == "apic_base " + hex(DISABLED);
    BOOST_TEST(seen_disabled);
    BOOST_TEST((fake_hw_mode() == ApicMode::XApic));
}

BOOST_AUTO_TEST_CASE(mode_recorded_after_the_switch, *boost::unit_test::timeout(10)) {
    // The fake checks at every IA32_APIC_BASE write that the Cpu block does not
    // already claim a mode the APIC is not in yet.
    BOOST_CHECK_NO_THROW(switch_from(XAPIC, true));
    BOOST_CHECK_NO_THROW(switch_from(X2APIC, false));
    BOOST_TEST((this_cpu()->apic_mode == ApicMode::XApic));
}

// --- lapic_send() in xAPIC mode (SDM Vol. 3A 10.6.1) ---

BOOST_AUTO_TEST_CASE(xapic_icr_high_then_low, *boost::unit_test::timeout(10)) {
    ready(false);
    BOOST_TEST(lapic_send(Icr::fixed(5, 0xC0)));
    BOOST_TEST(lapic_send(Icr::fixed(0x21, 0xC1)));
    BOOST_REQUIRE(fake.xapic_sends.size() == 2u);
    // The destination in place when the low half (the write that sends) was written.
    BOOST_TEST(fake.xapic_sends[0].high == (5u << 24));
    BOOST_TEST(fake.xapic_sends[0].low == Icr::fixed(5, 0xC0).xapic_low());
    BOOST_TEST(fake.xapic_sends[1].high == (0x21u << 24));
    BOOST_TEST(fake.xapic_sends[1].low == Icr::fixed(0x21, 0xC1).xapic_low());
}

BOOST_AUTO_TEST_CASE(xapic_waits_for_delivery, *boost::unit_test::timeout(10)) {
    ready(false);
    fake.busy_reads = 40;  // the fake throws if the ICR is written while the IPI is pending
    for (uint32_t i = 0; i < 4; ++i) BOOST_CHECK_NO_THROW(BOOST_TEST(lapic_send(Icr::fixed(i, 0xC0))));
    BOOST_TEST(fake.xapic_sends.size() == 4u);
    BOOST_TEST(fake.icr_polls >= 3u * 40u);
}

BOOST_AUTO_TEST_CASE(xapic_poll_gives_up_after_100ms, *boost::unit_test::timeout(20)) {
    ready(false);
    fake.busy_reads = 0xFFFFFFFFu;  // delivery status never clears
    uint64_t t0 = fake.tsc;
    bool ok = true;
    BOOST_CHECK_NO_THROW(ok = lapic_send(Icr::fixed(1, 0xC0)));
    BOOST_TEST(!ok);
    uint64_t ms = (fake.tsc - t0) / 1000000;  // the fake TSC runs at 1 GHz
    BOOST_TEST(ms >= 90u);
    BOOST_TEST(ms <= 1000u);
}

BOOST_AUTO_TEST_CASE(xapic_refuses_ids_above_255, *boost::unit_test::timeout(10)) {
    ready(false);
    BOOST_TEST(!lapic_send(Icr::fixed(256, 0xC0)));   // would reach APIC id 0 if truncated
    BOOST_TEST(!lapic_send(Icr::fixed(0x1FF, 0xC0))); // would be the broadcast 0xFF
    BOOST_TEST(fake.xapic_sends.empty());
    BOOST_TEST(lapic_send(Icr::fixed(0, 0xC0).shorthand(Shorthand::AllExcludingSelf).destination(300)));
    BOOST_TEST(fake.xapic_sends.size() == 1u);
    BOOST_TEST(lapic_send(Icr::fixed(255, 0xC0)));
    BOOST_TEST(fake.xapic_sends.size() == 2u);
}

// --- lapic_send() in x2APIC mode (SDM Vol. 3A 10.12.3, 10.12.9) ---

BOOST_AUTO_TEST_CASE(x2apic_one_write_after_a_fence, *boost::unit_test::timeout(10)) {
    ready(true);
    Icr icr = Icr::fixed(7, 0xE0);
    BOOST_CHECK_NO_THROW(BOOST_TEST(lapic_send(icr)));
    BOOST_CHECK_NO_THROW(BOOST_TEST(lapic_send(Icr::startup(3, 0x08))));
    BOOST_REQUIRE(fake.x2apic_sends.size() == 2u);
    BOOST_TEST(fake.x2apic_sends[0] == ((uint64_t(7) << 32) | icr.xapic_low()));
    BOOST_TEST(fake.x2apic_sends[1] == Icr::startup(3, 0x08).x2apic_value());
    // Exactly: fence, ICR; fence, ICR. No other MSR touched, no MMIO.
    std::vector<std::string> want = {"fence", "wrmsr 0x830 " + hex(icr.x2apic_value()), "fence",
                                     "wrmsr 0x830 " + hex(Icr::startup(3, 0x08).x2apic_value())};
    BOOST_TEST(fake.events == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(x2apic_32bit_destinations, *boost::unit_test::timeout(10)) {
    ready(true);
    for (uint32_t id : {256u, 0x1234u, 0xFFFFFFFEu}) {
        BOOST_TEST_CONTEXT("APIC id " << id) {
            fake.x2apic_sends.clear();
            BOOST_CHECK_NO_THROW(BOOST_TEST(lapic_send(Icr::fixed(id, 0xE0))));
            BOOST_REQUIRE(fake.x2apic_sends.size() == 1u);
            BOOST_TEST((fake.x2apic_sends[0] >> 32) == id);
            BOOST_TEST(uint32_t(fake.x2apic_sends[0]) == Icr::fixed(id, 0xE0).xapic_low());
        }
    }
}

// --- the i686 runlevel backend (SDM Vol. 3A 10.8.3.1) ---

BOOST_AUTO_TEST_CASE(tpr_by_this_cpus_own_mode, *boost::unit_test::timeout(10)) {
    for (bool x2 : {false, true}) {
        BOOST_TEST_CONTEXT((x2 ? "x2apic" : "xapic")) {
            ready(x2);
            Cpu& c = *this_cpu();
            BOOST_CHECK_NO_THROW(arch_write_runlevel(c, Runlevel::Clock));
            BOOST_TEST(fake.tpr == 0xD0u);
            BOOST_CHECK_NO_THROW(arch_write_runlevel(c, Runlevel::Passive));
            BOOST_TEST(fake.tpr == 0u);
            BOOST_CHECK_NO_THROW(arch_write_runlevel(c, Runlevel::High));
            BOOST_TEST(fake.tpr == 0xF0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(tpr_untouched_before_this_cpu_has_a_mode, *boost::unit_test::timeout(10)) {
    // An AP that has not switched yet, on a machine the BSP put in x2APIC mode:
    // MSR 0x808 would be a #GP (the fake throws), MMIO would hit nothing.
    for (uint64_t hw : {XAPIC, DISABLED}) {
        fake.reset(hw);
        lapic_choose_mode(features(true), false, FAKE_MMIO);
        fake.apic_base = hw;  // the BSP chose x2APIC; this CPU is still as it was
        fake.events.clear();
        BOOST_CHECK_NO_THROW(arch_write_runlevel(*this_cpu(), Runlevel::Dispatch));
        BOOST_TEST(fake.events.empty());
        BOOST_TEST(fake.tpr == 0u);
        // Once it has switched, the TPR follows.
        BOOST_CHECK_NO_THROW(lapic_enable_mode());
        BOOST_CHECK_NO_THROW(arch_write_runlevel(*this_cpu(), Runlevel::Dispatch));
        BOOST_TEST(fake.tpr == 0x20u);
    }
}

BOOST_AUTO_TEST_SUITE_END()
