/// @file ioapic.cpp
/// IOAPIC programming: two registers (index and window) per chip, and one
/// 64-bit redirection entry per input pin.
#include "ioapic.h"
#include "apicregs.h"
#include "cpu.h"
#include "cputable.h"
#include "lapic.h"
#include "log.h"
#include "spinlock.h"
#include "vm.h"

namespace {

struct Chip {
    uintptr_t base;
    uint32_t gsi_base, pins;
    uint8_t id;
};
Chip chips[MAX_IOAPICS];
uint32_t nchips = 0;
SpinLock lock("ioapic");  // index/window pairs must not interleave

uint32_t rd(const Chip& c, uint8_t reg) {
    *(volatile uint32_t*)(c.base + ioapic_regsel) = reg;
    return *(volatile uint32_t*)(c.base + ioapic_win);
}

void wr(const Chip& c, uint8_t reg, uint32_t v) {
    *(volatile uint32_t*)(c.base + ioapic_regsel) = reg;
    *(volatile uint32_t*)(c.base + ioapic_win) = v;
}

Chip* chip_of(uint32_t gsi, uint32_t* pin) {
    for (uint32_t i = 0; i < nchips; ++i) {
        if (gsi >= chips[i].gsi_base && gsi < chips[i].gsi_base + chips[i].pins) {
            *pin = gsi - chips[i].gsi_base;
            return &chips[i];
        }
    }
    return nullptr;
}

const IrqOverride* override_of(uint32_t irq) {
    for (uint32_t i = 0; i < cpu_table.noverrides; ++i)
        if (cpu_table.overrides[i].irq == irq) return &cpu_table.overrides[i];
    return nullptr;
}

}  // namespace

void ioapic_init() {
    if (!lapic_available()) {
        log_warn("ioapic: no local APIC to deliver to; device interrupts stay off");
        return;
    }
    uint32_t next_base = 0;
    for (uint32_t i = 0; i < cpu_table.nioapics && nchips < MAX_IOAPICS; ++i) {
        const IoApicInfo& info = cpu_table.ioapics[i];
        Chip& c = chips[nchips];
        c.base = info.addr;
        c.id = info.id;
        vm_map_mmio(c.base, 4096);
        uint32_t ver = rd(c, (uint8_t)IoapicReg::Version);
        c.pins = ioapic_redir_count(ver);
        // An MP table gives no GSI base: the IOAPICs then take consecutive ranges.
        c.gsi_base = info.gsi_base == GSI_BASE_UNKNOWN ? next_base : info.gsi_base;
        next_base = c.gsi_base + c.pins;
        for (uint32_t p = 0; p < c.pins; ++p) {  // everything masked until routed
            wr(c, ioapic_redir_low(p), RedirEntry{}.encode_low());
            wr(c, ioapic_redir_high(p), 0);
        }
        log_info("ioapic %u: at 0x%x, version 0x%x, %u pins, gsi %u-%u, all masked", c.id, info.addr,
                 ver & 0xFF, c.pins, c.gsi_base, c.gsi_base + c.pins - 1);
        ++nchips;
    }
    if (!nchips) log_warn("ioapic: none in the firmware tables; device interrupts stay off");
}

uint32_t ioapic_gsi_of_irq(uint32_t irq) {
    const IrqOverride* o = override_of(irq);
    return o ? o->gsi : irq;
}

/// [ioapic route]
bool ioapic_route(uint32_t irq, uint8_t vector, uint32_t cpu, InputMode bus) {
    if (!nchips) return false;  // said once by ioapic_init()
    const IrqOverride* o = override_of(irq);
    uint32_t gsi = o ? o->gsi : irq, pin = 0;
    Chip* c = chip_of(gsi, &pin);
    if (!c) {
        log_error("ioapic: no IOAPIC serves gsi %u (irq %u)", gsi, irq);
        return false;
    }
    // The bus's default (ISA: edge, active high), unless an override's MPS
    // INTI flags say otherwise (ACPI 6.5 5.2.12.5, Table 5.50).
    InputMode m = o ? inti_mode(o->flags, bus) : bus;
    if (o && inti_reserved(o->flags))
        log_warn("ioapic: irq %u override flags 0x%x use a reserved value; the bus default stands", irq, o->flags);
    RedirEntry e = RedirEntry{}.vector(vector).delivery(Delivery::Fixed).physical()
                       .destination(cpus[cpu].apic_id).input(m).unmask();
    // 8 bits, and 0xFF would broadcast the interrupt to every CPU.
    if (!e.fits() || cpus[cpu].apic_id == 0xFF) {
        log_error("ioapic: cpu %u (apic %u) cannot be named by an 8-bit destination (0xFF broadcasts); "
                  "irq %u not routed", cpu, cpus[cpu].apic_id, irq);
        return false;
    }
    IrqSpinGuard g(lock);
    wr(*c, ioapic_redir_high(pin), e.encode_high());
    wr(*c, ioapic_redir_low(pin), e.encode_low());
    log_info("ioapic: irq %u -> gsi %u (ioapic %u pin %u) -> vector 0x%x on cpu %u, %s %s", irq, gsi, c->id,
             pin, vector, cpu, m.active_low ? "low" : "high", m.level ? "level" : "edge");
    return true;
}
/// [ioapic route]

bool ioapic_entry_of_irq(uint32_t irq, RedirEntry* out) {
    uint32_t pin = 0;
    Chip* c = chip_of(ioapic_gsi_of_irq(irq), &pin);
    if (!c) return false;
    IrqSpinGuard g(lock);
    *out = RedirEntry::from_raw(rd(*c, ioapic_redir_low(pin)), rd(*c, ioapic_redir_high(pin)));
    return true;
}

void ioapic_mask(uint32_t irq) {
    uint32_t pin = 0;
    Chip* c = chip_of(ioapic_gsi_of_irq(irq), &pin);
    if (!c) return;
    IrqSpinGuard g(lock);
    wr(*c, ioapic_redir_low(pin), rd(*c, ioapic_redir_low(pin)) | (1u << 16));
}

void ioapic_dump() {
    for (uint32_t i = 0; i < nchips; ++i) {
        const Chip& c = chips[i];
        for (uint32_t p = 0; p < c.pins; ++p) {
            uint32_t lo, hi;
            {
                // Each read is an index write, then a window read: another
                // CPU routing a pin between the two would change the index.
                // The log line goes out after the lock is dropped.
                IrqSpinGuard g(lock);
                lo = rd(c, ioapic_redir_low(p));
                hi = rd(c, ioapic_redir_high(p));
            }
            RedirEntry e = RedirEntry::from_raw(lo, hi);
            if (e.is_masked()) continue;
            log_info("ioapic %u pin %u (gsi %u): vector 0x%x dest apic %u %s %s", c.id, p, c.gsi_base + p,
                     e.vector(), e.destination(), e.is_active_low() ? "low" : "high",
                     e.is_level_triggered() ? "level" : "edge");
        }
    }
}
