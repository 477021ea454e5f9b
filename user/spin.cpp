// spin: loops for ever in ring 3 and makes no system call, so only a timer
// interrupt takes its CPU back (what a preemptive kernel must cope with).
#include "syscall.h"

// Volatile: each increment is a store, so the loop is not undefined
// behaviour (C++ [intro.progress]) and is not optimized away.
volatile unsigned long spins;

extern "C" int main() {
    for (;;) spins = spins + 1;
}
