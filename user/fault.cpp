// fault: each child makes one fault in ring 3; the parent checks that the
// kernel killed just that child, with 128 + the vector as its exit status.
//
// As a parent (argument 0) it runs one child per mode and prints each
// status; exit status 0 when all were as expected. As a child (argument =
// mode) it faults and should never return.
#include "syscall.h"

namespace {
constexpr long PF = 14, GP = 13, UD = 6;

// Where the modes point: a kernel address (the kernel image, mapped but
// supervisor-only), and a user address nothing is mapped at.
constexpr unsigned long KERNEL_ADDR = 0x100000;
constexpr unsigned long UNMAPPED = USER_BASE_ADDR + 0x10000000;

// Bytes of this program's own read-only segment.
const char read_only[] = "read-only";

/// @p p, hidden from the optimizer (a store through it is not dropped).
template <typename T> T* opaque(T* p) {
    asm volatile("" : "+r"(p));
    return p;
}

void fault(long mode) {
    switch (mode) {
    case 1: (void)*opaque((volatile int*)KERNEL_ADDR); break;   // read the kernel: #PF, P=1 U=1
    case 2: (void)*opaque((volatile int*)UNMAPPED); break;      // read nothing: #PF, P=0 U=1
    case 3: *opaque((volatile char*)read_only) = 0; break;  // write a read-only page: #PF, W=1
    case 4: asm volatile("cli"); break;                 // a privileged instruction: #GP
    case 5: asm volatile("ud2"); break;                 // an invalid opcode: #UD
    }
}
}  // namespace

extern "C" int main(long arg) {
    if (arg) {
        fault(arg);
        sys::print("fault: mode %d did not fault", arg);
        return 99;
    }
    const long want[] = {0, 128 + PF, 128 + PF, 128 + PF, 128 + GP, 128 + UD};
    int bad = 0;
    for (long mode = 1; mode <= 5; ++mode) {
        long pid = sys::spawn("fault", mode);
        long st = sys::wait(pid);
        sys::print("fault: mode %d: pid %d exit status %d (want %d)", mode, pid, st, want[mode]);
        bad += st != want[mode];
    }
    sys::print("fault: %d of 5 as expected", 5l - bad);
    return bad;
}
