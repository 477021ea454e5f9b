/// @file types.h
/// Fixed-width integer types and small helpers shared by the kernel and the
/// host tests. Only compiler-provided freestanding headers are used here.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/// Number of elements of a C array.
template <typename T, size_t N>
constexpr size_t array_size(const T (&)[N]) { return N; }

/// Round @p v up to a multiple of @p a (a power of two).
constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
/// Round @p v down to a multiple of @p a (a power of two).
constexpr uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

/// No padding between members: for layouts fixed by hardware or shared with assembly.
#define COHORT_PACKED __attribute__((packed))
