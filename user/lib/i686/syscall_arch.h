// System calls on i686: int 0x80 (user/lib/syscall.h has the numbers).
//
// ABI: EAX = number, EBX, ECX, EDX, ESI, EDI = arguments 1 to 5; the result
// comes back in EAX, every other register is preserved. The kernel does not
// serve int 0x80 yet: today the gate is not in the IDT, and a call faults.
#pragma once

namespace sys {
inline long call(long n, long a = 0, long b = 0, long c = 0) {
    long r;
    asm volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}
}  // namespace sys
