/// @file irq_tests.cpp
/// A device interrupt end to end: COM1's receive interrupt through the IOAPIC.
#include "ioapic.h"
#include "ktest.h"
#include "log.h"
#include "timer.h"
#include "uart.h"
#include "x86.h"

/// Waits (interrupts on) for a line typed on the serial console; the boot
/// test types it. Polling the UART is not allowed here: only the IRQ 4
/// handler fills the buffer, so the line proves the interrupt path works.
/// Only the interrupt path counts: with no IOAPIC route serial_getc() would
/// poll the UART and the line would arrive all the same, proving nothing. So
/// the route must be in place, and every character of the line (and its
/// Enter) must have come through the interrupt handler.
KTEST(serial_rx, -2, "a line typed on COM1 arrives through IRQ 4 and the IOAPIC, not by polling") {
    if (!serial_rx_by_irq()) {
        ktest_detail("COM1 input is polled: IRQ 4 has no IOAPIC route");
        return false;
    }
    // Counted before the prompt: a quick typist's line may arrive (by
    // interrupt) while the prompt is still being printed.
    uint64_t before = serial_rx_count();
    log_info("ktest: serial_rx: type a line and press Enter (irq 4 -> gsi %u)", ioapic_gsi_of_irq(4));
    char line[64];
    uint32_t n = 0;
    uint64_t end = now_ns() + 20000000000ull;
    sti();
    while (now_ns() < end) {
        int c = serial_getc();
        if (c < 0) { cpu_relax(); continue; }
        if (c == '\r' || c == '\n') break;
        if (n < sizeof line - 1) line[n++] = (char)c;
    }
    cli();
    line[n] = '\0';
    uint64_t by_irq = serial_rx_count() - before;
    log_info("ktest: serial_rx: received \"%s\" (%llu characters by interrupt)", line, (unsigned long long)by_irq);
    ktest_detail("\"%s\", %llu of %u characters by interrupt", line, (unsigned long long)by_irq, n + 1);
    return n > 0 && by_irq >= n + 1;
}
