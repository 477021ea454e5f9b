/// @file syscalls.cpp
/// The portable system-call table (syscalls.h). Numbers, arguments and error
/// codes are user/lib/sysnum.h, shared with the user programs.
#include "syscalls.h"
#include "cpu.h"
#include "cpumask.h"
#include "futex.h"
#include "kstring.h"
#include "log.h"
#include "process.h"
#include "proc.h"
#include "uentry.h"
#include "usercopy.h"
#include "../user/lib/sysnum.h"

namespace {
volatile uintptr_t calls = 0;  // word-sized: i686 has no 64-bit atomic add without libatomic

/// The longest line write() takes; more is cut (and the count says so).
constexpr size_t WRITE_MAX = 200;

long sys_write(uintptr_t buf, size_t len) {
    if (!user_range_ok(buf, len)) return -EFAULT;  // the whole buffer, though a long one is cut
    char line[WRITE_MAX + 1];
    size_t n = len < WRITE_MAX ? len : WRITE_MAX;
    if (long e = copy_from_user(line, buf, n)) return e;
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) --n;  // the log ends the line itself
    // One line of printable ASCII: a newline inside would start a line the
    // program forged (a test's verdict, a panic), an escape would drive the
    // terminal, a NUL would cut the line short.
    for (size_t i = 0; i < n; ++i)
        if (line[i] < 0x20 || line[i] > 0x7e) line[i] = '?';
    line[n] = 0;
    Process* p = process_current();
    // Prefixed with who and where, so a test finds its program's lines.
    log_info("[pid %d cpu %u] %s", p->pid, cpu_number(), line);
    return (long)(len < WRITE_MAX ? len : WRITE_MAX);
}

long sys_getname(uintptr_t buf, size_t len) {
    Process* p = process_current();
    size_t n = strlen(p->name);
    if (len < n + 1) return -EINVAL;
    if (long e = copy_to_user(buf, p->name, n + 1)) return e;
    return (long)n;
}

long sys_spawn(uintptr_t uname, long arg) {
    char name[24];
    long n = strncpy_from_user(name, uname, sizeof name);
    if (n < 0) return n;
    return process_spawn(name, arg, process_current()->pid);
}
}  // namespace

/// [syscall_dispatch]
extern "C" void syscall_dispatch(TrapFrame* tf) {
    __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
    long r;
    Thread* self = current_thread();
    self->syscall = tf_sysno(tf) < (uintptr_t)SYS_COUNT ? (int32_t)tf_sysno(tf) : -1;  // for `ps`
    switch (tf_sysno(tf)) {
    case SYS_exit: process_exit((long)tf_arg(tf, 0)); break;
    case SYS_write: r = sys_write(tf_arg(tf, 0), tf_arg(tf, 1)); break;
    case SYS_getpid: r = process_current()->pid; break;
    case SYS_getcpu: r = cpu_number(); break;
    case SYS_yield: thread_yield(); r = 0; break;
    case SYS_sleep: {
        uintptr_t ms = tf_arg(tf, 0);
        if (ms > 10000) { r = -EINVAL; break; }
        // Cut short when the process is killed (process_kill()).
        sleep_ms_unless((uint32_t)ms, &process_current()->killed);
        r = 0;
        break;
    }
    case SYS_spawn: r = sys_spawn(tf_arg(tf, 0), (long)tf_arg(tf, 1)); break;
    case SYS_wait: r = process_wait((int)tf_arg(tf, 0), process_current()->pid); break;
    case SYS_ncpus: r = cpu_online_mask.count(); break;
    case SYS_getname: r = sys_getname(tf_arg(tf, 0), tf_arg(tf, 1)); break;
    case SYS_thread: r = process_thread(tf_arg(tf, 0), tf_arg(tf, 1), tf_arg(tf, 2)); break;
    case SYS_thread_exit: process_thread_exit((long)tf_arg(tf, 0)); break;
    case SYS_thread_join: r = process_thread_join((long)tf_arg(tf, 0)); break;
    case SYS_mmap: r = process_mmap(tf_arg(tf, 0)); break;
    case SYS_munmap: r = process_munmap(tf_arg(tf, 0), tf_arg(tf, 1)); break;
    case SYS_onfault: r = process_onfault(tf_arg(tf, 0)); break;
    case SYS_futex_wait: r = futex_wait(tf_arg(tf, 0), (uint32_t)tf_arg(tf, 1), tf_arg(tf, 2)); break;
    case SYS_futex_wake: r = futex_wake(tf_arg(tf, 0), tf_arg(tf, 1)); break;
    case SYS_mprotect: r = process_mprotect(tf_arg(tf, 0), tf_arg(tf, 1), tf_arg(tf, 2)); break;
    default: r = -ENOSYS; break;
    }
    tf_set_return(tf, (uintptr_t)r);
    self->syscall = -1;
    // Killed meanwhile (a fault of another thread, process_kill()): leave now.
    user_trap_return(tf);
}
/// [syscall_dispatch]

uint64_t syscall_count() { return calls; }

const char* syscall_name(long n) {
    static const char* const names[SYS_COUNT] = {
        "exit",   "write",   "getpid", "getcpu",      "yield",       "sleep",      "spawn",
        "wait",   "ncpus",   "getname", "thread",     "thread_exit", "thread_join", "mmap",
        "munmap", "onfault", "futex_wait", "futex_wake", "mprotect"};
    static_assert(sizeof names / sizeof *names == SYS_COUNT, "a name for every system call");
    return n >= 0 && n < SYS_COUNT ? names[n] : "?";
}
