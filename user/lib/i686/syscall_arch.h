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

/// Read *@p p once: 0 when it could be read, 1 when it page-faulted (the
/// thread's fault handler, SYS_onfault = 15, resumes past the load).
inline long probe(const volatile void* p) {
    long r;
    asm volatile(
        "mov $1f, %%ebx\n\t"
        "mov $15, %%eax\n\t"       // onfault(1f)
        "int $0x80\n\t"
        "mov (%[p]), %%eax\n\t"    // the probe
        "xor %%ebx, %%ebx\n\t"
        "mov $15, %%eax\n\t"       // onfault(0): no fault, take the handler back
        "int $0x80\n\t"
        "xor %%eax, %%eax\n\t"
        "jmp 2f\n"
        "1:\n\t"
        "mov $1, %%eax\n"           // the kernel came here: the load faulted
        "2:"
        : "=&a"(r)
        : [p] "c"(p)
        : "ebx", "memory");
    return r;
}
}  // namespace sys
