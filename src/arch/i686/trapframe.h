/// @file trapframe.h
/// The registers an interrupt saves on i686, in the order trapentry.asm pushes them.
#pragma once
#include "types.h"

/// Saved state of an interrupted context (i686, ring 0 only: no ESP/SS pushed).
struct TrapFrame {
    ///@{
    /// General registers, in the order PUSHA stores them.
    uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
    ///@}
    uint32_t vector;                                            ///< pushed by the stub
    uint32_t error;                                             ///< by the CPU, or 0
    uint32_t ip;                                                ///< EIP, pushed by the CPU
    uint32_t cs;                                                ///< pushed by the CPU
    uint32_t flags;                                             ///< EFLAGS, pushed by the CPU
};
static_assert(sizeof(TrapFrame) == 13 * 4, "trapentry.asm pushes 13 words");

/// The frame pointer of the interrupted code, for backtraces.
inline uintptr_t tf_frame_pointer(const TrapFrame* tf) { return tf->ebp; }
