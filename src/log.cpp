/// @file log.cpp
/// The kernel logger: format one line privately, then write it whole under a
/// spinlock taken with interrupts off, so lines from different CPUs never mix.
///
/// The lock is a ticket lock (FIFO: no CPU starves while others log). It does
/// not use the general SpinLock class on purpose: SpinLock reports problems
/// through the log, and a logger whose lock can log would recurse. Under a
/// hypervisor a CPU queues only once the lock looks free (queue_when_free()).
#include "cpu.h"
#include "console.h"
#include "format.h"
#include "kstring.h"
#include "labs.h"
#include "log.h"
#include "logsink.h"
#include "spinlock.h"
#include "timer.h"
#include "uart.h"
#include "x86.h"

namespace {

struct {
    volatile uint32_t next;
    volatile uint32_t serving;
} lock;
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

/// [log line]
void logsink_line(const char* line, size_t len) {
    uintptr_t flags = read_flags();
    if (__atomic_load_n(&panic_owner, __ATOMIC_RELAXED) == 0xFFFFFFFF) queue_when_free();
    cli();
    uint32_t owner = __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE);
    if (owner != 0xFFFFFFFF) {
        if (owner != cpu_number()) stop_for_panic();  // being stopped by a panic elsewhere
        // The panic CPU waits a bounded time for the holder, then prints anyway:
        // the holder may have been stopped in the middle of its line.
        for (uint32_t spins = 0; lock.serving != lock.next && spins < 50000000; ++spins) cpu_relax();
        sinks_write(line, len, true);
        ++lines;
        write_flags(flags);
        return;
    }
    // LAB 01 BEGIN: take a ticket, wait for it to be served (stepping aside for a panic), write the line, serve the next
    uint32_t ticket = __atomic_fetch_add(&lock.next, 1, __ATOMIC_ACQUIRE);
    while (__atomic_load_n(&lock.serving, __ATOMIC_ACQUIRE) != ticket) {
        cpu_relax();
        if (__atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE) != 0xFFFFFFFF) {
            // A panic started while we waited: let the panic CPU print alone.
            if (panic_owner != cpu_number()) stop_for_panic();
        }
    }
    sinks_write(line, len, false);
    ++lines;
    __atomic_store_n(&lock.serving, ticket + 1, __ATOMIC_RELEASE);
    // LAB 01 STUB: lab_todo(1, "the ticket lock around the sinks in logsink_line()");
    // LAB 01 END
    if (use_vga) console_flush(ConsoleFlush::Paced);  // outside the logger's lock: other CPUs log meanwhile
    write_flags(flags);
}
/// [log line]

/// [log format]
void log_vwrite(LogLevel lv, const char* fmt, va_list ap) {
    if ((int)lv > level) return;
    char line[384];
    size_t n;
    // LAB 01 BEGIN: the prefix: "[seconds.micros] cpuN: " once time_ready(), "[    ?.??????] cpuN: " before
    uint64_t us = 0;
    if (time_ready()) {
        us = now_ns() / 1000;
        n = ksnprintf(line, sizeof line, "[%5u.%06u] cpu%u: ", (unsigned)(us / 1000000),
                      (unsigned)(us % 1000000), cpu_number());
    } else {
        n = ksnprintf(line, sizeof line, "[    ?.??????] cpu%u: ", cpu_number());
    }
    // LAB 01 STUB: lab_todo(1, "the line prefix in log_vwrite()");
    // LAB 01 END
    if (lv == LogLevel::Warn) n += ksnprintf(line + n, sizeof line - n, "WARN: ");
    if (lv == LogLevel::Error && fmt[0] != 'P' && fmt[0] != 'E' && fmt[0] != ' ' && fmt[0] != 'b')
        n += ksnprintf(line + n, sizeof line - n, "ERROR: ");
    // LAB 01 BEGIN: append the message; a line cut short ends in "..."; add the newline; hand the whole line over
    if (n < sizeof line) n += kvsnprintf(line + n, sizeof line - n, fmt, ap);
    if (n >= sizeof line - 1) {  // truncated: say so, keep the line whole
        n = sizeof line - 2;
        line[n - 3] = line[n - 2] = line[n - 1] = '.';
    }
    line[n++] = '\n';
    line[n] = '\0';
    logsink_line(line, n);
    // LAB 01 STUB: lab_todo(1, "the message, truncation and newline in log_vwrite()");
    // LAB 01 END
}
/// [log format]
