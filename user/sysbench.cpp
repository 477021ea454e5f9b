// sysbench: the cost of a system call round trip. Times 10000 getpid()
// calls with the TSC (RDTSC is allowed in ring 3 while CR4.TSD is clear)
// and prints the cycles per call, the fastest of 5 rounds and the slowest.
#include "syscall.h"

namespace {
unsigned long long tsc() {
    unsigned lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (unsigned long long)hi << 32 | lo;
}
}  // namespace

extern "C" int main() {
    constexpr long CALLS = 10000;
    long best = -1, worst = 0;
    for (int round = 0; round < 5; ++round) {
        unsigned long long t0 = tsc();
        for (long i = 0; i < CALLS; ++i) sys::getpid();
        long per = (long)((tsc() - t0) / CALLS);
        if (best < 0 || per < best) best = per;
        if (per > worst) worst = per;
    }
    sys::print("sysbench: getpid round trip: %d cycles per call at best, %d at worst (5 x %d calls)", best, worst,
               CALLS);
    return 0;
}
