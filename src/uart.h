/// @file uart.h
/// The 16550 UART on COM1: the kernel's serial console.
#pragma once
#include "types.h"

/// Program COM1 for 115200 8N1 with FIFOs. Safe to call when there is no UART.
void uart_init();
/// True when a UART answered at COM1.
bool uart_present();
/// Write @p n bytes, turning "\n" into "\r\n". Polls the transmitter with a bound.
void uart_write(const char* s, size_t n);
/// One received byte, or -1 when none is waiting.
int uart_getc();
/// Enable the receive-data interrupt (IRQ 4); the IOAPIC routes it.
void uart_enable_rx_interrupt();

/// Route COM1's receive interrupt (ISA IRQ 4) through the IOAPIC to CPU
/// @p cpu and start filling the input buffer from it.
bool uart_start_rx(uint32_t cpu);
/// Add @p c to the console input (the keyboard driver feeds it too).
void console_input_push(char c);
/// One character typed on the serial console, or -1 when none is buffered.
int serial_getc();
/// Characters received by the interrupt handler so far.
uint64_t serial_rx_count();
/// True when COM1's input arrives by interrupt (IRQ 4 routed through the
/// IOAPIC); false when serial_getc() polls the UART instead.
bool serial_rx_by_irq();
