/// @file console.h
/// The VGA text screen (80x25 at 0xB8000) as a mirror of the log, for BIOS boots
/// in a window. Under UEFI there is no text mode and the mirror stays off.
#pragma once
#include "types.h"

/// Clear the screen and start mirroring.
void console_init();
/// Write @p n characters, scrolling at the bottom.
void console_write(const char* s, size_t n);
