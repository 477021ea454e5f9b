/// @file console.cpp
/// VGA text-mode output: the log mirrored on screen.
#include "console.h"
#include "kstring.h"
#include "x86.h"

namespace {
constexpr int W = 80, H = 25;
volatile uint16_t* const vga = (volatile uint16_t*)0xB8000;
int row = 0, col = 0;
constexpr uint16_t attr = 0x07 << 8;  // light grey on black

void newline() {
    col = 0;
    if (++row < H) return;
    for (int i = 0; i < (H - 1) * W; ++i) vga[i] = vga[i + W];
    for (int i = (H - 1) * W; i < H * W; ++i) vga[i] = attr | ' ';
    row = H - 1;
}

void cursor() {
    uint16_t pos = (uint16_t)(row * W + col);
    outb(0x3D4, 0x0F); outb(0x3D5, (uint8_t)pos);
    outb(0x3D4, 0x0E); outb(0x3D5, (uint8_t)(pos >> 8));
}
}  // namespace

void console_init() {
    for (int i = 0; i < W * H; ++i) vga[i] = attr | ' ';
    row = col = 0;
    cursor();
}

void console_write(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        char c = s[i];
        if (c == '\n') { newline(); continue; }
        if (c == '\r') { col = 0; continue; }
        vga[row * W + col] = attr | (uint8_t)c;
        if (++col == W) newline();
    }
    cursor();
}
