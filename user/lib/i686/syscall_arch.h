// System calls on i686: int 0x80 (user/lib/syscall.h has the numbers).
//
// ABI: EAX = number, EBX, ECX, EDX, ESI, EDI = arguments 1 to 5; the result
// comes back in EAX, every other register is preserved. Vector 0x80's gate
// has DPL 3, so ring 3 may raise it (SDM Vol. 3A 6.12.1.1).
#pragma once

namespace sys {
inline long call(long n, long a = 0, long b = 0, long c = 0) {
    long r;
    asm volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

// The probes below: ACCESS once, with this thread's fault handler
// (SYS_onfault = 15) set to resume past it; r is 1 when it page-faulted.
#define SYS_PROBE(ACCESS)                                                       \
    asm volatile(                                                               \
        "mov $1f, %%ebx\n\t"                                                    \
        "mov $15, %%eax\n\t"  /* onfault(1f) */                                 \
        "int $0x80\n\t"                                                         \
        ACCESS "\n\t"  /* the probe */                                          \
        "xor %%ebx, %%ebx\n\t"                                                  \
        "mov $15, %%eax\n\t"  /* onfault(0): no fault, take the handler back */ \
        "int $0x80\n\t"                                                         \
        "xor %%eax, %%eax\n\t"                                                  \
        "jmp 2f\n"                                                              \
        "1:\n\t"                                                                \
        "mov $1, %%eax\n"  /* the kernel came here: the access faulted */       \
        "2:"                                                                    \
        : "=&a"(r)                                                              \
        : [p] "c"(p)                                                            \
        : "ebx", "memory");

/// Read *@p p once: 0 when it could be read, 1 when it page-faulted.
inline long probe(const volatile void* p) {
    long r;
    SYS_PROBE("mov (%[p]), %%eax");
    return r;
}

/// Write the byte at @p p once, leaving its value (OR with 0): 0 when it
/// could be written, 1 when it page-faulted (read-only: mprotect()).
inline long probe_write(volatile void* p) {
    long r;
    SYS_PROBE("orb $0, (%[p])");
    return r;
}
}  // namespace sys
