/// @file kstring.h
/// The C string and memory functions. The kernel brings its own (klib.cpp);
/// host builds (COHORT_HOST) use the C library's, so portable code includes
/// this header in both worlds.
#pragma once
#include "types.h"
#ifdef COHORT_HOST
#include <string.h>
#else
extern "C" {
/// Copy @p n bytes from @p src to @p dst (the ranges must not overlap).
void* memcpy(void* dst, const void* src, size_t n);
/// Copy @p n bytes from @p src to @p dst; the ranges may overlap.
void* memmove(void* dst, const void* src, size_t n);
/// Fill @p n bytes at @p dst with the byte @p c.
void* memset(void* dst, int c, size_t n);
/// Compare @p n bytes: <0, 0 or >0 as @p a sorts before, with or after @p b.
int memcmp(const void* a, const void* b, size_t n);
/// Length of the NUL-terminated string @p s.
size_t strlen(const char* s);
/// Compare two NUL-terminated strings.
int strcmp(const char* a, const char* b);
/// Compare at most @p n characters of two strings.
int strncmp(const char* a, const char* b, size_t n);
}
#endif
