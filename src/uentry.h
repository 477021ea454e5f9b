/// @file uentry.h
/// Entering and leaving ring 3 (the arch interface of issue 17).
#pragma once
#include "trap.h"
#include "types.h"

void arch_user_cpu_init();
void arch_set_kernel_stack(uintptr_t top);
[[noreturn]] void arch_enter_user(uintptr_t ip, uintptr_t sp, uintptr_t arg0, uintptr_t arg1);
extern "C" void syscall_dispatch(TrapFrame* tf);
extern "C" size_t copy_user_raw(void* dst, const void* src, size_t n);
extern "C" const char copy_user_fault_lo[], copy_user_fault_hi[], copy_user_fixup[];
