/// @file logsink.h
/// Where log lines go (COM1, port 0xE9, the VGA text screen) and the logger's
/// lock. log_vwrite() (log.cpp) formats; the sinks only move whole lines.
#pragma once
#include "types.h"

/// Choose the sinks after the command line is known.
void logsink_configure(bool e9, bool vga, int loglevel);
/// The current `loglevel=` (0 error .. 3 debug).
int logsink_level();
/// Whether lines are mirrored to the VGA screen (a VGA card, a BIOS boot, no `vga=off`).
bool logsink_vga();
/// Write one finished line (with its newline) to every sink, under the lock.
void logsink_line(const char* line, size_t len);
/// From now on only CPU @p owner may print; the lock is taken over if its
/// holder does not let go within a bounded wait (it may have been stopped).
void logsink_enter_panic_mode(uint32_t owner);
/// Write straight to the UART without any lock: the last resort.
void logsink_emergency(const char* s);
/// Lines written so far (all CPUs).
uint64_t logsink_lines();
/// Lines left in the deferral slots by CPUs that found the logger busy, not
/// yet written. 0 once every CPU that logged has returned from it: the
/// holder writes them after its release, or the CPU that left one does.
uint32_t logsink_deferred();
/// Hold every other CPU's lines: from now until logsink_release(), a line
/// from another CPU waits in its slot (one per CPU; a second line goes out
/// through the lock, the held ones first). The boot CPU holds them while it
/// starts APs (smpboot.cpp): under TCG a serial byte is written with QEMU's
/// global lock held, and the APs still on their way in need that lock for
/// every xAPIC access.
void logsink_hold();
/// End logsink_hold() and write the held lines, in CPU order.
void logsink_release();
/// A CPU about to halt with nothing to run, interrupts off: copy log lines
/// the screen mirror is still holding back (console.cpp paces its copies).
void logsink_idle();

/// For the `panic_logger_held` self-test: take the logger's lock and stop this
/// CPU holding it (interrupts off), as a CPU stopped in the middle of a line
/// would. Sets @p held once the lock is taken. Never returns.
[[noreturn]] void logsink_hold_and_stop(volatile uint32_t* held);
