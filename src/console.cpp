/// @file console.cpp
/// VGA text-mode output: the log mirrored on screen.
///
/// Scrolling by copying the screen costs 2000 writes to emulated video memory
/// per line (about 2 ms under QEMU TCG). Instead the console writes down the
/// whole 32 KiB of text memory and moves the CRTC start address (registers
/// 0x0C/0x0D) so the screen shows the last 25 lines; only when the memory is
/// full are the visible lines copied back to the top.
#include "console.h"
#include "x86.h"

namespace {
constexpr int W = 80, H = 25;
constexpr int ROWS = 0x8000 / 2 / W;  // rows that fit in the 32 KiB text window
volatile uint16_t* const vga = (volatile uint16_t*)0xB8000;
int row = 0, col = 0, top = 0;
constexpr uint16_t attr = 0x07 << 8;  // light grey on black

void crtc(uint8_t reg, uint8_t v) { outb(0x3D4, reg); outb(0x3D5, v); }

void show() {
    uint16_t start = (uint16_t)(top * W);
    crtc(0x0C, (uint8_t)(start >> 8));
    crtc(0x0D, (uint8_t)start);
    uint16_t pos = (uint16_t)(row * W + col);
    crtc(0x0F, (uint8_t)pos);
    crtc(0x0E, (uint8_t)(pos >> 8));
}

void newline() {
    col = 0;
    if (++row == ROWS) {  // out of text memory: copy the visible lines to the top
        for (int i = 0; i < (H - 1) * W; ++i) vga[i] = vga[(ROWS - H + 1) * W + i];
        row = H - 1;
    }
    for (int i = 0; i < W; ++i) vga[row * W + i] = attr | ' ';
    top = row >= H ? row - H + 1 : 0;
}
}  // namespace

void console_init() {
    for (int i = 0; i < W * H; ++i) vga[i] = attr | ' ';
    row = col = top = 0;
    show();
}

void console_write(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        char c = s[i];
        if (c == '\n') { newline(); continue; }
        if (c == '\r') { col = 0; continue; }
        vga[row * W + col] = attr | (uint8_t)c;
        if (++col == W) newline();
    }
    show();
}
