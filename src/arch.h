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
/// Build CPU @p c's own GDT and TSS in its block (and c.gdtr), with
/// @p df_stack_top as the top of its double-fault stack. The BSP does this
/// for each AP before starting it; nothing is loaded.
void arch_cpu_prepare(Cpu& c, uintptr_t df_stack_top);
/// On the calling CPU: load @p c's GDT and TSS, reload the segment registers
/// and point the per-CPU register (GS) at @p c.
void arch_cpu_load(Cpu& c);
/// Print the registers of @p tf (part of an exception report).
void arch_print_frame(const TrapFrame* tf);
