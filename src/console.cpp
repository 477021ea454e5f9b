/// @file console.cpp
/// VGA text-mode output: the log mirrored on screen, kept cheap under QEMU.
///
/// Text memory at 0xB8000 is not RAM under QEMU: it is the VGA device's
/// `vga-lowmem` I/O region, so every store is a call into the device model
/// under QEMU's global lock, as every port access is. Under TCG with more
/// virtual CPUs than host cores each such call is a point where the writing
/// vCPU can wait for that lock and lose its host core, while every other CPU
/// that wants to log spins on the logger's lock behind it (docs/logging.md).
/// Writing a line cell by cell (80 stores to blank the next row, one per
/// character, eight CRTC port writes for start address and cursor) cost about
/// 170 such calls per line, all inside the logger's lock.
///
/// So the console writes into a RAM shadow of the whole 32 KiB text window
/// (console_write(), inside the logger's lock: RAM only) and copies the rows
/// it changed to the device later (console_flush(), after the logger's lock is
/// released, by whichever CPU gets the legacy lock: lines that pile up meanwhile
/// go out in one flush). After a log line the copy is paced, at most one every
/// 20 ms (CONSOLE_FLUSH_US); what a paced flush leaves waiting is copied by the
/// next line after that, or by the first CPU to go idle (logsink_idle()). A row goes out as 20 eight-byte stores on amd64 (40
/// four-byte ones on i686), the start address as two 16-bit port writes, the
/// empty row after the last line is not copied until it gets text, and the
/// hardware cursor is switched off: about 22 device calls per line. Scrolling writes down the window and
/// moves the CRTC start address (registers 0x0C/0x0D) so the screen shows the
/// last 25 lines; only when the window is full are the visible lines copied
/// back to the top.
#include "console.h"
#include "format.h"
#include "kstring.h"
#include "legacy.h"
#include "timer.h"
#include "x86.h"

namespace {
constexpr int W = 80, H = 25;
constexpr int ROWS = 0x8000 / 2 / W;  // rows that fit in the 32 KiB text window
constexpr int WORDS_PER_ROW = W * 2 / (int)sizeof(uintptr_t);
constexpr uint16_t attr = 0x07 << 8;  // light grey on black
volatile uintptr_t* const vga = (volatile uintptr_t*)0xB8000;

// Written only by console_write() (callers serialise: the logger's lock).
uint16_t shadow[ROWS * W];
int row = 0, col = 0;
// Shared with the flusher: rows changed since they were last copied, and the
// top row the screen should show.
uint32_t dirty[(ROWS + 31) / 32];
int top = 0;
int shown_top = -1;  // the flusher's: what the CRTC holds
// The flusher's: when it last copied. Read without the lock by the pacing
// check; on i686 such a read may tear, which costs one early or late copy.
volatile uint64_t last_flush_tsc = 0;

void crtc(uint8_t reg, uint8_t v) { outw(0x3D4, (uint16_t)(reg | v << 8)); }  // index and data in one write

void mark(int r) { __atomic_fetch_or(&dirty[r / 32], 1u << (r % 32), __ATOMIC_RELEASE); }

bool pending() {
    for (uint32_t w : dirty)
        if (__atomic_load_n(&w, __ATOMIC_RELAXED)) return true;
    return __atomic_load_n(&top, __ATOMIC_RELAXED) != shown_top;
}

void blank(int r) {
    for (int i = 0; i < W; ++i) shadow[r * W + i] = attr | ' ';
}

/// The screen ends with the last line that has text: an empty new row is
/// neither shown nor copied until something is written into it.
void set_top() {
    int last = col ? row : row - 1;
    __atomic_store_n(&top, last >= H ? last - H + 1 : 0, __ATOMIC_RELEASE);
}

void newline() {
    mark(row);
    col = 0;
    if (++row == ROWS) {  // out of text memory: copy the visible lines to the top
        memmove(shadow, shadow + (ROWS - H) * W, H * W * sizeof shadow[0]);
        for (int r = 0; r < H; ++r) mark(r);
        row = H;
    }
    blank(row);
}

/// Copy the dirty rows and the start address to the device. The caller holds
/// the legacy lock (or is the panic CPU). A row console_write() changes while
/// it is being copied is marked dirty again after the change, so the next
/// flush copies it whole: the screen is never left showing a torn line.
void flush_rows() {
    for (int w = 0; w < (int)array_size(dirty); ++w) {
        uint32_t bits = __atomic_exchange_n(&dirty[w], 0, __ATOMIC_ACQUIRE);
        while (bits) {
            int r = w * 32 + __builtin_ctz(bits);
            bits &= bits - 1;
            const uint8_t* src = (const uint8_t*)&shadow[r * W];
            for (int i = 0; i < WORDS_PER_ROW; ++i) {
                uintptr_t v;
                memcpy(&v, src + i * sizeof v, sizeof v);
                vga[r * WORDS_PER_ROW + i] = v;
            }
        }
    }
    int t = __atomic_load_n(&top, __ATOMIC_ACQUIRE);
    if (t != shown_top) {
        uint16_t start = (uint16_t)(t * W);
        crtc(0x0C, (uint8_t)(start >> 8));
        crtc(0x0D, (uint8_t)start);
        shown_top = t;
    }
    last_flush_tsc = rdtsc();
}

/// Too soon after the last flush for a paced one (always false before the TSC
/// is calibrated: then every line goes out).
bool too_soon() {
    uint64_t khz = tsc_khz();
    return khz && rdtsc() - last_flush_tsc < khz * CONSOLE_FLUSH_US / 1000;
}
}  // namespace

bool console_init() {
    // Without a VGA card (QEMU -vga none) no CRTC answers: its index register
    // at 0x3D4 does not read back (an absent port reads 0xFF), and there is
    // no one to show the mirror to.
    for (uint8_t probe = 0x0E; probe <= 0x0F; ++probe) {
        outb(0x3D4, probe);
        if (inb(0x3D4) != probe) return false;
    }
    // Only the first screen needs copying: the rows below it are shown only
    // once newline() has blanked them and marked them dirty.
    for (int r = 0; r < ROWS; ++r) blank(r);
    for (int r = 0; r < H; ++r) mark(r);
    row = col = 0;
    __atomic_store_n(&top, 0, __ATOMIC_RELEASE);
    crtc(0x0A, 0x20);  // cursor off (CRTC cursor start register, bit 5)
    flush_rows();
    return true;
}

bool console_check(char* why, size_t n) {
    // Everything waiting goes out first, then the device must show what the
    // shadow holds: the CRTC's start address at the top row, and each of the
    // 25 rows from there. Reads of text memory are device calls too.
    uintptr_t flags = read_flags();
    cli();
    legacy_lock.lock();
    flush_rows();
    outb(0x3D4, 0x0C);
    uint16_t start = (uint16_t)(inb(0x3D5) << 8);
    outb(0x3D4, 0x0D);
    start |= inb(0x3D5);
    bool ok = start == (uint16_t)(shown_top * W);
    if (!ok) ksnprintf(why, n, "CRTC start address %u, want %u (row %d)", start, shown_top * W, shown_top);
    for (int r = shown_top; ok && r < shown_top + H && r < ROWS; ++r) {
        for (int i = 0; i < W; ++i) {
            uint16_t cell = ((volatile uint16_t*)vga)[r * W + i];
            if (cell == shadow[r * W + i]) continue;
            ksnprintf(why, n, "screen row %d (window row %d) column %d shows 0x%04x, the log has 0x%04x",
                      r - shown_top, r, i, cell, shadow[r * W + i]);
            ok = false;
            break;
        }
    }
    if (ok) ksnprintf(why, n, "25 rows from window row %d match the log", shown_top);
    legacy_lock.unlock();
    write_flags(flags);
    return ok;
}

void console_write(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        char c = s[i];
        if (c == '\n') { newline(); continue; }
        if (c == '\r') { col = 0; continue; }
        shadow[row * W + col] = attr | (uint8_t)c;
        if (++col == W) newline();
    }
    if (col) mark(row);
    set_top();
}

void console_flush(ConsoleFlush how) {
    if (how == ConsoleFlush::Panic) {
        flush_rows();
        return;
    }
    if (how == ConsoleFlush::Paced && too_soon()) return;  // an idle CPU or a later line copies it
    // Re-check after unlocking: a row marked while we copied, by a CPU whose
    // try_lock failed because we held the lock, is ours to copy.
    while (pending() && legacy_lock.try_lock()) {
        flush_rows();
        legacy_lock.unlock();
    }
}
