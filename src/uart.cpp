/// @file uart.cpp
/// 16550 driver for COM1 (port 0x3F8), polled for output.
#include "uart.h"
#include "x86.h"

namespace {
constexpr uint16_t COM1 = 0x3F8;
enum : uint16_t { DATA = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5, SCR = 7 };
bool present = false;

constexpr uint32_t FIFO = 16;  // the 16550's transmit FIFO
uint32_t room = 0;             // bytes we may write before polling again

void put(char c) {
    // THR empty (LSR bit 5) means the whole FIFO is free: then 16 bytes go
    // without another look, which halves the port accesses (each one an exit
    // to the emulator). Bochs at a low ips needs a long wait; give up after a
    // bound rather than hang a CPU forever on a broken UART.
    if (room == 0) {
        for (uint32_t i = 0; i < 1000000 && !(inb(COM1 + LSR) & 0x20); ++i) cpu_relax();
        room = FIFO;
    }
    --room;
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

// ---- Input: IRQ 4 through the IOAPIC into a ring buffer ----------------------

#include "ioapic.h"
#include "lapic.h"
#include "runlevel.h"
#include "trap.h"

namespace {
constexpr uint32_t RX_SIZE = 256;
volatile char rx_buf[RX_SIZE];
volatile uint32_t rx_head = 0, rx_tail = 0;  // one producer (the handler), one consumer
volatile uint64_t rx_total = 0;
bool rx_by_irq = false;  // false: serial_getc() polls the UART itself

void on_rx(TrapFrame*) {
    // Drain the FIFO: one interrupt may stand for several characters.
    for (int c; (c = inb(COM1 + LSR) & 0x01 ? inb(COM1 + DATA) : -1) >= 0;) console_input_push((char)c);
    lapic_eoi();
}
}  // namespace

void console_input_push(char c) {
    // Producers are interrupt handlers on the CPU their IRQ is routed to (the
    // BSP): one at a time, so a plain index suffices.
    uint32_t h = rx_head;
    if (h - rx_tail < RX_SIZE) {  // full: drop the character
        rx_buf[h % RX_SIZE] = c;
        __atomic_store_n(&rx_head, h + 1, __ATOMIC_RELEASE);
    }
    rx_total = rx_total + 1;
}

bool uart_start_rx(uint32_t cpu) {
    if (!present) return false;
    uint32_t gsi = ioapic_gsi_of_irq(4);
    if (!vec::irq_fits(gsi)) return false;
    trap_set_handler(vec::irq(gsi), on_rx);
    if (!ioapic_route(4, vec::irq(gsi), cpu)) return false;
    uart_enable_rx_interrupt();
    rx_by_irq = true;
    return true;
}

int serial_getc() {
    if (!rx_by_irq) {  // no IOAPIC route (or no APIC): poll, and keep the keyboard's input too
        int c = uart_getc();
        if (c >= 0) return c;
    }
    uint32_t t = rx_tail;
    if (t == __atomic_load_n(&rx_head, __ATOMIC_ACQUIRE)) return -1;
    char c = rx_buf[t % RX_SIZE];
    __atomic_store_n(&rx_tail, t + 1, __ATOMIC_RELEASE);
    return (unsigned char)c;
}

uint64_t serial_rx_count() { return rx_total; }

bool serial_rx_by_irq() { return rx_by_irq; }
