/// @file trap.h
/// Interrupt and exception dispatch shared by both architectures.
#pragma once
#include "arch.h"

/// A handler for one vector. It runs with interrupts off and must acknowledge
/// (EOI) a LAPIC-delivered interrupt itself.
using TrapHandler = void (*)(TrapFrame* tf);

/// For a self-test that sends a vector with no handler on purpose: from now
/// on vector @p vector (0x100: none) is counted instead of reported as
/// unexpected. Resets the count.
void trap_expect_stray(uint32_t vector);
/// How many expected strays arrived since trap_expect_stray().
uint32_t trap_strays_seen();

/// Route @p vector to @p handler (null removes it).
void trap_set_handler(uint8_t vector, TrapHandler handler);

/// Called by the entry stubs of trapentry.asm with the saved registers.
extern "C" void trap_dispatch(TrapFrame* tf);

/// Short name of an exception vector ("\#GP"), or "IRQ" for vectors >= 32.
const char* exception_mnemonic(uint32_t vector);

/// Print the report of an unexpected exception and panic.
[[noreturn]] void exception_report(const TrapFrame* tf);

/// Print a frame-pointer backtrace starting at frame pointer @p fp.
void print_backtrace(uintptr_t fp, uintptr_t ip);
