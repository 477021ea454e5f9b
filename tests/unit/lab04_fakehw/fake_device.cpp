/// @file fake_device.cpp
/// The fake CPU behind x86.h, timer.h, panic.h and cpu.h (see fake_device.h).
#include "fake_device.h"
#include <cstdarg>
#include <cstdio>
#include "apicregs.h"
#include "timer.h"
#include "x86.h"

FakeDevice fake;
namespace {
Cpu the_cpu;
uintptr_t flags = 0x200;

std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
    return b;
}

ApicMode mode_of(uint64_t base) {
    if (!(base & apic_base::enable)) return ApicMode::None;
    return (base & apic_base::x2apic) ? ApicMode::X2Apic : ApicMode::XApic;
}

/// IA32_APIC_BASE transitions (SDM Vol. 3A 10.12.5, Figure 10-27).
void write_apic_base(uint64_t v) {
    fake.events.push_back("apic_base " + hex(v));
    // The mode recorded in the Cpu block must never name a mode the APIC is not
    // in: an interrupt taken between the writes would use it.
    if (the_cpu.apic_mode != ApicMode::None && the_cpu.apic_mode != mode_of(fake.apic_base))
        throw FakeFault("Cpu::apic_mode says " + std::string(apic_mode_name(the_cpu.apic_mode)) +
                        " while IA32_APIC_BASE is still " + apic_mode_name(mode_of(fake.apic_base)));
    if ((v & apic_base::x2apic) && !(v & apic_base::enable))
        throw FakeFault("#GP: IA32_APIC_BASE " + hex(v) + ": x2APIC bit without the enable bit (invalid state)");
    if (mode_of(fake.apic_base) == ApicMode::X2Apic && mode_of(v) == ApicMode::XApic)
        throw FakeFault("#GP: IA32_APIC_BASE " + hex(v) + ": x2APIC -> xAPIC directly (only through disabled)");
    fake.apic_base = v;
}

void need_mode(ApicMode m, const std::string& what) {
    if (fake_hw_mode() != m)
        throw FakeFault(what + " while the APIC is in " + apic_mode_name(fake_hw_mode()) + " mode");
}

uint32_t& reg(uint32_t offset) {
    static uint32_t other[0x400 / 4];
    switch (offset) {
    case 0x080: return fake.tpr;
    case 0x300: return fake.icr_low;
    case 0x310: return fake.icr_high;
    default: return other[(offset / 4) % (0x400 / 4)];
    }
}
}  // namespace

void FakeDevice::reset(uint64_t base, uint32_t id) {
    *this = FakeDevice{};
    apic_base = base;
    apic_id = id;
    the_cpu = Cpu{};
    the_cpu.apic_id = id;
}

ApicMode fake_hw_mode() { return mode_of(fake.apic_base); }

Cpu* this_cpu() { return &the_cpu; }

uint64_t rdmsr(uint32_t msr) {
    if (msr == apic_base::msr) return fake.apic_base;
    if (msr >= 0x800 && msr <= 0x8FF) {
        need_mode(ApicMode::X2Apic, "#GP: RDMSR " + hex(msr));
        if (msr == x2apic_msr(LapicReg::Id)) return fake.apic_id;
        if (msr == x2apic_msr(LapicReg::Tpr)) return fake.tpr;
        if (msr == x2apic_msr(LapicReg::IcrHigh)) throw FakeFault("#GP: RDMSR 0x831 (no ICR high half in x2APIC)");
        return 0;
    }
    throw FakeFault("#GP: RDMSR " + hex(msr) + " (not modelled)");
}

void wrmsr(uint32_t msr, uint64_t v) {
    if (msr == apic_base::msr) return write_apic_base(v);
    if (msr >= 0x800 && msr <= 0x8FF) {
        need_mode(ApicMode::X2Apic, "#GP: WRMSR " + hex(msr));
        fake.events.push_back("wrmsr " + hex(msr) + " " + hex(v));
        if (msr == x2apic_msr(LapicReg::IcrHigh)) throw FakeFault("#GP: WRMSR 0x831 (no ICR high half in x2APIC)");
        if (msr == x2apic_msr(LapicReg::IcrLow)) {
            if (!fake.fenced) throw FakeFault("x2APIC ICR written with no fence since the previous stores");
            fake.fenced = false;
            fake.x2apic_sends.push_back(v);
        }
        if (msr == x2apic_msr(LapicReg::Tpr)) fake.tpr = uint32_t(v);
        return;
    }
    throw FakeFault("#GP: WRMSR " + hex(msr) + " (not modelled)");
}

void wrmsr_fence() {
    fake.events.push_back("fence");
    fake.fenced = true;
}

uint32_t mmio_read32(uintptr_t addr) {
    uint32_t off = uint32_t(addr - FAKE_MMIO);
    need_mode(ApicMode::XApic, "MMIO read of " + hex(off));
    if (off == 0x020) return fake.apic_id << 24;
    if (off == 0x300) {
        if (++fake.icr_polls > 50000000) throw FakeFault("the delivery-status poll never gives up");
        uint32_t v = fake.icr_low & ~icr_send_pending;
        if (fake.pending_reads > 0) {
            v |= icr_send_pending;
            if (fake.busy_reads != 0xFFFFFFFFu) --fake.pending_reads;
        }
        return v;
    }
    return reg(off);
}

void mmio_write32(uintptr_t addr, uint32_t v) {
    uint32_t off = uint32_t(addr - FAKE_MMIO);
    need_mode(ApicMode::XApic, "MMIO write of " + hex(off));
    fake.events.push_back("mmio " + hex(off) + " " + hex(v));
    if ((off == 0x300 || off == 0x310) && fake.pending_reads > 0)
        throw FakeFault("ICR written while the previous IPI is still pending: it is lost or mixed");
    reg(off) = v;
    if (off == 0x300) {
        fake.xapic_sends.push_back(FakeSend{fake.icr_high, v});
        fake.pending_reads = fake.busy_reads;
    }
}

uint64_t rdtsc() { return fake.tsc += 1000; }
uintptr_t read_flags() { return flags; }
void write_flags(uintptr_t f) { flags = f; }
void cli() { flags &= ~uintptr_t(0x200); }
void sti() { flags |= 0x200; }
void cpu_relax() {}

uint64_t tsc_khz() { return 1000000; }
uint64_t now_ns() { return fake.tsc += 1000; }
uint64_t tsc_to_ns(uint64_t ticks) { return ticks; }
void udelay(uint64_t us) { fake.tsc += us * 1000; }
void mdelay(uint64_t ms) { fake.tsc += ms * 1000000; }

void panic(const char* fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    throw FakeFault(std::string("PANIC: ") + buf);
}
