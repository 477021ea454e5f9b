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
}  // namespace sys
