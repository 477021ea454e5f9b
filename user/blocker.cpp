// blocker: a process whose every thread blocks in the kernel, so that only
// a kill ends it (test=user kills it and checks it is reaped at once).
// With no argument: spawns "blocker 1", starts a thread that sleeps, a
// second that joins the first, then waits for the child. With 1: the child,
// which sleeps for ever.
#include "syscall.h"

long sleeper(long) {
    for (;;) sys::sleep(10000);
}

long joiner(long tid) { return sys::thread_join(tid); }

extern "C" int main(long arg) {
    if (arg == 1)
        for (;;) sys::sleep(10000);
    long child = sys::spawn("blocker", 1);
    long t1 = sys::thread(sleeper, 0);
    long t2 = sys::thread(joiner, t1);
    sys::print("blocker: child %d, threads %d and %d; waiting", child, t1, t2);
    long st = sys::wait(child);
    sys::print("blocker: wait returned %d: not killed", st);  // never, unless the kill failed
    return 1;
}
