/// @file usercopy.h
/// Every user pointer a system call takes goes through these (docs/syscalls.md).
///
/// Two checks, as in Linux's access_ok() and its exception table: first the
/// range must lie in [::USER_BASE, ::USER_END), so a user cannot make the
/// kernel read or write the kernel's own memory; then the copy itself runs
/// in copy_user_raw() (`src/arch/<arch>/usercopy.asm`), whose page faults
/// resume at its fixup instead of ending in a kernel panic, so an unmapped or
/// read-only user page costs the caller -EFAULT and nothing more.
#pragma once
#include "arch.h"
#include "types.h"

/// Bytes NOT copied (0 = all); faults inside it are recovered (trap.cpp).
extern "C" size_t copy_user_raw(void* dst, const void* src, size_t n);
/// The first instruction of copy_user_raw() that may fault.
extern "C" const char copy_user_fault_lo[];
/// One past the last instruction of copy_user_raw() that may fault.
extern "C" const char copy_user_fault_hi[];
/// Where a fault between the two resumes: it returns the bytes left.
extern "C" const char copy_user_fixup[];

/// True when [@p uaddr, @p uaddr + @p n) lies inside user space (n = 0: any
/// address in it). No wrap-around: the length is compared with the room left.
bool user_range_ok(uintptr_t uaddr, size_t n);
/// Copy @p n bytes from user address @p usrc: 0, or -EFAULT.
long copy_from_user(void* dst, uintptr_t usrc, size_t n);
/// Copy @p n bytes to user address @p udst: 0, or -EFAULT.
long copy_to_user(uintptr_t udst, const void* src, size_t n);
/// Copy a NUL-terminated string of at most @p cap - 1 characters: its
/// length, -EFAULT, or -ENAMETOOLONG when no NUL comes within @p cap bytes.
long strncpy_from_user(char* dst, uintptr_t usrc, size_t cap);
/// For trap.cpp: a page fault or \#GP in ring 0 inside copy_user_raw()
/// resumes at its fixup (true); anything else is not ours (false).
bool usercopy_fixup(TrapFrame* tf);
