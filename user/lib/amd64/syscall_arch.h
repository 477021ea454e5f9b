// System calls on amd64: SYSCALL (user/lib/syscall.h has the numbers).
//
// ABI: RAX = number, RDI, RSI, RDX, R10, R8, R9 = arguments 1 to 6 (R10, not
// RCX: SYSCALL puts the return RIP in RCX and RFLAGS in R11, SDM Vol. 2B
// SYSCALL); the result comes back in RAX; RCX and R11 are lost, every other
// register is preserved.
#pragma once

namespace sys {
inline long call(long n, long a = 0, long b = 0, long c = 0) {
    long r;
    asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

// The probes below: ACCESS once, with this thread's fault handler
// (SYS_onfault = 15) set to resume past it; r is 1 when it page-faulted.
#define SYS_PROBE(ACCESS)                                                       \
    asm volatile(                                                               \
        "lea 1f(%%rip), %%rdi\n\t"                                              \
        "mov $15, %%eax\n\t"  /* onfault(1f) */                                 \
        "syscall\n\t"                                                           \
        ACCESS "\n\t"  /* the probe */                                          \
        "xor %%edi, %%edi\n\t"                                                  \
        "mov $15, %%eax\n\t"  /* onfault(0): no fault, take the handler back */ \
        "syscall\n\t"                                                           \
        "xor %%eax, %%eax\n\t"                                                  \
        "jmp 2f\n"                                                              \
        "1:\n\t"                                                                \
        "mov $1, %%eax\n"  /* the kernel came here: the access faulted */       \
        "2:"                                                                    \
        : "=&a"(r)                                                              \
        : [p] "r"(p)                                                            \
        : "rdi", "rcx", "r11", "memory");

/// Read *@p p once: 0 when it could be read, 1 when it page-faulted.
inline long probe(const volatile void* p) {
    long r;
    SYS_PROBE("mov (%[p]), %%rax");
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
