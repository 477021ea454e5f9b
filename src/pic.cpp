/// @file pic.cpp
/// Remapping and masking the 8259A pair. Left alone after reset, its IRQ 0-7
/// would arrive on vectors 8-15, which are CPU exceptions (#DF for the timer).
#include "pic.h"
#include "trap.h"
#include "log.h"
#include "x86.h"

namespace {
constexpr uint16_t M_CMD = 0x20, M_DATA = 0x21, S_CMD = 0xA0, S_DATA = 0xA1;
volatile uint32_t spurious = 0;

void on_spurious(TrapFrame* tf) {
    // A masked 8259 can still raise IRQ 7 or 15 with nothing in service; no EOI
    // then for the master, and only the master for a spurious slave IRQ 15.
    __atomic_fetch_add(&spurious, 1, __ATOMIC_RELAXED);
    if (tf->vector == PIC_VECTOR_BASE + 15) outb(M_CMD, 0x20);
}
}  // namespace

void pic_disable() {
    outb(M_CMD, 0x11);                  // ICW1: init, ICW4 follows
    outb(S_CMD, 0x11);
    outb(M_DATA, PIC_VECTOR_BASE);      // ICW2: vector base
    outb(S_DATA, PIC_VECTOR_BASE + 8);
    outb(M_DATA, 0x04);                 // ICW3: slave on IRQ 2
    outb(S_DATA, 0x02);
    outb(M_DATA, 0x01);                 // ICW4: 8086 mode
    outb(S_DATA, 0x01);
    outb(M_DATA, 0xFF);                 // mask everything
    outb(S_DATA, 0xFF);
    for (int i = 0; i < 16; ++i) trap_set_handler((uint8_t)(PIC_VECTOR_BASE + i), on_spurious);
}

uint32_t pic_spurious_count() { return spurious; }

/// [imcr]
void pic_imcr_to_apic() {
    // MP 1.4 3.6.2.1: a board that boots in PIC mode has the IMCR, which
    // connects INTR and NMI to the BSP's pins straight from the 8259 and
    // the NMI logic, bypassing its local APIC. Select register 0x70 at port
    // 0x22, write 1 at port 0x23: "symmetric I/O mode", signals go through
    // the APIC. Firmware that leaves PIC mode says so in the floating pointer.
    outb(0x22, 0x70);
    outb(0x23, 0x01);
    log_info("pic: the MP floating pointer says PIC mode (IMCR present): IMCR set, interrupts now reach the APIC");
}
/// [imcr]
