// hello: writes one line to the kernel log and exits. With argument 1 it
// first starts another hello and exits without waiting for it: the child is
// an orphan, which the kernel's reaper must reap.
#include "syscall.h"

// A writable global: the program has a data segment as well as text and rodata.
int calls;

extern "C" int main(long arg) {
    ++calls;
    if (arg == 1 && sys::spawn("hello", 0) < 0) return 2;
    sys::puts("hello from user space\n");
    return calls == 1 ? 0 : 1;  // the data segment was zeroed and written once
}
