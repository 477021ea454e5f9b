/// @file klib.cpp
/// What a freestanding C++ kernel must bring itself: the C memory and string
/// functions the compiler may call, and the C++ runtime hooks.
#include "kstring.h"
#include "panic.h"

extern "C" {

void* memcpy(void* dst, const void* src, size_t n) {
    void* d = dst;
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n)::"memory");
    return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
    auto* d = (unsigned char*)dst;
    auto* s = (const unsigned char*)src;
    if (d <= s || d >= s + n) return memcpy(dst, src, n);
    while (n--) d[n] = s[n];
    return dst;
}

void* memset(void* dst, int c, size_t n) {
    void* d = dst;
    asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    auto* x = (const unsigned char*)a;
    auto* y = (const unsigned char*)b;
    for (size_t i = 0; i < n; ++i)
        if (x[i] != y[i]) return x[i] - y[i];
    return 0;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}

int strcmp(const char* a, const char* b) {
    while (*a && *a == *b) ++a, ++b;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char* a, const char* b, size_t n) {
    for (; n; --n, ++a, ++b) {
        if (*a != *b || !*a) return (unsigned char)*a - (unsigned char)*b;
    }
    return 0;
}

void __cxa_pure_virtual() { panic("pure virtual function called"); }
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }  // the kernel never exits
void* __dso_handle = nullptr;

}  // extern "C"

using InitFn = void (*)();
extern "C" InitFn __init_array_start[], __init_array_end[];

/// Run the constructors of global objects (the kernel prefers constinit, but
/// a stray one must still run, early and once).
void run_global_constructors() {
    for (InitFn* f = __init_array_start; f != __init_array_end; ++f) (*f)();
}
