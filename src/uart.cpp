/// @file uart.cpp
/// 16550 driver for COM1 (port 0x3F8), polled for output.
#include "uart.h"
#include "x86.h"

namespace {
constexpr uint16_t COM1 = 0x3F8;
enum : uint16_t { DATA = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5, SCR = 7 };
bool present = false;

void put(char c) {
    // THR empty (LSR bit 5). Bochs at a low ips needs a long wait; give up after
    // a bound rather than hang a CPU forever on a broken UART.
    for (uint32_t i = 0; i < 1000000 && !(inb(COM1 + LSR) & 0x20); ++i) cpu_relax();
    outb(COM1 + DATA, (uint8_t)c);
}
}  // namespace

void uart_init() {
    outb(COM1 + SCR, 0x5A);  // a scratch register that reads back means a UART is there
    if (inb(COM1 + SCR) != 0x5A) return;
    outb(COM1 + IER, 0x00);
    outb(COM1 + LCR, 0x80);  // DLAB: divisor 1 = 115200 baud
    outb(COM1 + DATA, 0x01);
    outb(COM1 + IER, 0x00);
    outb(COM1 + LCR, 0x03);  // 8N1
    outb(COM1 + FCR, 0xC7);  // FIFOs on, cleared, 14-byte threshold
    outb(COM1 + MCR, 0x0B);  // DTR, RTS, OUT2 (OUT2 gates the IRQ line)
    present = true;
}

bool uart_present() { return present; }

void uart_write(const char* s, size_t n) {
    if (!present) return;
    for (size_t i = 0; i < n; ++i) {
        if (s[i] == '\n') put('\r');
        put(s[i]);
    }
}

int uart_getc() {
    if (!present || !(inb(COM1 + LSR) & 0x01)) return -1;
    return inb(COM1 + DATA);
}

void uart_enable_rx_interrupt() {
    if (present) outb(COM1 + IER, 0x01);
}
