// LAPIC and IOAPIC register encodings, checked bit for bit against values
// worked out by hand from SDM Vol. 3A chapter 10 and the 82093AA datasheet.
#include <boost/test/unit_test.hpp>
#include <string>
#include "apicregs.h"
#include "cputable.h"

namespace {
std::string esr_text(uint32_t esr) {
    char buf[256];
    size_t n = esr_describe(esr, buf, sizeof buf);
    BOOST_TEST(n == std::string(buf).size());
    return buf;
}
// Built at compile time: the value types must stay usable in constant expressions.
constexpr Icr kSipi = Icr::startup(1, 0x08);
static_assert(kSipi.xapic_low() == 0x00004608);
}  // namespace

BOOST_AUTO_TEST_SUITE(apicregs)

BOOST_AUTO_TEST_CASE(x2apic_msr_numbers) {
    BOOST_TEST(x2apic_msr(LapicReg::Id) == 0x802u);
    BOOST_TEST(x2apic_msr(LapicReg::Version) == 0x803u);
    BOOST_TEST(x2apic_msr(LapicReg::Tpr) == 0x808u);
    BOOST_TEST(x2apic_msr(LapicReg::Ppr) == 0x80Au);
    BOOST_TEST(x2apic_msr(LapicReg::Eoi) == 0x80Bu);
    BOOST_TEST(x2apic_msr(LapicReg::Ldr) == 0x80Du);
    BOOST_TEST(x2apic_msr(LapicReg::Svr) == 0x80Fu);
    BOOST_TEST(x2apic_msr(LapicReg::IsrBase) == 0x810u);
    BOOST_TEST(x2apic_msr(LapicReg::TmrBase) == 0x818u);
    BOOST_TEST(x2apic_msr(LapicReg::IrrBase) == 0x820u);
    BOOST_TEST(x2apic_msr(LapicReg::Esr) == 0x828u);
    BOOST_TEST(x2apic_msr(LapicReg::LvtCmci) == 0x82Fu);
    BOOST_TEST(x2apic_msr(LapicReg::IcrLow) == 0x830u);
    BOOST_TEST(x2apic_msr(LapicReg::LvtTimer) == 0x832u);
    BOOST_TEST(x2apic_msr(LapicReg::LvtThermal) == 0x833u);
    BOOST_TEST(x2apic_msr(LapicReg::LvtPerf) == 0x834u);
    BOOST_TEST(x2apic_msr(LapicReg::LvtLint0) == 0x835u);
    BOOST_TEST(x2apic_msr(LapicReg::LvtLint1) == 0x836u);
    BOOST_TEST(x2apic_msr(LapicReg::LvtError) == 0x837u);
    BOOST_TEST(x2apic_msr(LapicReg::TimerInitial) == 0x838u);
    BOOST_TEST(x2apic_msr(LapicReg::TimerCurrent) == 0x839u);
    BOOST_TEST(x2apic_msr(LapicReg::TimerDivide) == 0x83Eu);
    BOOST_TEST(x2apic_msr(LapicReg::SelfIpi) == 0x83Fu);
}

BOOST_AUTO_TEST_CASE(registers_per_mode) {
    BOOST_TEST(!x2apic_has(LapicReg::IcrHigh));
    BOOST_TEST(!x2apic_has(LapicReg::Dfr));
    BOOST_TEST(!x2apic_has(LapicReg::Apr));
    BOOST_TEST(x2apic_has(LapicReg::Tpr));
    BOOST_TEST(x2apic_has(LapicReg::SelfIpi));
    BOOST_TEST(!xapic_has(LapicReg::SelfIpi));
    BOOST_TEST(xapic_has(LapicReg::IcrHigh));
}

BOOST_AUTO_TEST_CASE(vector_banks_and_version) {
    // Vector 0xD0 is bit 16 of the seventh word: IRR at 0x260, MSR 0x826.
    BOOST_TEST(static_cast<unsigned>(lapic_vector_reg(LapicReg::IrrBase, 0xD0)) == 0x260u);
    BOOST_TEST(x2apic_msr(lapic_vector_reg(LapicReg::IrrBase, 0xD0)) == 0x826u);
    BOOST_TEST(lapic_vector_bit(0xD0) == 0x00010000u);
    BOOST_TEST(static_cast<unsigned>(lapic_vector_reg(LapicReg::IsrBase, 0x1F)) == 0x100u);
    BOOST_TEST(static_cast<unsigned>(lapic_vector_reg(LapicReg::IsrBase, 0xFF)) == 0x170u);
    BOOST_TEST(lapic_vector_bit(0xFF) == 0x80000000u);
    // QEMU's LAPIC reports version 0x14 with six LVT entries: 0x00050014.
    BOOST_TEST(lapic_version(0x00050014) == 0x14);
    BOOST_TEST(lapic_lvt_count(0x00050014) == 6u);
}

BOOST_AUTO_TEST_CASE(icr_fixed) {
    Icr i = Icr::fixed(3, 0xE0);
    BOOST_TEST(i.xapic_low() == 0x000040E0u);
    BOOST_TEST(i.xapic_high() == 0x03000000u);
    BOOST_TEST(i.x2apic_value() == 0x00000003000040E0ull);
    BOOST_TEST(i.vector() == 0xE0);
    BOOST_TEST(i.destination() == 3u);
    BOOST_TEST((i.delivery() == Delivery::Fixed));
    BOOST_TEST(!i.is_level_triggered());
    BOOST_TEST(Icr::fixed(0x0F, 0x30).logical().xapic_low() == 0x00004830u);
    BOOST_TEST(Icr::fixed(0x0F, 0x30).logical().physical().xapic_low() == 0x00004030u);
    BOOST_TEST(Icr{}.delivery(Delivery::LowestPriority).vector(0x31).xapic_low() == 0x00004131u);
}

BOOST_AUTO_TEST_CASE(icr_init_and_startup) {
    Icr a = Icr::init_assert(1);
    BOOST_TEST(a.xapic_low() == 0x0000C500u);
    BOOST_TEST(a.xapic_high() == 0x01000000u);
    BOOST_TEST(a.x2apic_value() == 0x000000010000C500ull);

    Icr d = Icr::init_deassert();
    BOOST_TEST(d.xapic_low() == 0x00088500u);
    BOOST_TEST(d.xapic_high() == 0u);
    BOOST_TEST(d.x2apic_value() == 0x0000000000088500ull);
    BOOST_TEST((d.shorthand() == Shorthand::AllIncludingSelf));

    Icr s = Icr::startup(1, 0x08);
    BOOST_TEST(s.xapic_low() == 0x00004608u);
    BOOST_TEST(s.xapic_high() == 0x01000000u);
    BOOST_TEST(s.x2apic_value() == 0x0000000100004608ull);
    BOOST_TEST(Icr::startup(0x2A, 0x9F).x2apic_value() == 0x0000002A0000469Full);

    // The broadcast INIT and SIPI of SDM Vol. 3A 8.4.4.1 (MOV EAX, 000C4500H / 000C4608H).
    BOOST_TEST(Icr{}.delivery(Delivery::Init).shorthand(Shorthand::AllExcludingSelf).xapic_low() ==
               0x000C4500u);
    BOOST_TEST(Icr::startup(0, 0x08).shorthand(Shorthand::AllExcludingSelf).xapic_low() == 0x000C4608u);
}

BOOST_AUTO_TEST_CASE(icr_nmi_and_shorthands) {
    Icr n = Icr::nmi(2);
    BOOST_TEST(n.xapic_low() == 0x00004400u);
    BOOST_TEST(n.xapic_high() == 0x02000000u);
    BOOST_TEST(n.x2apic_value() == 0x0000000200004400ull);
    BOOST_TEST(Icr::nmi(0).shorthand(Shorthand::AllExcludingSelf).xapic_low() == 0x000C4400u);

    Icr f = Icr::fixed(0, 0xF0);
    BOOST_TEST(f.shorthand(Shorthand::None).xapic_low() == 0x000040F0u);
    BOOST_TEST(f.shorthand(Shorthand::Self).xapic_low() == 0x000440F0u);
    BOOST_TEST(f.shorthand(Shorthand::AllIncludingSelf).xapic_low() == 0x000840F0u);
    BOOST_TEST(f.shorthand(Shorthand::AllExcludingSelf).xapic_low() == 0x000C40F0u);
    BOOST_TEST(f.shorthand(Shorthand::AllExcludingSelf).shorthand(Shorthand::None).xapic_low() ==
               0x000040F0u);
    BOOST_TEST(f.shorthand(Shorthand::AllExcludingSelf).x2apic_value() == 0x00000000000C40F0ull);
    // Setters replace a field; they never OR into it.
    BOOST_TEST(Icr{}.delivery(Delivery::Nmi).delivery(Delivery::Init).xapic_low() == 0x00004500u);
    BOOST_TEST(Icr{}.vector(0xFF).vector(0x21).xapic_low() == 0x00004021u);
}

BOOST_AUTO_TEST_CASE(icr_wide_destinations) {
    BOOST_TEST(Icr::fixed(255, 0x20).fits_xapic());
    BOOST_TEST(Icr::fixed(255, 0x20).xapic_high() == 0xFF000000u);
    Icr wide = Icr::fixed(0x1234, 0xE1);
    BOOST_TEST(!wide.fits_xapic());
    BOOST_TEST(wide.x2apic_value() == 0x00001234000040E1ull);
    BOOST_TEST(Icr::fixed(0xFFFFFFFFu, 0x20).x2apic_value() == 0xFFFFFFFF00004020ull);
    BOOST_TEST((icr_send_pending & Icr::fixed(0, 0x20).xapic_low()) == 0u);
}

BOOST_AUTO_TEST_CASE(lvt_entries) {
    BOOST_TEST(Lvt{}.encode() == 0x00010000u);
    BOOST_TEST(Lvt::timer(0xD0, TimerMode::OneShot).encode() == 0x000000D0u);
    BOOST_TEST(Lvt::timer(0xD0, TimerMode::Periodic).encode() == 0x000200D0u);
    BOOST_TEST(Lvt::timer(0xD0, TimerMode::TscDeadline).encode() == 0x000400D0u);
    BOOST_TEST(Lvt::timer(0xD0, TimerMode::Periodic).mask().encode() == 0x000300D0u);
    BOOST_TEST(Lvt::timer(0xD0, TimerMode::TscDeadline).timer_mode(TimerMode::OneShot).encode() == 0xD0u);
    BOOST_TEST(Lvt::nmi().encode() == 0x00000400u);
    BOOST_TEST(Lvt::nmi().active_low().level_triggered().encode() == 0x0000A400u);
    BOOST_TEST(Lvt::nmi().active_low().active_high().edge().encode() == 0x00000400u);
    BOOST_TEST(Lvt::extint().encode() == 0x00000700u);
    BOOST_TEST(Lvt{}.vector(0xFE).unmask().encode() == 0x000000FEu);
    BOOST_TEST(Lvt{}.delivery(Delivery::Smi).encode() == 0x00010200u);

    Lvt r = Lvt::from_raw(0x000310D0);  // masked periodic, delivery pending
    BOOST_TEST(r.is_masked());
    BOOST_TEST(r.vector() == 0xD0);
    BOOST_TEST((r.timer_mode() == TimerMode::Periodic));
    BOOST_TEST(r.encode() == 0x000310D0u);
    BOOST_TEST(Lvt::from_raw(0x0000A400).is_active_low());
    BOOST_TEST((Lvt::from_raw(0x00000700).delivery() == Delivery::ExtInt));
}

BOOST_AUTO_TEST_CASE(timer_divide) {
    BOOST_TEST(timer_dcr(TimerDivide::By1) == 0xBu);
    BOOST_TEST(timer_dcr(TimerDivide::By2) == 0x0u);
    BOOST_TEST(timer_dcr(TimerDivide::By4) == 0x1u);
    BOOST_TEST(timer_dcr(TimerDivide::By8) == 0x2u);
    BOOST_TEST(timer_dcr(TimerDivide::By16) == 0x3u);
    BOOST_TEST(timer_dcr(TimerDivide::By32) == 0x8u);
    BOOST_TEST(timer_dcr(TimerDivide::By64) == 0x9u);
    BOOST_TEST(timer_dcr(TimerDivide::By128) == 0xAu);
    for (uint32_t d = 1; d <= 128; d <<= 1)
        BOOST_TEST(timer_dcr_divisor(timer_dcr(static_cast<TimerDivide>(d))) == d);
    BOOST_TEST(timer_dcr_divisor(0x4) == 2u);  // bit 2 is reserved and ignored
}

BOOST_AUTO_TEST_CASE(esr_names) {
    BOOST_TEST(esr_text(0) == "none");
    BOOST_TEST(esr_text(esr::send_illegal_vector) == "send-illegal-vector");
    BOOST_TEST(esr_text(0x44) == "send-accept receive-illegal-vector");
    BOOST_TEST(esr_text(0xFF) ==
               "send-checksum receive-checksum send-accept receive-accept redirectable-ipi "
               "send-illegal-vector receive-illegal-vector illegal-register-address");
    BOOST_TEST(esr_text(0x104) == "send-accept reserved=0x100");
    BOOST_TEST(esr_text(0x80000000u) == "reserved=0x80000000");
    BOOST_TEST(esr::illegal_register == 0x80u);
}

BOOST_AUTO_TEST_CASE(esr_truncation) {
    char buf[10];
    memset(buf, 'x', sizeof buf);
    size_t n = esr_describe(0xFF, buf, sizeof buf);
    BOOST_TEST(n == 142u);
    BOOST_TEST(std::string(buf) == "send-chec");
    char one = 'x';
    BOOST_TEST(esr_describe(0x20, &one, 0) == 19u);
    BOOST_TEST(one == 'x');
    BOOST_TEST(esr_describe(0x20, &one, 1) == 19u);
    BOOST_TEST(one == '\0');
}

BOOST_AUTO_TEST_CASE(ioapic_registers) {
    BOOST_TEST(ioapic_redir_low(0) == 0x10);
    BOOST_TEST(ioapic_redir_high(0) == 0x11);
    BOOST_TEST(ioapic_redir_low(23) == 0x3E);
    BOOST_TEST(ioapic_redir_high(23) == 0x3F);
    BOOST_TEST(ioapic_redir_count(0x00170020) == 24u);  // QEMU's IOAPIC: version 0x20, 24 pins
}

BOOST_AUTO_TEST_CASE(ioapic_redirection_entries) {
    RedirEntry fresh;
    BOOST_TEST(fresh.encode_low() == 0x00010000u);
    BOOST_TEST(fresh.encode_high() == 0u);

    RedirEntry com1 = RedirEntry{}.vector(0x34).destination(2).unmask();
    BOOST_TEST(com1.encode_low() == 0x00000034u);
    BOOST_TEST(com1.encode_high() == 0x02000000u);

    // An ISA IRQ behind an active-low, level-triggered override (the SCI on IRQ 9).
    RedirEntry sci = RedirEntry{}.vector(0x39).active_low().level_triggered().destination(1).unmask();
    BOOST_TEST(sci.encode_low() == 0x0000A039u);
    BOOST_TEST(sci.encode_high() == 0x01000000u);

    BOOST_TEST(RedirEntry{}.vector(0x40).logical().destination(0x0F).encode_low() == 0x00010840u);
    BOOST_TEST(RedirEntry{}.delivery(Delivery::LowestPriority).vector(0x41).unmask().encode_low() ==
               0x00000141u);
    BOOST_TEST(RedirEntry{}.delivery(Delivery::ExtInt).unmask().encode_low() == 0x00000700u);
    BOOST_TEST(RedirEntry{}.delivery(Delivery::Nmi).unmask().encode_low() == 0x00000400u);

    BOOST_TEST(RedirEntry{}.destination(0xFF).fits());
    BOOST_TEST(!RedirEntry{}.destination(0x100).fits());

    RedirEntry back = RedirEntry::from_raw(0x0001A039, 0x05000000);
    BOOST_TEST(back.is_masked());
    BOOST_TEST(back.is_active_low());
    BOOST_TEST(back.is_level_triggered());
    BOOST_TEST(back.vector() == 0x39);
    BOOST_TEST(back.destination() == 5u);
    BOOST_TEST(back.encode_high() == 0x05000000u);
    BOOST_TEST(!back.remote_irr());
    BOOST_TEST(RedirEntry::from_raw(0x0000E039, 0).remote_irr());  // level, low, Remote IRR (bit 14)
}

// MPS INTI flags (MP 1.4 Table 4-10; ACPI 6.5 Table 5.50): polarity in bits
// 1:0, trigger in 3:2; 00 conforms to the bus, 01 high / edge, 10 reserved,
// 11 low / level. Each of the 16 values, over the ISA default (edge, high)
// and the SCI's (level, low), down to the RTE's bits 13 and 15. QEMU's MADT
// gives 0xD for IRQs 5, 9, 10, 11 (level, high) and never an active-low
// one, so the low cases are covered here and only here.
BOOST_AUTO_TEST_CASE(inti_flags_to_redirection_entry_bits) {
    struct Row { uint16_t flags; uint32_t isa_bits, sci_bits; };
    constexpr uint32_t L = 1u << 13, T = 1u << 15;  // active low, level triggered
    const Row rows[] = {
        {0x0, 0, L | T},  {0x1, 0, T},      {0x2, 0, L | T},  {0x3, L, L | T},  // edge/level conform
        {0x4, 0, L},      {0x5, 0, 0},      {0x6, 0, L},      {0x7, L, L},      // edge
        {0x8, 0, L | T},  {0x9, 0, T},      {0xA, 0, L | T},  {0xB, L, L | T},  // trigger reserved
        {0xC, T, L | T},  {0xD, T, T},      {0xE, T, L | T},  {0xF, L | T, L | T},  // level
    };
    for (const Row& r : rows) {
        BOOST_TEST_CONTEXT("flags 0x" << std::hex << r.flags) {
            uint32_t isa = RedirEntry{}.input(inti_mode(r.flags, isa_input)).encode_low() & (L | T);
            uint32_t sci = RedirEntry{}.input(inti_mode(r.flags, sci_input)).encode_low() & (L | T);
            BOOST_TEST(isa == r.isa_bits);
            BOOST_TEST(sci == r.sci_bits);
            BOOST_TEST(inti_active_low(r.flags) == ((r.isa_bits & L) != 0));
            BOOST_TEST(inti_level(r.flags) == ((r.isa_bits & T) != 0));
            BOOST_TEST(inti_reserved(r.flags) == ((r.flags & 3) == 2 || (r.flags >> 2) == 2));
        }
    }
    // Setting a mode over an entry that had the other one clears the bits.
    RedirEntry e = RedirEntry{}.input(InputMode{true, true}).input(InputMode{false, false});
    BOOST_TEST((e.encode_low() & (L | T)) == 0u);
    BOOST_TEST(!e.input().active_low);
    BOOST_TEST(RedirEntry::from_raw(0x0000A039, 0).input().level);
    // SeaBIOS's MP table (-machine pc,acpi=off) lists PCI INTA of device 3
    // with flags 0x1: active high, trigger conforming; on PCI (level, active
    // low by default) that is level, active high.
    InputMode pci = inti_mode(0x1, InputMode{true, true});
    BOOST_TEST(!pci.active_low);
    BOOST_TEST(pci.level);
}


// The boot CPU's id (SDM Vol. 3A 10.4.6, 10.12.5.1): the xAPIC ID register
// wins where the machine stays in xAPIC mode; in x2APIC mode, or with the
// LAPIC disabled, CPUID's id is the one.

constexpr uint64_t kXapic = 0xFEE00000ull | apic_base::enable | apic_base::bsp;
constexpr uint64_t kX2apic = kXapic | apic_base::x2apic;

BOOST_AUTO_TEST_CASE(register_agrees) {
    BootApicId b = boot_apic_id(3, kXapic, 3u << 24, false);
    BOOST_TEST(b.id == 3u);
    BOOST_TEST(int(b.source) == int(BootIdSource::Register));
}

BOOST_AUTO_TEST_CASE(register_rewritten_wins) {
    BootApicId b = boot_apic_id(0, kXapic, (7u << 24) | 0x00ABCDEFu, false);  // low bits are reserved
    BOOST_TEST(b.id == 7u);
    BOOST_TEST(b.cpuid_id == 0u);
    BOOST_TEST(int(b.source) == int(BootIdSource::Rewritten));
}

BOOST_AUTO_TEST_CASE(eight_bits_compared) {
    // CPUID's x2APIC id 0x105 and an xAPIC register of 0x05: the same CPU
    // seen through 8 bits, not a rewrite; the full id is kept.
    BootApicId b = boot_apic_id(0x105, kXapic, 0x05u << 24, false);
    BOOST_TEST(b.id == 0x105u);
    BOOST_TEST(int(b.source) == int(BootIdSource::Register));
}

BOOST_AUTO_TEST_CASE(x2apic_goes_by_cpuid) {
    // Going to x2APIC: the register will read CPUID's id whatever xAPIC held.
    BOOST_TEST(boot_apic_id(2, kXapic, 9u << 24, true).id == 2u);
    BOOST_TEST(int(boot_apic_id(2, kXapic, 9u << 24, true).source) == int(BootIdSource::Cpuid));
    // Already in x2APIC mode (firmware): no xAPIC register to read.
    BOOST_TEST(boot_apic_id(300, kX2apic, 0, false).id == 300u);
}

BOOST_AUTO_TEST_CASE(disabled_lapic_goes_by_cpuid) {
    BootApicId b = boot_apic_id(1, 0xFEE00000ull, 0xFFFFFFFFu, false);
    BOOST_TEST(b.id == 1u);
    BOOST_TEST(int(b.source) == int(BootIdSource::Cpuid));
}

BOOST_AUTO_TEST_SUITE_END()
