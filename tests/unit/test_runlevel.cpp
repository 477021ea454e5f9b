// Runlevel arithmetic: the TPR/CR8 values each level is written as, and the
// rule that a vector's class (vector >> 4) is the level that holds it back.
#include <boost/test/unit_test.hpp>
#include "runlevel.h"

namespace {
unsigned lv(Runlevel r) { return runlevel_value(r); }
}  // namespace

BOOST_AUTO_TEST_SUITE(runlevel)

BOOST_AUTO_TEST_CASE(named_levels) {
    BOOST_TEST(lv(Runlevel::Passive) == 0u);
    BOOST_TEST(lv(Runlevel::Dispatch) == 2u);
    BOOST_TEST(lv(Runlevel::Device) == 3u);
    BOOST_TEST(lv(Runlevel::DeviceTop) == 11u);
    BOOST_TEST(lv(Runlevel::Spare) == 12u);
    BOOST_TEST(lv(Runlevel::Clock) == 13u);
    BOOST_TEST(lv(Runlevel::Ipi) == 14u);
    BOOST_TEST(lv(Runlevel::High) == 15u);
}

BOOST_AUTO_TEST_CASE(tpr_and_cr8) {
    BOOST_TEST(runlevel_to_tpr(Runlevel::Passive) == 0x00);
    BOOST_TEST(runlevel_to_tpr(Runlevel::Dispatch) == 0x20);
    BOOST_TEST(runlevel_to_tpr(Runlevel::Device) == 0x30);
    BOOST_TEST(runlevel_to_tpr(Runlevel::Clock) == 0xD0);
    BOOST_TEST(runlevel_to_tpr(Runlevel::Ipi) == 0xE0);
    BOOST_TEST(runlevel_to_tpr(Runlevel::High) == 0xF0);
    BOOST_TEST(runlevel_to_cr8(Runlevel::Passive) == 0);
    BOOST_TEST(runlevel_to_cr8(Runlevel::Dispatch) == 2);
    BOOST_TEST(runlevel_to_cr8(Runlevel::Clock) == 13);
    BOOST_TEST(runlevel_to_cr8(Runlevel::High) == 15);
    for (unsigned l = 0; l < 16; ++l) {
        Runlevel r = static_cast<Runlevel>(l);
        BOOST_TEST(lv(tpr_to_runlevel(runlevel_to_tpr(r))) == l);
        BOOST_TEST(lv(cr8_to_runlevel(runlevel_to_cr8(r))) == l);
        // CR8[3:0] mirrors TPR[7:4] (SDM Vol. 3A 10.8.6.1).
        BOOST_TEST(runlevel_to_cr8(r) == (runlevel_to_tpr(r) >> 4));
    }
    // The TPR sub-class and CR8's reserved bits do not change the level.
    BOOST_TEST(lv(tpr_to_runlevel(0xDF)) == 13u);
    BOOST_TEST(lv(cr8_to_runlevel(0xFFFFFFF2ull)) == 2u);
}

BOOST_AUTO_TEST_CASE(vector_classes) {
    BOOST_TEST(lv(vector_runlevel(0x20)) == 2u);
    BOOST_TEST(lv(vector_runlevel(0x2F)) == 2u);
    BOOST_TEST(lv(vector_runlevel(0x30)) == 3u);
    BOOST_TEST(lv(vector_runlevel(0xBF)) == 11u);
    BOOST_TEST(lv(vector_runlevel(0xD0)) == 13u);
    BOOST_TEST(lv(vector_runlevel(0xFF)) == 15u);
    for (unsigned v = 0; v < 256; ++v)
        BOOST_TEST(lv(vector_runlevel(static_cast<uint8_t>(v))) == v / 16);
}

BOOST_AUTO_TEST_CASE(fixed_vectors_sit_in_their_levels) {
    BOOST_TEST(vec::reschedule == 0x20);
    BOOST_TEST(vec::irq_base == 0x30);
    BOOST_TEST(vec::irq_last == 0xBF);
    BOOST_TEST(vec::test == 0xC0);
    BOOST_TEST(vec::test2 == 0xC1);
    BOOST_TEST(vec::timer == 0xD0);
    BOOST_TEST(vec::call_function == 0xE0);
    BOOST_TEST(vec::tlb_shootdown == 0xE1);
    BOOST_TEST(vec::halt_all == 0xF0);
    BOOST_TEST(vec::lapic_error == 0xFE);
    BOOST_TEST(vec::spurious == 0xFF);
    BOOST_TEST((vector_runlevel(vec::reschedule) == Runlevel::Dispatch));
    BOOST_TEST((vector_runlevel(vec::irq(0)) == Runlevel::Device));
    BOOST_TEST((vector_runlevel(vec::test) == Runlevel::Spare));
    BOOST_TEST((vector_runlevel(vec::timer) == Runlevel::Clock));
    BOOST_TEST((vector_runlevel(vec::call_function) == Runlevel::Ipi));
    BOOST_TEST((vector_runlevel(vec::tlb_shootdown) == Runlevel::Ipi));
    BOOST_TEST((vector_runlevel(vec::halt_all) == Runlevel::High));
    BOOST_TEST((vector_runlevel(vec::lapic_error) == Runlevel::High));
    BOOST_TEST((vec::spurious & 0x0F) == 0x0F);  // P6/Pentium hard-wire the low bits
}

BOOST_AUTO_TEST_CASE(device_vectors) {
    BOOST_TEST(vec::irq(0) == 0x30);
    BOOST_TEST(vec::irq(4) == 0x34);   // COM1
    BOOST_TEST(vec::irq(23) == 0x47);  // last pin of a 24-pin IOAPIC
    BOOST_TEST(vec::irq_fits(0x8F));
    BOOST_TEST(vec::irq(0x8F) == 0xBF);
    BOOST_TEST(!vec::irq_fits(0x90));
    for (uint32_t gsi = 0; vec::irq_fits(gsi); ++gsi) {
        Runlevel r = vector_runlevel(vec::irq(gsi));
        BOOST_TEST((lv(r) >= lv(Runlevel::Device) && lv(r) <= lv(Runlevel::DeviceTop)));
    }
}

BOOST_AUTO_TEST_CASE(masking) {
    // Raising to a vector's level holds it back; one level below lets it in.
    BOOST_TEST(!runlevel_masks(Runlevel::Passive, vec::reschedule));
    BOOST_TEST(runlevel_masks(Runlevel::Dispatch, vec::reschedule));
    BOOST_TEST(!runlevel_masks(Runlevel::Dispatch, vec::irq(4)));
    BOOST_TEST(runlevel_masks(Runlevel::DeviceTop, vec::irq(0)));
    BOOST_TEST(!runlevel_masks(Runlevel::DeviceTop, vec::test));
    BOOST_TEST(runlevel_masks(Runlevel::Spare, vec::test));
    BOOST_TEST(!runlevel_masks(Runlevel::Spare, vec::timer));
    BOOST_TEST(runlevel_masks(Runlevel::Clock, vec::timer));
    BOOST_TEST(!runlevel_masks(Runlevel::Clock, vec::call_function));
    BOOST_TEST(runlevel_masks(Runlevel::Ipi, vec::tlb_shootdown));
    BOOST_TEST(!runlevel_masks(Runlevel::Ipi, vec::halt_all));
    BOOST_TEST(runlevel_masks(Runlevel::High, vec::halt_all));
    BOOST_TEST(runlevel_masks(Runlevel::High, vec::spurious));
    for (unsigned l = 0; l < 16; ++l)
        for (unsigned v = 0x20; v < 256; ++v)
            BOOST_TEST(runlevel_masks(static_cast<Runlevel>(l), static_cast<uint8_t>(v)) == (v >> 4 <= l));
}

BOOST_AUTO_TEST_SUITE_END()
