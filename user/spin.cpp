// spin: loops for ever in ring 3 and makes no system call, so only a timer
// interrupt takes its CPU back (what a preemptive kernel must cope with).
// With an argument n > 0 it first sleeps n ms (a process that exists but
// does not compete for a CPU yet: the limit test starts many).
#include "syscall.h"

// Volatile: each increment is a store, so the loop is not undefined
// behaviour (C++ [intro.progress]) and is not optimized away.
volatile unsigned long spins;

extern "C" int main(long arg) {
    if (arg > 0) sys::sleep(arg);
    for (;;) spins = spins + 1;
}
