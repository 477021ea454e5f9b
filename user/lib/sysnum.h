// The system-call numbers and error codes: the ABI between user programs and
// the kernel (docs/syscalls.md). One file for both sides: user/lib/syscall.h
// includes it, and so does the kernel's src/syscall.cpp. No includes, no
// namespace: plain constants a freestanding program and the kernel can share.
#pragma once

/// System-call numbers (RAX on amd64, EAX on i686).
enum SysNo : long {
    SYS_exit = 0,    ///< exit(status): end the process; does not return
    SYS_write = 1,   ///< write(buf, len): one line to the kernel log; bytes taken, or < 0
    SYS_getpid = 2,  ///< getpid(): this process's id
    SYS_getcpu = 3,  ///< getcpu(): the CPU the call ran on
    SYS_yield = 4,   ///< yield(): give the CPU to another thread
    SYS_sleep = 5,   ///< sleep(ms): block for at least ms milliseconds (at most 10 s)
    SYS_spawn = 6,   ///< spawn(name, arg): start the boot module @p name as a child; its pid
    SYS_wait = 7,    ///< wait(pid): wait for child @p pid to end; its exit status
    SYS_ncpus = 8,   ///< ncpus(): how many CPUs are online
    SYS_getname = 9, ///< getname(buf, len): this process's program name, NUL-terminated, into buf; its length
    SYS_thread = 10, ///< thread(entry, a0, a1): a new thread of this process entering at entry(a0, a1); its tid
    SYS_thread_exit = 11,  ///< thread_exit(value): end the calling thread; the last one ends the process
    SYS_thread_join = 12,  ///< thread_join(tid): wait for thread tid of this process to end; its value
    SYS_mmap = 13,   ///< mmap(len): len bytes of fresh zeroed read-write memory; its address
    SYS_munmap = 14, ///< munmap(addr, len): unmap whole pages; how many other CPUs the TLB shootdown went to
    SYS_onfault = 15,  ///< onfault(ip): this thread's next page fault resumes at ip, with the address as the result (0: none)
    SYS_futex_wait = 16,  ///< futex_wait(addr, expected, ms): sleep while the word at addr holds expected (ms 0: no limit); 0 when woken
    SYS_futex_wake = 17,  ///< futex_wake(addr, n): wake up to n threads of this process sleeping on addr; how many
    SYS_mprotect = 18,  ///< mprotect(addr, len, rights): make whole pages of one mmap area PROT_READ or PROT_WRITE; how many other CPUs the TLB shootdown went to
    SYS_COUNT
};

/// mprotect()'s rights: read-only, or read-write. Reading is always allowed,
/// and an mmap area is never executable: no other bit is taken (-EINVAL).
constexpr long PROT_READ = 0;
constexpr long PROT_WRITE = 1;

/// Error codes, returned negated (-EFAULT). The values are Linux's.
constexpr long ENOENT = 2;    ///< no boot module by that name
constexpr long ESRCH = 3;     ///< no such process
constexpr long EINTR = 4;     ///< the caller was killed while it waited (it never sees this)
constexpr long ENOEXEC = 8;   ///< the module is not a program for this kernel
constexpr long ECHILD = 10;   ///< not a child of the caller
constexpr long EAGAIN = 11;   ///< a process or thread limit is reached
constexpr long ENOMEM = 12;   ///< out of frames
constexpr long EFAULT = 14;   ///< a bad user pointer
constexpr long EINVAL = 22;   ///< a bad argument
constexpr long ENAMETOOLONG = 36;  ///< a string with no NUL within its limit
constexpr long ENOSYS = 38;   ///< no such system call
constexpr long ETIMEDOUT = 110;  ///< futex_wait()'s time ran out

/// Exit status of a process killed by a fault in ring 3: 128 + the vector.
constexpr long EXIT_FAULT_BASE = 128;
/// Exit status of a process killed from outside (the kernel's process_kill()).
constexpr long EXIT_KILLED = 256;
