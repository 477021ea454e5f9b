/// @file trapframe.h
/// The registers an interrupt saves on amd64, in the order trapentry.asm pushes them.
#pragma once
#include "types.h"

/// Saved state of an interrupted context (amd64).
struct TrapFrame {
    ///@{
    /// General registers, pushed by trap_common.
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    ///@}
    uint64_t vector;                                  ///< pushed by the stub
    uint64_t error;                                   ///< by the CPU, or 0 from the stub
    uint64_t ip;                                      ///< RIP, pushed by the CPU
    uint64_t cs;                                      ///< pushed by the CPU
    uint64_t flags;                                   ///< RFLAGS, pushed by the CPU
    uint64_t sp;                                      ///< RSP, always pushed in 64-bit mode
    uint64_t ss;                                      ///< always pushed in 64-bit mode
};
static_assert(sizeof(TrapFrame) == 22 * 8, "trapentry.asm pushes 22 quadwords");

/// The frame pointer of the interrupted code, for backtraces.
inline uintptr_t tf_frame_pointer(const TrapFrame* tf) { return tf->rbp; }
