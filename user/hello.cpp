// hello: writes one line to the kernel log and exits.
#include "syscall.h"

// A writable global: the program has a data segment as well as text and rodata.
int calls;

extern "C" int main() {
    ++calls;
    sys::puts("hello from user space\n");
    return calls == 1 ? 0 : 1;  // the data segment was zeroed and written once
}
