/// @file logline.cpp
/// One log line, assembled privately and written whole under a FIFO lock
/// (logline.h). Portable: the kernel and the host unit tests share it.
#include "logline.h"
#include "format.h"
#include "kstring.h"
#include "labs.h"

/// [log format]
size_t logline_format(char* line, size_t cap, const LogHeader& h, const char* fmt, va_list ap) {
    size_t n = 0;
    // LAB 01 BEGIN: the prefix "[seconds.micros] cpuN: " and the tag, or "[    ?.??????] cpuN: " before the clock runs
    if (h.clock) {
        uint64_t us = h.ns / 1000;
        n = ksnprintf(line, cap, "[%5u.%06u] cpu%u: %s", (unsigned)(us / 1000000), (unsigned)(us % 1000000),
                      h.cpu, h.tag);
    } else {
        n = ksnprintf(line, cap, "[    ?.??????] cpu%u: %s", h.cpu, h.tag);
    }
    // LAB 01 STUB: lab_todo(1, "the line prefix in logline_format()");
    // LAB 01 STUB: (void)h;
    // LAB 01 END
    // LAB 01 BEGIN: append the message; a line cut short ends in "..." and its newline; terminate it
    if (n < cap) n += kvsnprintf(line + n, cap - n, fmt, ap);
    if (n >= cap - 1) {  // cut: keep room for the newline and the zero
        n = cap - 2;
        line[n - 3] = line[n - 2] = line[n - 1] = '.';
    }
    line[n++] = '\n';
    line[n] = '\0';
    // LAB 01 STUB: lab_todo(1, "the message, truncation and newline in logline_format()");
    // LAB 01 STUB: (void)line; (void)cap; (void)fmt; (void)ap;
    // LAB 01 END
    return n;
}
/// [log format]

/// [log line]
void logline_put(LogLock& lock, const char* line, size_t len, const LogOut& out) {
    // LAB 01 BEGIN: take a ticket, wait (calling out.wait) until it is served, write through out.write, serve the next
    uint32_t ticket = __atomic_fetch_add(&lock.next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&lock.serving, __ATOMIC_ACQUIRE) != ticket) out.wait(out.ctx);
    out.write(line, len, out.ctx);
    __atomic_store_n(&lock.serving, ticket + 1, __ATOMIC_RELEASE);
    // LAB 01 STUB: lab_todo(1, "the ticket lock around the sinks in logline_put()");
    // LAB 01 STUB: (void)lock; (void)line; (void)len; (void)out;
    // LAB 01 END
}
/// [log line]
