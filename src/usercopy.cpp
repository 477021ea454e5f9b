/// @file usercopy.cpp
/// Checked copies between the kernel and user space (usercopy.h).
#include "usercopy.h"
#include "user_arch.h"
#include "userrange.h"
#include "../user/lib/sysnum.h"

bool user_range_ok(uintptr_t uaddr, size_t n) { return user_range_valid(uaddr, n, USER_BASE, USER_END); }

long copy_from_user(void* dst, uintptr_t usrc, size_t n) {
    if (!user_range_ok(usrc, n)) return -EFAULT;
    return copy_user_raw(dst, (const void*)usrc, n) ? -EFAULT : 0;
}

long copy_to_user(uintptr_t udst, const void* src, size_t n) {
    if (!user_range_ok(udst, n)) return -EFAULT;
    return copy_user_raw((void*)udst, src, n) ? -EFAULT : 0;
}

long strncpy_from_user(char* dst, uintptr_t usrc, size_t cap) {
    // A byte at a time: the strings are names, and a page boundary in the
    // middle needs no special case.
    for (size_t i = 0; i < cap; ++i) {
        if (!user_range_ok(usrc + i, 1) || copy_user_raw(dst + i, (const void*)(usrc + i), 1)) return -EFAULT;
        if (!dst[i]) return (long)i;
    }
    if (cap) dst[cap - 1] = 0;
    return -ENAMETOOLONG;
}

bool usercopy_fixup(TrapFrame* tf) {
    if (tf_from_user(tf) || (tf->vector != 14 && tf->vector != 13)) return false;
    uintptr_t ip = (uintptr_t)tf->ip;
    if (ip < (uintptr_t)copy_user_fault_lo || ip >= (uintptr_t)copy_user_fault_hi) return false;
    tf->ip = (uintptr_t)copy_user_fixup;
    return true;
}
