/// @file log.cpp
/// The kernel logger: format one line privately, then write it whole under a
/// spinlock taken with interrupts off, so lines from different CPUs never mix.
/// The line and the lock are portable (logline.cpp); this file gives them the
/// clock, the CPU id, the sinks and the panic hand-over.
///
/// The lock is a ticket lock (FIFO: no CPU starves while others log). It does
/// not use the general SpinLock class on purpose: SpinLock reports problems
/// through the log, and a logger whose lock can log would recurse. Under a
/// hypervisor a CPU queues only once the lock looks free (queue_when_free()).
#include "cpu.h"
#include "console.h"
#include "kstring.h"
#include "log.h"
#include "logline.h"
#include "logsink.h"
#include "spinlock.h"
#include "timer.h"
#include "uart.h"
#include "x86.h"

namespace {

constexpr size_t kLineBytes = 384;  // a line is at most 383 characters, its newline included
LogLock lock;
volatile uint32_t panic_owner = 0xFFFFFFFF;
bool use_e9 = false;
bool use_vga = false;
int level = 2;
uint64_t lines = 0;

/// A CPU that tries to log while another CPU prints its panic report stops
/// here, and says so through its block so the panic CPU can count it.
[[noreturn]] void stop_for_panic() {
    this_cpu()->halted = 1;
    halt_forever();
}

/// The wait hook of logline_put(): one turn of the spin, and step aside if
/// another CPU has started a panic, so it can print alone.
void wait_turn(void*) {
    cpu_relax();
    uint32_t owner = __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE);
    if (owner != 0xFFFFFFFF && owner != cpu_number()) stop_for_panic();
}

void sinks_write(const char* s, size_t n, bool panic_mode) {
    uart_write(s, n);
    if (use_e9)
        for (size_t i = 0; i < n; ++i) outb(0xE9, (uint8_t)s[i]);
    if (!use_vga) return;
    // Into the screen's RAM shadow only: the device is written by
    // console_flush(), after the logger's lock is released (console.cpp).
    console_write(s, n);
    if (panic_mode) console_flush(ConsoleFlush::Panic);
}

/// The write hook of logline_put(), run by the lock's holder only.
void write_locked(const char* s, size_t n, void*) {
    sinks_write(s, n, false);
    ++lines;
}

}  // namespace

void logsink_configure(bool e9, bool vga, int lvl) {
    use_e9 = e9;
    use_vga = vga;
    level = lvl;
}

int logsink_level() { return level; }

void logsink_idle() {
    if (use_vga) console_flush(ConsoleFlush::Now);
}
uint64_t logsink_lines() { return lines; }

void logsink_emergency(const char* s) { uart_write(s, strlen(s)); }

void logsink_enter_panic_mode(uint32_t owner) {
    __atomic_store_n(&panic_owner, owner, __ATOMIC_RELEASE);
}

/// Before taking a ticket under a hypervisor (spinlock_uses_tas()): wait,
/// backing off, until the lock looks free, for a bounded number of rounds.
/// A ticket holder whose vCPU loses its host core stalls every ticket behind
/// it; a CPU that queues only when the lock is free keeps that queue short.
/// No ticket is held here, so interrupts may stay on (a handler that logs
/// meanwhile takes its own turn), and after the bound the CPU queues anyway,
/// so the ticket lock's fairness still holds in the end.
void queue_when_free() {
    if (!spinlock_uses_tas()) return;
    Backoff backoff(spin_backoff_cap);
    for (uint32_t round = 0; round < 64; ++round) {
        if (__atomic_load_n(&lock.serving, __ATOMIC_RELAXED) == __atomic_load_n(&lock.next, __ATOMIC_RELAXED))
            return;
        backoff([] { cpu_relax(); });
    }
}

void logsink_line(const char* line, size_t len) {
    uintptr_t flags = read_flags();
    if (__atomic_load_n(&panic_owner, __ATOMIC_RELAXED) == 0xFFFFFFFF) queue_when_free();
    cli();
    uint32_t owner = __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE);
    if (owner != 0xFFFFFFFF) {
        if (owner != cpu_number()) stop_for_panic();  // being stopped by a panic elsewhere
        // The panic CPU waits a bounded time for the holder, then prints anyway:
        // the holder may have been stopped in the middle of its line.
        for (uint32_t spins = 0; spins < 50000000; ++spins) {
            if (__atomic_load_n(&lock.serving, __ATOMIC_ACQUIRE) == __atomic_load_n(&lock.next, __ATOMIC_RELAXED))
                break;
            cpu_relax();
        }
        sinks_write(line, len, true);
        ++lines;
        write_flags(flags);
        return;
    }
    logline_put(lock, line, len, LogOut{wait_turn, write_locked, nullptr});
    if (use_vga) console_flush(ConsoleFlush::Paced);  // outside the logger's lock: other CPUs log meanwhile
    write_flags(flags);
}

void log_vwrite(LogLevel lv, const char* fmt, va_list ap) {
    if ((int)lv > level) return;
    // Panic and exception reports are Error lines that name themselves.
    bool report = fmt[0] == 'P' || fmt[0] == 'E' || fmt[0] == ' ' || fmt[0] == 'b';
    const char* tag = lv == LogLevel::Warn ? "WARN: " : lv == LogLevel::Error && !report ? "ERROR: " : "";
    bool clock = time_ready();
    char line[kLineBytes];
    size_t n = logline_format(line, sizeof line, LogHeader{clock, clock ? now_ns() : 0, cpu_number(), tag}, fmt, ap);
    logsink_line(line, n);
}
