/// @file kbd.h
/// The PS/2 keyboard (IRQ 1 through the IOAPIC): keys become console input,
/// the same input the serial console gives the monitor.
#pragma once
#include "types.h"

/// Route IRQ 1 to CPU @p cpu and start turning key presses into input characters.
bool kbd_start(uint32_t cpu);
