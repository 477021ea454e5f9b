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
}  // namespace sys
