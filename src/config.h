/// @file config.h
/// Compile-time limits of the kernel, overridable with -D.
#pragma once

#ifndef COHORT_MAX_CPUS
/// How many CPUs the kernel can hold in its tables (x2APIC machines go past 255);
/// build with -DCOHORT_MAX_CPUS=N to change it.
#define COHORT_MAX_CPUS 512
#endif

/// Size of each CPU's kernel stack (a guard page sits below it).
constexpr unsigned KSTACK_SIZE = 16 * 1024;
/// Size of each CPU's double-fault stack. On amd64 its lowest ::DF_NMI_STACK
/// bytes are a separate IST stack for NMI and machine checks.
constexpr unsigned DFSTACK_SIZE = 12 * 1024;
/// The part of the double-fault stack that NMI and \#MC use on amd64.
constexpr unsigned DF_NMI_STACK = 4 * 1024;

/// At most this many processes exist at once (running or not yet reaped);
/// one more is refused with -EAGAIN and a warning.
constexpr unsigned PROC_MAX = 32;
/// At most this many threads per process: one per CPU up to 64 CPUs (bench_munmap).
constexpr unsigned PROC_THREADS_MAX = 64;
/// At most this many user threads in the whole machine.
constexpr unsigned USER_THREADS_MAX = 64;
/// Pages of each user thread's stack (an unmapped guard page lies below it).
constexpr unsigned USER_STACK_PAGES = 8;
/// At most this many mmap() areas per process.
constexpr unsigned PROC_MMAPS = 16;
/// The largest single mmap().
constexpr unsigned MMAP_MAX = 1u << 20;
