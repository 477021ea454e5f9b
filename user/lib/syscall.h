// The system calls a user program can make, and how (docs/userprog.md).
//
// The numbers and arguments are the ABI the kernel will serve; the way in is
// the arch's (syscall_arch.h: int 0x80 on i686, SYSCALL on amd64). The kernel
// does not serve any of them yet: this header is what the next step builds
// the kernel side against.
#pragma once
#include "syscall_arch.h"

namespace sys {
/// System call numbers.
enum : long {
    SYS_exit = 0,   ///< exit(status): end the process; does not return.
    SYS_write = 1,  ///< write(buf, len): one whole line to the kernel log; bytes written or < 0.
};

[[noreturn]] inline void exit(int status) {
    call(SYS_exit, status);
    for (;;) {
    }
}

inline long write(const char* buf, unsigned long len) { return call(SYS_write, long(buf), long(len)); }

/// Length of a NUL-terminated string (no libc here).
inline unsigned long strlen(const char* s) {
    unsigned long n = 0;
    while (s[n]) ++n;
    return n;
}

inline long puts(const char* s) { return write(s, strlen(s)); }
}  // namespace sys
