// cpus: runs on every online CPU, and says which CPUs getcpu() returned.
//
// As a parent (argument 0) it starts one child per online CPU at a time,
// each a copy of itself with argument 1, and ORs together the masks they
// exit with, until every CPU has been seen or 20 rounds have passed. A child
// notes getcpu() between short sleeps (each wake-up may place it on another
// CPU) and exits with the mask of the CPUs it saw. Exit status 0: every CPU seen.
#include "syscall.h"

namespace {
long child() {
    long seen = 0;
    for (int i = 0; i < 8; ++i) {
        seen |= 1l << sys::getcpu();
        for (int k = 0; k < 20000; ++k) asm volatile("" ::: "memory");  // a little work in ring 3
        sys::sleep(1);
    }
    return seen;
}
}  // namespace

extern "C" int main(long arg) {
    if (arg == 1) return (int)child();
    long n = sys::ncpus();
    long all = n >= 31 ? 0x7FFFFFFF : (1l << n) - 1;
    long seen = 1l << sys::getcpu();
    int rounds = 0;
    while (seen != all && rounds < 20) {
        ++rounds;
        long pids[32];
        long k = n < 32 ? n : 32;
        for (long i = 0; i < k; ++i) pids[i] = sys::spawn("cpus", 1);
        for (long i = 0; i < k; ++i) {
            long st = pids[i] > 0 ? sys::wait(pids[i]) : 0;
            if (st > 0) seen |= st;
        }
    }
    sys::print("cpus: saw %d of %d cpus (mask 0x%x) in %d rounds", (long)__builtin_popcountl(seen & all), n,
               seen, (long)rounds);
    return seen == all ? 0 : 1;
}
