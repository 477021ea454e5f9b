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

/// True when @p tf was saved on the way in from ring 3 (its CS has RPL 3).
inline bool tf_from_user(const TrapFrame* tf) { return (tf->cs & 3) == 3; }
/// The system-call number (RAX).
inline uintptr_t tf_sysno(const TrapFrame* tf) { return tf->rax; }
/// System-call argument @p i (0..4): RDI, RSI, RDX, R10, R8. R10, not RCX:
/// SYSCALL writes the return RIP into RCX (SDM Vol. 2B SYSCALL).
inline uintptr_t tf_arg(const TrapFrame* tf, int i) {
    switch (i) {
    case 0: return tf->rdi;
    case 1: return tf->rsi;
    case 2: return tf->rdx;
    case 3: return tf->r10;
    default: return tf->r8;
    }
}
/// The system call's result (RAX).
inline void tf_set_return(TrapFrame* tf, uintptr_t v) { tf->rax = v; }
/// The user's stack pointer (valid only when tf_from_user()).
inline uintptr_t tf_user_sp(const TrapFrame* tf) { return tf->sp; }
