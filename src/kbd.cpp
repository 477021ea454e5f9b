/// @file kbd.cpp
/// A minimal PS/2 keyboard: scan code set 1, letters, digits, space, Enter,
/// Backspace and a few symbols, so a student at a QEMU or Bochs window can
/// type monitor commands.
#include "kbd.h"
#include "ioapic.h"
#include "lapic.h"
#include "legacy.h"
#include "runlevel.h"
#include "trap.h"
#include "uart.h"
#include "x86.h"

namespace {
// Set 1 make codes 0x00-0x39 to ASCII (0: no character).
constexpr char keymap[0x3A] = {
    0,   27,  '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b', '\t',
    'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\r', 0,   'a', 's',
    'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0,  '\\', 'z', 'x', 'c', 'v',
    'b', 'n', 'm', ',', '.', '/', 0,   '*', 0,   ' '};

void on_key(TrapFrame*) {
    uint8_t sc;
    {
        IrqSpinGuard g(legacy_lock);
        sc = inb(0x60);
    }
    if (!(sc & 0x80) && sc < sizeof keymap && keymap[sc]) console_input_push(keymap[sc]);
    lapic_eoi();
}
}  // namespace

bool kbd_start(uint32_t cpu) {
    uint32_t gsi = ioapic_gsi_of_irq(1);
    if (!vec::irq_fits(gsi)) return false;
    while (inb(0x64) & 1) inb(0x60);  // drop what the firmware left in the buffer
    trap_set_handler(vec::irq(gsi), on_key);
    return ioapic_route(1, vec::irq(gsi), cpu);
}
