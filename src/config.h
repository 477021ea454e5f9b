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
/// Size of each CPU's double-fault stack.
constexpr unsigned DFSTACK_SIZE = 8 * 1024;
