/// @file trapframe.h
/// The registers an interrupt saves on i686, in the order trapentry.asm pushes them.
#pragma once
#include "types.h"

/// Saved state of an interrupted context (i686).
///
/// The CPU pushes SS:ESP only when the interrupt changes privilege level, that
/// is, when it came from ring 3 (SDM Vol. 3A 6.12.1, Figure 6-4): `sp` and `ss`
/// hold something only when tf_from_user(). From ring 0 they are the first
/// words of the interrupted stack; tf_kernel_sp() gives that stack pointer.
struct TrapFrame {
    ///@{
    /// General registers, in the order PUSHA stores them.
    uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
    ///@}
    ///@{
    /// The interrupted code's segment registers, pushed by trap_common (only
    /// the low 16 bits are defined: SDM Vol. 2B, PUSH, "segment register").
    uint32_t gs, fs, es, ds;
    ///@}
    uint32_t vector;                                            ///< pushed by the stub
    uint32_t error;                                             ///< by the CPU, or 0
    uint32_t ip;                                                ///< EIP, pushed by the CPU
    uint32_t cs;                                                ///< pushed by the CPU
    uint32_t flags;                                             ///< EFLAGS, pushed by the CPU
    uint32_t sp;                                                ///< ESP: from ring 3 only
    uint32_t ss;                                                ///< SS: from ring 3 only
};
static_assert(sizeof(TrapFrame) == 19 * 4, "trapentry.asm pushes 17 words, the CPU 2 more from ring 3");

/// The frame pointer of the interrupted code, for backtraces.
inline uintptr_t tf_frame_pointer(const TrapFrame* tf) { return tf->ebp; }

/// True when the interrupted code ran in ring 3 (the RPL of the saved CS).
inline bool tf_from_user(const TrapFrame* tf) { return (tf->cs & 3) == 3; }
/// The system-call number: EAX (docs/userprog.md, the ABI table).
inline uintptr_t tf_sysno(const TrapFrame* tf) { return tf->eax; }
/// System-call argument @p i (0..4): EBX, ECX, EDX, ESI, EDI.
inline uintptr_t tf_arg(const TrapFrame* tf, int i) {
    switch (i) {
    case 0: return tf->ebx;
    case 1: return tf->ecx;
    case 2: return tf->edx;
    case 3: return tf->esi;
    default: return tf->edi;
    }
}
/// The system call's result, in EAX on the way back.
inline void tf_set_return(TrapFrame* tf, uintptr_t v) { tf->eax = (uint32_t)v; }
/// The user's stack pointer; valid only when tf_from_user().
inline uintptr_t tf_user_sp(const TrapFrame* tf) { return tf->sp; }
/// The interrupted stack pointer of a ring-0 frame: where the CPU would have
/// pushed ESP, as nothing was pushed there.
inline uintptr_t tf_kernel_sp(const TrapFrame* tf) { return (uintptr_t)&tf->sp; }
