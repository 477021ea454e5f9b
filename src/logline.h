/// @file logline.h
/// The logger's two portable halves: assembling one whole line, and the ticket
/// lock under which the finished line goes out.
///
/// Neither touches hardware. The kernel (log.cpp) gives them the clock, the
/// CPU id and its sinks; the host unit tests give them fixed times and real
/// threads standing in for CPUs, so the same code is tested both ways.
#pragma once
#include "log.h"
#include "types.h"

/// Who logs, when, and at what severity: everything in a line's prefix.
struct LogHeader {
    bool clock;       ///< the clock runs (time_ready()): @p ns is valid
    uint64_t ns;      ///< nanoseconds since boot (now_ns())
    uint32_t cpu;     ///< the logging CPU's kernel id (cpu_number())
    const char* tag;  ///< "WARN: ", "ERROR: " or "": written after the CPU id
};

/// Format one line into @p line of @p cap bytes: the prefix of @p h, then the
/// message @p fmt with @p ap, then a newline and a terminating zero. A message
/// too long for the buffer is cut and the line still ends in a newline.
/// @return the line's length, newline included, zero excluded
size_t logline_format(char* line, size_t cap, const LogHeader& h, const char* fmt, va_list ap);

/// The logger's ticket lock. All zero is unlocked: no constructor runs.
struct LogLock {
    uint32_t next;     ///< the ticket the next caller takes
    uint32_t serving;  ///< the ticket allowed to write
};

/// What the locked section does, supplied by the caller.
struct LogOut {
    /// Called once on every turn of the wait for the lock (never while holding
    /// it). The kernel's executes `pause` and stops the CPU if another CPU panics.
    void (*wait)(void* ctx);
    /// Write the whole line (to every sink); called only by the lock's holder.
    void (*write)(const char* line, size_t len, void* ctx);
    void* ctx;  ///< passed to both
};

/// Write @p line (@p len bytes) through @p out while holding @p lock, so that
/// lines never mix and callers are served in the order they arrived.
void logline_put(LogLock& lock, const char* line, size_t len, const LogOut& out);
