// The system calls a user program can make, and how (docs/syscalls.md).
//
// The numbers and error codes are sysnum.h, which the kernel includes too;
// the way in is the arch's (syscall_arch.h: int 0x80 on i686, SYSCALL on
// amd64). Every call returns a long: >= 0 a result, < 0 a negated error code.
#pragma once
#include "syscall_arch.h"
#include "sysnum.h"

/// crt0's entry of every thread but the first: calls fn(arg), then thread_exit.
extern "C" __attribute__((visibility("hidden"))) void thread_entry();

namespace sys {
[[noreturn]] inline void exit(int status) {
    call(SYS_exit, status);
    for (;;) {
    }
}

inline long write(const char* buf, unsigned long len) { return call(SYS_write, long(buf), long(len)); }
inline long getpid() { return call(SYS_getpid); }
inline long getcpu() { return call(SYS_getcpu); }
inline long yield() { return call(SYS_yield); }
inline long sleep(long ms) { return call(SYS_sleep, ms); }
inline long spawn(const char* name, long arg = 0) { return call(SYS_spawn, long(name), arg); }
inline long wait(long pid) { return call(SYS_wait, pid); }
inline long ncpus() { return call(SYS_ncpus); }
inline long getname(char* buf, unsigned long len) { return call(SYS_getname, long(buf), long(len)); }
/// A new thread of this process running fn(arg) on its own stack; its tid.
inline long thread(long (*fn)(long), long arg) { return call(SYS_thread, long(&thread_entry), long(fn), arg); }
[[noreturn]] inline void thread_exit(long value) {
    call(SYS_thread_exit, value);
    for (;;) {
    }
}
inline long thread_join(long tid) { return call(SYS_thread_join, tid); }
inline void* mmap(unsigned long len) { return (void*)call(SYS_mmap, long(len)); }
inline long munmap(void* addr, unsigned long len) { return call(SYS_munmap, long(addr), long(len)); }
/// Make the whole pages of [addr, addr + len) of one mmap area read-only
/// (PROT_READ) or read-write (PROT_WRITE); how many other CPUs the shootdown reached.
inline long mprotect(void* addr, unsigned long len, long rights) {
    return call(SYS_mprotect, long(addr), long(len), rights);
}
/// Sleep while the 32-bit word at @p addr holds @p expected (@p ms 0: no time limit); 0 when woken.
inline long futex_wait(const volatile unsigned* addr, unsigned expected, long ms = 0) {
    return call(SYS_futex_wait, long(addr), long(expected), ms);
}
/// Wake up to @p n threads sleeping on @p addr; how many.
inline long futex_wake(const volatile unsigned* addr, long n) { return call(SYS_futex_wake, long(addr), n); }

/// Length of a NUL-terminated string (no libc here).
inline unsigned long strlen(const char* s) {
    unsigned long n = 0;
    while (s[n]) ++n;
    return n;
}

inline long puts(const char* s) { return write(s, strlen(s)); }

/// A tiny formatter: %d (long), %x (unsigned long), %s; into @p buf of @p cap bytes.
inline unsigned long format(char* buf, unsigned long cap, const char* fmt, const long* args) {
    unsigned long n = 0;
    auto put = [&](char c) { if (n + 1 < cap) buf[n++] = c; };
    for (; *fmt; ++fmt) {
        if (*fmt != '%' || !fmt[1]) { put(*fmt); continue; }
        char k = *++fmt;
        long v = *args++;
        if (k == 's') {
            for (const char* s = (const char*)v; *s; ++s) put(*s);
            continue;
        }
        unsigned long u = (unsigned long)v, base = k == 'x' ? 16 : 10;
        if (k == 'd' && v < 0) { put('-'); u = (unsigned long)-v; }
        char tmp[24];
        int t = 0;
        do { tmp[t++] = "0123456789abcdef"[u % base]; u /= base; } while (u);
        while (t) put(tmp[--t]);
    }
    buf[n] = 0;
    return n;
}

/// printf-like, one line to the log: sys::print("saw %d of %d", a, b).
template <typename... A>
inline long print(const char* fmt, A... a) {
    long args[sizeof...(A) + 1] = {(long)a...};
    char buf[200];
    unsigned long n = format(buf, sizeof buf, fmt, args);
    return write(buf, n);
}
}  // namespace sys
