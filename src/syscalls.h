/// @file syscalls.h
/// The system calls (docs/syscalls.md). The arch's entry (amd64 SYSCALL,
/// i686 int 0x80) saves a TrapFrame and calls syscall_dispatch() (uentry.h),
/// which reads the number and arguments through the trapframe accessors and
/// writes the result back: one portable table for both arches. Not named
/// syscall.h: the host tests include src/, and the C library's <syscall.h>
/// must stay the one libstdc++ finds.
#pragma once
#include "types.h"

/// Calls served since boot, all CPUs (for the self-tests).
uint64_t syscall_count();
/// The name of system call @p n (user/lib/sysnum.h without SYS_), or "?".
const char* syscall_name(long n);
