/// @file console.h
/// The VGA text screen (80x25 at 0xB8000) as a mirror of the log, for BIOS boots
/// in a window. Under UEFI there is no text mode and the mirror stays off.
#pragma once
#include "types.h"

/// Clear the screen and start mirroring; false when there is no VGA card
/// (its CRTC index does not read back: QEMU `-vga none`, as `make run` uses).
bool console_init();
/// Copy what is waiting, then compare the screen with the RAM shadow: the
/// CRTC start address and the 25 rows it shows. False on the first
/// difference, which @p why names (or what matched). Call without the
/// logger's lock, with no other CPU logging (the `console` self-test).
bool console_check(char* why, size_t n);
/// Put @p n characters into the screen's RAM shadow, scrolling at the bottom.
/// Callers serialise (the logger's lock); nothing reaches the device yet.
void console_write(const char* s, size_t n);
/// When console_flush() copies to the screen.
enum class ConsoleFlush {
    Paced,  ///< after a log line: at most every CONSOLE_FLUSH_US, the rest waits
    Now,    ///< an idle CPU: whatever is waiting, at once
    Panic,  ///< the panic CPU: at once, without the legacy lock (a stopped CPU may hold it)
};
/// The shortest time between two paced flushes: 50 screen updates a second
/// are more than a reader can follow.
constexpr uint32_t CONSOLE_FLUSH_US = 20000;
/// Copy what changed to the screen, if no other CPU is doing it (then that CPU
/// copies it). Call with interrupts off and without the logger's lock.
void console_flush(ConsoleFlush how);
