/// @file arch.h
/// What each architecture folder (src/arch/i686, src/arch/amd64) provides to the
/// portable x86 code. Both folders implement the same functions; CMake's include
/// path picks one, so portable files never test the architecture themselves.
#pragma once
#include "types.h"
#include "trapframe.h"

struct Cpu;

/// Build the shared IDT from the entry stubs (once, on the BSP).
void idt_init();
/// Load the shared IDT on the calling CPU.
void idt_load();
/// Give CPU @p c its own GDT and TSS, load them, and point the per-CPU
/// register (GS) at @p c. @p df_stack_top is the top of its double-fault stack.
void arch_cpu_init(Cpu& c, uintptr_t df_stack_top);
/// Print the registers of @p tf (part of an exception report).
void arch_print_frame(const TrapFrame* tf);
