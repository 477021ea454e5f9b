// threads: one address space on several CPUs at once. Starts one thread per
// online CPU (at least 2, at most 7) besides the first; every thread adds 1
// to one shared counter ITERS times with an atomic add and notes the CPUs it
// ran on. The total must be exact. Exit status 0 when it is.
#include "syscall.h"

namespace {
constexpr long ITERS = 100000;
long counter;  // shared by every thread of the process

long work(long) {
    long seen = 0;
    for (long i = 0; i < ITERS; ++i) {
        __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);  // LOCK XADD: no increment lost
        if (i % 4096 == 0) seen |= 1l << sys::getcpu();
    }
    return seen;
}
}  // namespace

extern "C" int main() {
    long n = sys::ncpus();
    long k = n < 2 ? 2 : n > 7 ? 7 : n;
    long tids[7];
    for (long i = 0; i < k; ++i) tids[i] = sys::thread(work, 0);
    long cpus = work(0);
    long bad = 0;
    for (long i = 0; i < k; ++i) {
        long v = tids[i] > 0 ? sys::thread_join(tids[i]) : -1;
        if (v <= 0) ++bad;
        else cpus |= v;
    }
    long total = __atomic_load_n(&counter, __ATOMIC_RELAXED), want = (k + 1) * ITERS;
    sys::print("threads: %d threads x %d = %d, counter %d, on cpus 0x%x (%d of %d)", k + 1, ITERS, want, total, cpus,
               (long)__builtin_popcountl(cpus), n);
    return total == want && !bad ? 0 : 1;
}
