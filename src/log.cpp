/// @file log.cpp
/// The kernel logger: format one line privately, then write it whole under a
/// spinlock taken with interrupts off, so lines from different CPUs never mix.
/// The line and the lock are portable (logline.cpp); this file gives them the
/// clock, the CPU id, the sinks and the panic hand-over.
///
/// The lock is a ticket lock (FIFO: no CPU starves while others log). It does
/// not use the general SpinLock class on purpose: SpinLock reports problems
/// through the log, and a logger whose lock can log would recurse. Under a
/// hypervisor a CPU that finds the lock busy leaves its line to the holder
/// instead of queueing for it (see "Deferred lines" below).
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
bool lock_abandoned = false;         ///< the panic CPU gave up waiting for the lock's holder
constexpr uint64_t kPanicWaitMs = 100;  ///< how long it waits, once
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

/// @name Deferred lines
/// Under a hypervisor (spinlock_uses_tas()) a CPU that finds the logger's lock
/// busy does not wait for it: it leaves its line in its own slot and goes on,
/// and the lock's holder writes every waiting line before its own.
///
/// Why: a waiter spins, and under TCG each spinning vCPU holds a host core
/// the holder needs; `pause` even takes QEMU's global lock, which every UART
/// write needs too. At bring-up 287 APs reached their `online` line within
/// 1.5 s of guest time, and printing them took 113 s (99 s with waiters that
/// first wait until the lock looks free). With the slots nobody spins on the
/// logger at bring-up.
///
/// While the boot CPU starts APs (logsink_hold()), every other CPU leaves its
/// line in its slot even when the lock is free, and the boot CPU writes them
/// all when the bring-up is over. Under TCG each serial byte is written with
/// QEMU's global lock held, which every xAPIC access of an AP still on its way
/// in needs too: at 8 vCPUs on two host cores the APs' own `online` lines
/// made the bring-up about 2.5 ms slower (medians of 40 boots, docs/bench.md).
///
/// The rules that keep every line whole, in each CPU's order, and printed:
/// - a CPU has at most one waiting line; while the lock is busy its next line
///   waits until a holder has written the waiting one (wait_slot()); with
///   the lock free it goes through the lock, whose holder writes the waiting
///   one first;
/// - a slot is filled with interrupts off, so a handler on the same CPU
///   cannot fill it at the same time;
/// - the depositor publishes its slot and then looks at the lock, the holder
///   releases the lock and then looks at the slots (both with a full fence):
///   one of the two sees the other, and takes the lock to write the line.
///   So the last holder before a quiet moment always empties every slot.
//@{
struct Deferred {
    uint32_t len;            ///< 0: empty; else the line's length (written last by its CPU)
    char text[kLineBytes];   ///< the line, newline included
};
Deferred deferred[COHORT_MAX_CPUS];
uint32_t deferred_count = 0;  ///< slots with len != 0
constexpr uint32_t kLooksPerPause = 4000;  ///< wait_slot() with interrupts off: plain looks between two `pause`s
uint32_t hold_by = 0xFFFFFFFF;  ///< the CPU holding other CPUs' lines (logsink_hold()), or none

bool lock_free() {
    return __atomic_load_n(&lock.serving, __ATOMIC_RELAXED) == __atomic_load_n(&lock.next, __ATOMIC_RELAXED);
}

/// Write every waiting line (the lock's holder only), in CPU order.
void drain_deferred() {
    if (!__atomic_load_n(&deferred_count, __ATOMIC_ACQUIRE)) return;
    for (uint32_t c = 0; c < COHORT_MAX_CPUS; ++c) {
        uint32_t n = __atomic_load_n(&deferred[c].len, __ATOMIC_ACQUIRE);
        if (!n) continue;
        sinks_write(deferred[c].text, n, false);
        ++lines;
        __atomic_store_n(&deferred[c].len, 0u, __ATOMIC_RELEASE);
        __atomic_fetch_sub(&deferred_count, 1u, __ATOMIC_RELEASE);
    }
}

/// What defer_line() did with a line.
enum class Deferral { Written, Left, LeftLockFree, SlotFull };

/// True while another CPU holds this CPU's lines (logsink_hold()).
bool held_here() {
    uint32_t by = __atomic_load_n(&hold_by, __ATOMIC_SEQ_CST);
    return by != 0xFFFFFFFF && by != cpu_number();
}

/// Leave @p line in this CPU's slot if the lock is busy (or lines are held)
/// and the slot empty. `Left`: someone else will write it. `LeftLockFree`:
/// the lock was free once the slot was published, and the holder may have
/// looked at the slots already, so the caller takes the lock to write it.
/// `Written`: the caller writes the line through the lock itself.
/// `SlotFull`: the slot still holds this CPU's previous line and the lock is
/// busy: the caller looks again later (the holder empties the slot first).
Deferral defer_line(const char* line, size_t len) {
    Deferred& d = deferred[cpu_number() % COHORT_MAX_CPUS];
    if (__atomic_load_n(&d.len, __ATOMIC_ACQUIRE))
        return held_here() || lock_free() ? Deferral::Written : Deferral::SlotFull;
    if (!held_here() && lock_free()) return Deferral::Written;
    memcpy(d.text, line, len);
    __atomic_store_n(&d.len, (uint32_t)len, __ATOMIC_RELEASE);
    __atomic_fetch_add(&deferred_count, 1u, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  // publish, then look at the hold and the lock
    // Still held: logsink_release() clears the hold, then writes the slots.
    if (held_here()) return Deferral::Left;
    return lock_free() ? Deferral::LeftLockFree : Deferral::Left;
}
//@}

/// Wait, interrupts off, until this CPU's slot is empty, the lock free, or
/// a panic started; the holder writes the slot before its own line. Look many
/// times per `pause`: under TCG each `pause` takes QEMU's global lock, which
/// the holder's every UART byte needs too. The `logger` self-test at 32 CPUs
/// on two host cores, 3 boots each: 8.0 [6.7-8.0] s with a `pause` per look,
/// 4.1 [3.9-5.4] s like this. (A wait that halted, for callers with interrupts
/// on, was tried: a thread preempted in it could move to another CPU and its
/// lines leave out of order, and the waker's IPI, sent inside the lock, could
/// itself log. The logger's own self-test, which logs from call-function
/// requests, never halts anyway.)
void wait_slot() {
    uint32_t me = cpu_number() % COHORT_MAX_CPUS;
    for (uint32_t i = 0; i < kLooksPerPause; ++i) {
        if (!__atomic_load_n(&deferred[me].len, __ATOMIC_ACQUIRE) || lock_free() ||
            __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE) != 0xFFFFFFFF)
            break;
        asm volatile("" ::: "memory");
    }
    wait_turn(nullptr);  // a `pause`, and step aside if another CPU panics
}

/// The write hook of logline_put(), run by the lock's holder only.
void write_locked(const char* s, size_t n, void*) {
    drain_deferred();  // lines that found the lock busy are older: they go first
    if (!n) return;
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

bool logsink_vga() { return use_vga; }

void logsink_idle() {
    if (use_vga) console_flush(ConsoleFlush::Now);
}
uint64_t logsink_lines() { return lines; }

uint32_t logsink_deferred() { return __atomic_load_n(&deferred_count, __ATOMIC_ACQUIRE); }

void logsink_emergency(const char* s) { uart_write(s, strlen(s)); }

void logsink_enter_panic_mode(uint32_t owner) {
    __atomic_store_n(&panic_owner, owner, __ATOMIC_RELEASE);
}


void logsink_line(const char* line, size_t len) {
    uintptr_t flags = read_flags();
    cli();
    uint32_t owner = __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE);
    if (owner != 0xFFFFFFFF) {
        if (owner != cpu_number()) stop_for_panic();  // being stopped by a panic elsewhere
        // The panic CPU waits a bounded time for the holder, once, then prints
        // anyway: the holder may have been stopped in the middle of its line,
        // and a ticket taken by a CPU that was then stopped is never served.
        // Waiting again on every line of the report made it take minutes.
        if (!lock_abandoned) {
            uint64_t khz = tsc_khz(), t0 = rdtsc();
            for (uint32_t spins = 0; !lock_free(); ++spins) {
                if (khz ? rdtsc() - t0 > khz * kPanicWaitMs : spins > 50000000) break;
                cpu_relax();
            }
            lock_abandoned = !lock_free();
        }
        drain_deferred();  // older lines first: they may say what led here
        sinks_write(line, len, true);
        ++lines;
        write_flags(flags);
        return;
    }
    bool defer = spinlock_uses_tas() || held_here();
    Deferral d = defer ? defer_line(line, len) : Deferral::Written;
    // The previous line still waits in the slot: no ticket while the lock is
    // busy (a FIFO queue of 63 vCPUs on two host cores served one line in
    // about 40 ms: the `logger` self-test at 64 CPUs took 110 s). The holder
    // writes the slot first, then this line takes its place.
    while (d == Deferral::SlotFull) {
        wait_slot();
        d = defer_line(line, len);
    }
    if (d == Deferral::Left) {
        write_flags(flags);
        return;
    }
    // A line left in the slot is written by write_locked() with the others.
    logline_put(lock, line, d == Deferral::Written ? len : 0, LogOut{wait_turn, write_locked, nullptr});
    // Release, then look at the slots (defer_line() publishes, then looks at
    // the lock): lines left while we held the lock are written now.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    while (defer && __atomic_load_n(&deferred_count, __ATOMIC_ACQUIRE) && lock_free())
        logline_put(lock, line, 0, LogOut{wait_turn, write_locked, nullptr});
    if (use_vga) console_flush(ConsoleFlush::Paced);  // outside the logger's lock: other CPUs log meanwhile
    write_flags(flags);
}

namespace {
void emit(const char* tag, const char* fmt, va_list ap) {
    bool clock = time_ready();
    char line[kLineBytes];
    size_t n = logline_format(line, sizeof line, LogHeader{clock, clock ? now_ns() : 0, cpu_number(), tag}, fmt, ap);
    logsink_line(line, n);
}
}  // namespace

void log_vwrite(LogLevel lv, const char* fmt, va_list ap) {
    if ((int)lv > level) return;
    emit(lv == LogLevel::Warn ? "WARN: " : lv == LogLevel::Error ? "ERROR: " : "", fmt, ap);
}

void log_vreport(const char* fmt, va_list ap) { emit("", fmt, ap); }

void logsink_hold() { __atomic_store_n(&hold_by, cpu_number(), __ATOMIC_SEQ_CST); }

void logsink_release() {
    __atomic_store_n(&hold_by, 0xFFFFFFFFu, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  // clear the hold, then look at the slots
    if (!__atomic_load_n(&deferred_count, __ATOMIC_ACQUIRE)) return;
    uintptr_t flags = read_flags();
    cli();
    char none[1] = {0};
    logline_put(lock, none, 0, LogOut{wait_turn, write_locked, nullptr});  // the held lines, in CPU order
    write_flags(flags);
}

void logsink_hold_and_stop(volatile uint32_t* held) {
    cli();
    uint32_t ticket = __atomic_fetch_add(&lock.next, 1u, __ATOMIC_RELAXED);
    while (__atomic_load_n(&lock.serving, __ATOMIC_ACQUIRE) != ticket) cpu_relax();
    __atomic_store_n(held, 1u, __ATOMIC_RELEASE);
    this_cpu()->halted = 1;
    halt_forever();
}
