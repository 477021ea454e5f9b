/// @file apicregs.h
/// Local APIC and IOAPIC register numbers and register values, without any
/// hardware access: lapic.cpp and ioapic.cpp do the reads and writes, this file
/// only says where the registers are and what their bits mean.
///
/// Register values are small constexpr value types with named setters, e.g.
/// `Icr::startup(apic, 0x08)` or `Lvt{}.vector(vec::timer).timer_mode(TimerMode::Periodic)`.
/// Each setter returns a changed copy, so a value can be built in a constant
/// expression. C bitfields are avoided on purpose: their layout is the
/// compiler's choice, the bit positions below are the SDM's.
#pragma once
#include "types.h"

/// Local APIC registers by their xAPIC MMIO offset from the APIC base
/// (SDM Vol. 3A 10.4.1, Table 10-1). In x2APIC mode the same registers are MSRs,
/// numbered by x2apic_msr().
enum class LapicReg : uint16_t {
    Id = 0x020,           ///< Local APIC id (xAPIC: bits 31:24; x2APIC: all 32 bits).
    Version = 0x030,      ///< Version and number of LVT entries.
    Tpr = 0x080,          ///< Task priority: the runlevel on i686 (runlevel.h).
    Apr = 0x090,          ///< Arbitration priority (xAPIC only).
    Ppr = 0x0A0,          ///< Processor priority (read only).
    Eoi = 0x0B0,          ///< End of interrupt: write 0.
    Ldr = 0x0D0,          ///< Logical destination (read only in x2APIC).
    Dfr = 0x0E0,          ///< Destination format (xAPIC only).
    Svr = 0x0F0,          ///< Spurious interrupt vector and the software-enable bit.
    IsrBase = 0x100,      ///< First of eight in-service words (vectors 0..31 at +0x00).
    TmrBase = 0x180,      ///< First of eight trigger-mode words.
    IrrBase = 0x200,      ///< First of eight interrupt-request words.
    Esr = 0x280,          ///< Error status (write before reading, SDM 10.5.3).
    LvtCmci = 0x2F0,      ///< LVT corrected machine-check interrupt.
    IcrLow = 0x300,       ///< Interrupt command, bits 31:0 (x2APIC: the whole 64-bit ICR).
    IcrHigh = 0x310,      ///< Interrupt command, bits 63:32 (xAPIC only).
    LvtTimer = 0x320,     ///< LVT timer.
    LvtThermal = 0x330,   ///< LVT thermal sensor.
    LvtPerf = 0x340,      ///< LVT performance-monitoring counters.
    LvtLint0 = 0x350,     ///< LVT LINT0 pin (ExtINT in virtual-wire mode).
    LvtLint1 = 0x360,     ///< LVT LINT1 pin (usually NMI).
    LvtError = 0x370,     ///< LVT error.
    TimerInitial = 0x380, ///< Timer initial count.
    TimerCurrent = 0x390, ///< Timer current count (read only).
    TimerDivide = 0x3E0,  ///< Timer divide configuration (timer_dcr()).
    SelfIpi = 0x3F0,      ///< Self IPI (x2APIC only).
};

/// The x2APIC MSR of register @p r: MSR 0x800 + offset / 16 (SDM Vol. 3A
/// 10.12.1.2). The only place that mapping is computed.
constexpr uint32_t x2apic_msr(LapicReg r) { return 0x800u + (static_cast<uint32_t>(r) >> 4); }

/// Whether @p r exists in x2APIC mode: APR, DFR and the ICR's high half do not
/// (SDM Vol. 3A Table 10-6), and touching their MSRs is a \#GP.
constexpr bool x2apic_has(LapicReg r) {
    return r != LapicReg::Apr && r != LapicReg::Dfr && r != LapicReg::IcrHigh;
}
/// Whether @p r exists in xAPIC (MMIO) mode: everything but the self-IPI register.
constexpr bool xapic_has(LapicReg r) { return r != LapicReg::SelfIpi; }

/// The ISR, TMR or IRR word (@p bank is IsrBase, TmrBase or IrrBase) holding
/// @p vector's bit: 32 vectors per word, words 0x10 bytes apart (SDM 10.8.4).
constexpr LapicReg lapic_vector_reg(LapicReg bank, uint8_t vector) {
    return static_cast<LapicReg>(static_cast<uint16_t>(bank) + (vector >> 5) * 0x10);
}
/// @p vector's bit inside its lapic_vector_reg() word.
constexpr uint32_t lapic_vector_bit(uint8_t vector) { return 1u << (vector & 31); }

/// The APIC version byte of a Version register value (0x1x: integrated APIC).
constexpr uint8_t lapic_version(uint32_t version_reg) { return version_reg & 0xFF; }
/// The number of LVT entries from a Version register value (bits 23:16 hold one less).
constexpr uint32_t lapic_lvt_count(uint32_t version_reg) { return ((version_reg >> 16) & 0xFF) + 1; }

/// Bits of the spurious-interrupt vector register (SDM Vol. 3A 10.9, Figure 10-23).
namespace svr {
constexpr uint32_t enable = 1u << 8;           ///< APIC software enable.
constexpr uint32_t no_focus = 1u << 9;         ///< Focus-processor checking disabled.
constexpr uint32_t eoi_no_broadcast = 1u << 12; ///< Suppress EOI broadcast to IOAPICs.
}  // namespace svr

/// IA32_APIC_BASE, the MSR that enables the APIC and chooses its mode
/// (SDM Vol. 3A 10.4.4 and 10.12.1).
namespace apic_base {
constexpr uint32_t msr = 0x1B;               ///< The MSR number.
constexpr uint64_t bsp = 1ull << 8;          ///< Set on the bootstrap processor.
constexpr uint64_t x2apic = 1ull << 10;      ///< EXTD: x2APIC mode (needs enable too).
constexpr uint64_t enable = 1ull << 11;      ///< Global APIC enable.
constexpr uint64_t base_mask = ~0xFFFull;    ///< Physical base of the xAPIC MMIO page.
}  // namespace apic_base

/// Where the boot CPU's APIC id came from (boot_apic_id()).
enum class BootIdSource : uint8_t {
    Cpuid,     ///< CPUID: x2APIC mode (its ID register is CPUID's id), or no enabled xAPIC to read.
    Register,  ///< The xAPIC ID register, and CPUID agrees.
    Rewritten, ///< The xAPIC ID register, which disagrees with CPUID: firmware changed it.
};

/// The boot CPU's APIC id, decided before the tables are read (main.cpp).
struct BootApicId {
    uint32_t id;          ///< The id to find the boot CPU by in the tables, and to send to.
    uint32_t cpuid_id;    ///< What CPUID said (leaf 0xB's x2APIC id, else leaf 1's 8 bits).
    BootIdSource source;  ///< Which of the two @ref id is.
};

/// Decide the boot CPU's APIC id from CPUID's @p cpuid_id, the
/// IA32_APIC_BASE value @p base, the raw xAPIC ID register @p id_reg (MMIO
/// offset 0x20; read only when @p base says xAPIC mode) and the mode the
/// machine will run in. Interrupts and IPIs are delivered by the ID register,
/// which firmware may have rewritten in xAPIC mode (SDM Vol. 3A 10.4.6);
/// CPUID keeps the id the CPU had at reset. So in xAPIC mode the register
/// wins (its 8 bits, 31:24, against CPUID's low 8). In x2APIC mode the ID
/// register is read-only and is CPUID's x2APIC id (SDM 10.12.5.1), whatever
/// the xAPIC register held before the switch.
constexpr BootApicId boot_apic_id(uint32_t cpuid_id, uint64_t base, uint32_t id_reg, bool will_x2apic) {
    bool xapic_now = (base & apic_base::enable) && !(base & apic_base::x2apic);
    if (will_x2apic || !xapic_now) return {cpuid_id, cpuid_id, BootIdSource::Cpuid};
    uint32_t reg = id_reg >> 24;
    if (reg == (cpuid_id & 0xFFu)) return {cpuid_id, cpuid_id, BootIdSource::Register};
    return {reg, cpuid_id, BootIdSource::Rewritten};
}

/// Delivery modes, shared by the ICR, the LVT entries and IOAPIC redirection
/// entries (SDM 10.6.1, 10.5.1; 82093AA 3.2.4). Not every mode is legal
/// everywhere: LVT entries take Fixed, Smi, Nmi, Init or ExtInt; the ICR takes
/// all but ExtInt; IOAPIC entries all but StartUp.
enum class Delivery : uint8_t {
    Fixed = 0,          ///< The vector, to the destination.
    LowestPriority = 1, ///< The vector, to the lowest-priority CPU of the destination set.
    Smi = 2,            ///< System-management interrupt (vector 0).
    Nmi = 4,            ///< Non-maskable interrupt (vector ignored).
    Init = 5,           ///< INIT: reset the target into wait-for-SIPI.
    StartUp = 6,        ///< SIPI: start the target at vector * 4 KiB in real mode.
    ExtInt = 7,         ///< Take the vector from an 8259-style controller.
};

/// The bits that the ICR, LVT entries and IOAPIC entries share: vector in
/// 7:0, delivery mode in 10:8 and trigger mode in bit 15. @p D is the value
/// type built on it; setters return a changed copy of that type.
template <typename D>
class ApicWord {
public:
    /// With vector @p v.
    constexpr D vector(uint8_t v) const { return with(0xFFu, v); }
    /// With delivery mode @p d.
    constexpr D delivery(Delivery d) const { return with(7u << 8, static_cast<uint32_t>(d) << 8); }
    /// Edge triggered.
    constexpr D edge() const { return with(1u << 15, 0); }
    /// Level triggered.
    constexpr D level_triggered() const { return with(1u << 15, 1u << 15); }
    /// The vector.
    constexpr uint8_t vector() const { return lo_ & 0xFF; }
    /// The delivery mode.
    constexpr Delivery delivery() const { return static_cast<Delivery>((lo_ >> 8) & 7); }
    /// True when level triggered.
    constexpr bool is_level_triggered() const { return lo_ & (1u << 15); }

protected:
    /// A copy with the bits in @p mask replaced by those of @p bits.
    constexpr D with(uint32_t mask, uint32_t bits) const {
        D d = static_cast<const D&>(*this);
        d.lo_ = (lo_ & ~mask) | (bits & mask);
        return d;
    }
    uint32_t lo_ = 0; ///< The 32-bit register word (the low word for the ICR and IOAPIC).
};

/// ApicWord plus the input polarity (bit 13) and mask (bit 16) that LVT and
/// IOAPIC entries have.
template <typename D>
class MaskableWord : public ApicWord<D> {
public:
    /// Input active high.
    constexpr D active_high() const { return this->with(1u << 13, 0); }
    /// Input active low.
    constexpr D active_low() const { return this->with(1u << 13, 1u << 13); }
    /// Masked: the source cannot interrupt.
    constexpr D mask() const { return this->with(1u << 16, 1u << 16); }
    /// Unmasked.
    constexpr D unmask() const { return this->with(1u << 16, 0); }
    /// True when active low.
    constexpr bool is_active_low() const { return this->lo_ & (1u << 13); }
    /// True when masked.
    constexpr bool is_masked() const { return this->lo_ & (1u << 16); }
};

/// ICR destination shorthands (bits 19:18, SDM 10.6.1).
enum class Shorthand : uint8_t {
    None = 0,             ///< Use the destination field.
    Self = 1,             ///< Only the sending CPU.
    AllIncludingSelf = 2, ///< Every CPU.
    AllExcludingSelf = 3, ///< Every CPU but the sender.
};

/// Delivery-status bit of the xAPIC ICR low word: set while the IPI is still
/// being sent (SDM 10.6.1). x2APIC has no such bit (SDM 10.12.9).
constexpr uint32_t icr_send_pending = 1u << 12;

/// An interrupt command (SDM Vol. 3A 10.6.1, Figure 10-12), encoded for either
/// mode: xapic_high()/xapic_low() for the two MMIO writes (high first, the low
/// write sends), x2apic_value() for the one 64-bit WRMSR.
///
/// A fresh Icr is fixed, physical, edge, no shorthand, destination 0, with the
/// level bit set: SDM 10.6.1 asks for level = 1 in every delivery mode except
/// INIT de-assert.
class Icr : public ApicWord<Icr> {
public:
    constexpr Icr() { lo_ = 1u << 14; }
    /// Physical destination mode: the destination is an APIC id.
    constexpr Icr physical() const { return with(1u << 11, 0); }
    /// Logical destination mode: the destination is matched against LDR/DFR.
    constexpr Icr logical() const { return with(1u << 11, 1u << 11); }
    /// Level assert (bit 14 set).
    constexpr Icr assert_level() const { return with(1u << 14, 1u << 14); }
    /// Level de-assert (bit 14 clear): only for INIT de-assert.
    constexpr Icr deassert_level() const { return with(1u << 14, 0); }
    /// With destination shorthand @p s.
    constexpr Icr shorthand(Shorthand s) const { return with(3u << 18, static_cast<uint32_t>(s) << 18); }
    /// With destination @p apic (an APIC id, or a logical set in logical mode).
    constexpr Icr destination(uint32_t apic) const { Icr c = *this; c.dest_ = apic; return c; }

    /// The destination field.
    constexpr uint32_t destination() const { return dest_; }
    /// The shorthand.
    constexpr Shorthand shorthand() const { return static_cast<Shorthand>((lo_ >> 18) & 3); }
    /// True when the destination fits xAPIC's 8-bit field. Ids above 255 need
    /// x2APIC; an xAPIC sender must refuse them rather than truncate.
    constexpr bool fits_xapic() const { return dest_ <= 0xFF; }

    /// The xAPIC low word (the write that sends).
    constexpr uint32_t xapic_low() const { return lo_; }
    /// The xAPIC high word: destination in bits 31:24 (only 8 bits; see fits_xapic()).
    constexpr uint32_t xapic_high() const { return (dest_ & 0xFF) << 24; }
    /// The x2APIC ICR MSR value: destination in bits 63:32 (SDM 10.12.9).
    constexpr uint64_t x2apic_value() const { return (static_cast<uint64_t>(dest_) << 32) | lo_; }

    /// A fixed interrupt with @p vector to @p apic.
    static constexpr Icr fixed(uint32_t apic, uint8_t vector) { return Icr{}.vector(vector).destination(apic); }
    /// An NMI to @p apic.
    static constexpr Icr nmi(uint32_t apic) { return Icr{}.delivery(Delivery::Nmi).destination(apic); }
    /// INIT, level triggered and asserted, to @p apic (SDM 10.4.7.3, 8.4.4.1).
    static constexpr Icr init_assert(uint32_t apic) {
        return Icr{}.delivery(Delivery::Init).level_triggered().destination(apic);
    }
    /// INIT level de-assert: resets every CPU's arbitration id. Only CPUs before
    /// the Pentium 4 need it; SDM 10.6.1 says it goes to all, and that software
    /// should give the all-including-self shorthand.
    static constexpr Icr init_deassert() {
        return Icr{}.delivery(Delivery::Init).level_triggered().deassert_level()
            .shorthand(Shorthand::AllIncludingSelf);
    }
    /// Start-up IPI to @p apic: the AP starts in real mode at
    /// @p vector_page * 4 KiB (so the trampoline is page aligned below 1 MiB).
    static constexpr Icr startup(uint32_t apic, uint8_t vector_page) {
        return Icr{}.delivery(Delivery::StartUp).vector(vector_page).destination(apic);
    }

private:
    uint32_t dest_ = 0;
};

/// LVT timer modes (bits 18:17, SDM 10.5.4 and 10.5.4.1).
enum class TimerMode : uint8_t {
    OneShot = 0,     ///< Count down once from the initial count.
    Periodic = 1,    ///< Reload the initial count at zero.
    TscDeadline = 2, ///< Fire when the TSC reaches IA32_TSC_DEADLINE (CPUID.01H:ECX[24]).
};

/// A local vector table entry (SDM Vol. 3A 10.5.1, Figure 10-8). Polarity and
/// trigger matter only for LINT0/LINT1, the timer mode only for the timer.
/// A fresh Lvt is masked, as every LVT entry is after reset (SDM 10.4.7.1).
class Lvt : public MaskableWord<Lvt> {
public:
    constexpr Lvt() { lo_ = 1u << 16; }
    /// With timer mode @p m.
    constexpr Lvt timer_mode(TimerMode m) const { return with(3u << 17, static_cast<uint32_t>(m) << 17); }
    /// The timer mode.
    constexpr TimerMode timer_mode() const { return static_cast<TimerMode>((lo_ >> 17) & 3); }
    /// The register value.
    constexpr uint32_t encode() const { return lo_; }
    /// The value read back from a register, for printing (read-only bits kept).
    static constexpr Lvt from_raw(uint32_t raw) { Lvt l; l.lo_ = raw; return l; }
    /// An unmasked timer entry with @p vector in mode @p m.
    static constexpr Lvt timer(uint8_t vector, TimerMode m) { return Lvt{}.vector(vector).timer_mode(m).unmask(); }
    /// An unmasked NMI entry for a LINT pin (an MADT/MP "local NMI" source).
    static constexpr Lvt nmi() { return Lvt{}.delivery(Delivery::Nmi).unmask(); }
    /// An unmasked ExtINT entry: LINT0 passes the 8259's interrupts (virtual wire).
    static constexpr Lvt extint() { return Lvt{}.delivery(Delivery::ExtInt).unmask(); }
};

/// The divisors the LAPIC timer supports.
enum class TimerDivide : uint8_t {
    By1 = 1,     ///< Count at the bus (core crystal) clock.
    By2 = 2,     ///< Half that rate.
    By4 = 4,     ///< A quarter.
    By8 = 8,     ///< An eighth.
    By16 = 16,   ///< A sixteenth: the usual choice, as in xv6 and Linux.
    By32 = 32,   ///< A thirty-second.
    By64 = 64,   ///< A sixty-fourth.
    By128 = 128, ///< A hundred-and-twenty-eighth: the longest period.
};

/// The divide-configuration register value for @p d (SDM Vol. 3A 10.5.4,
/// Figure 10-10). The 3-bit code is (log2(d) - 1) mod 8 and sits in bits
/// 3, 1 and 0 (bit 2 is reserved): by 2 is 0x0, by 128 is 0xA, by 1 is 0xB.
constexpr uint32_t timer_dcr(TimerDivide d) {
    uint32_t code = (static_cast<uint32_t>(__builtin_ctz(static_cast<uint32_t>(d))) + 7) & 7;
    return (code & 3) | ((code & 4) << 1);
}
/// The divisor a divide-configuration register value @p dcr selects.
constexpr uint32_t timer_dcr_divisor(uint32_t dcr) {
    uint32_t code = (dcr & 3) | ((dcr >> 1) & 4);
    return 1u << ((code + 1) & 7);
}

/// Error-status register bits (SDM Vol. 3A 10.5.3, Figure 10-9).
namespace esr {
constexpr uint32_t send_checksum = 1u << 0;        ///< A sent message's checksum failed (P6/Pentium bus).
constexpr uint32_t receive_checksum = 1u << 1;     ///< A received message's checksum failed (P6/Pentium bus).
constexpr uint32_t send_accept = 1u << 2;          ///< A sent message was accepted by no APIC.
constexpr uint32_t receive_accept = 1u << 3;       ///< A received message was accepted by no APIC.
constexpr uint32_t redirectable_ipi = 1u << 4;     ///< Lowest-priority IPI that this model cannot send.
constexpr uint32_t send_illegal_vector = 1u << 5;  ///< This APIC sent a vector below 16.
constexpr uint32_t receive_illegal_vector = 1u << 6; ///< This APIC received a vector below 16.
constexpr uint32_t illegal_register = 1u << 7;     ///< Access to a register that does not exist.
}  // namespace esr

/// Writes the names of the bits set in @p esr into @p buf (@p cap bytes,
/// always NUL-terminated when cap > 0), space separated, e.g.
/// "send-accept send-illegal-vector"; "none" for 0; reserved bits as
/// "reserved=0x...". Returns the length the full text has (truncated when >= cap).
size_t esr_describe(uint32_t esr, char* buf, size_t cap);

/// IOAPIC registers, reached through the index register IOREGSEL (MMIO
/// offset ioapic_regsel) and the data window IOWIN (ioapic_win) (82093AA 3.1).
enum class IoapicReg : uint8_t {
    Id = 0x00,          ///< IOAPIC id in bits 27:24.
    Version = 0x01,     ///< Version in 7:0, highest redirection entry in 23:16.
    Arbitration = 0x02, ///< Arbitration id.
    RedirBase = 0x10,   ///< Redirection entry 0, low word; entry n at 0x10 + 2n (low), +1 (high).
};
constexpr uint32_t ioapic_regsel = 0x00; ///< MMIO offset of IOREGSEL.
constexpr uint32_t ioapic_win = 0x10;    ///< MMIO offset of IOWIN.

/// The register index of redirection entry @p pin's low word.
constexpr uint8_t ioapic_redir_low(uint32_t pin) { return static_cast<uint8_t>(0x10 + 2 * pin); }
/// The register index of redirection entry @p pin's high word.
constexpr uint8_t ioapic_redir_high(uint32_t pin) { return static_cast<uint8_t>(0x11 + 2 * pin); }
/// Number of redirection entries from a Version register value.
constexpr uint32_t ioapic_redir_count(uint32_t version_reg) { return ((version_reg >> 16) & 0xFF) + 1; }

/// An interrupt input's electrical mode: how the IOAPIC must sample its pin.
/// A level-triggered input keeps asking until the device is served, an edge
/// one asks once; a wrong polarity reads an idle line as asserted.
struct InputMode {
    bool active_low; ///< Asserted when low (RTE bit 13).
    bool level;      ///< Level triggered (RTE bit 15), else edge.
};

/// An IOAPIC redirection-table entry (82093AA datasheet 3.2.4): the low word
/// has the same layout as an LVT entry plus the destination mode in bit 11;
/// the destination is bits 63:56.
///
/// The destination is only 8 bits, in xAPIC and in x2APIC mode alike: without
/// interrupt remapping (VT-d / AMD-Vi) a device interrupt reaches only CPUs
/// whose APIC id fits in 8 bits (and 0xFF means every CPU in physical mode).
/// fits() tells; ioapic_route() must pick a CPU for which it holds.
/// A fresh entry is masked, as after reset, so a half-built entry never fires.
class RedirEntry : public MaskableWord<RedirEntry> {
public:
    constexpr RedirEntry() { lo_ = 1u << 16; }
    /// Physical destination mode: the destination is an APIC id.
    constexpr RedirEntry physical() const { return with(1u << 11, 0); }
    /// Logical destination mode.
    constexpr RedirEntry logical() const { return with(1u << 11, 1u << 11); }
    /// With destination @p apic.
    constexpr RedirEntry destination(uint32_t apic) const { RedirEntry e = *this; e.dest_ = apic; return e; }
    /// The destination.
    constexpr uint32_t destination() const { return dest_; }
    /// True when the destination fits the 8-bit field (see the class comment).
    constexpr bool fits() const { return dest_ <= 0xFF; }
    /// With polarity and trigger mode @p m.
    constexpr RedirEntry input(InputMode m) const {
        RedirEntry e = m.active_low ? active_low() : active_high();
        return m.level ? e.level_triggered() : e.edge();
    }
    /// Polarity and trigger mode.
    constexpr InputMode input() const { return InputMode{is_active_low(), is_level_triggered()}; }
    /// Remote IRR (bit 14, read only): for a level-triggered entry, set when a
    /// local APIC accepted the interrupt and cleared by its EOI; undefined for
    /// edge-triggered entries (82093AA 3.2.4).
    constexpr bool remote_irr() const { return lo_ & (1u << 14); }
    /// The low register word.
    constexpr uint32_t encode_low() const { return lo_; }
    /// The high register word: destination in bits 31:24 (entry bits 63:56).
    constexpr uint32_t encode_high() const { return (dest_ & 0xFF) << 24; }
    /// The entry read back from its two words, for printing.
    static constexpr RedirEntry from_raw(uint32_t low, uint32_t high) {
        RedirEntry e; e.lo_ = low; e.dest_ = high >> 24; return e;
    }

private:
    uint32_t dest_ = 0;
};
