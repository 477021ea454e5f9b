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
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
}
#endif
