// mmbench: what munmap's TLB shootdown costs, for bench_munmap
// (src/ktest/bench.cpp). arg: how many threads (1 .. 64), the first
// included; the kernel places each on its least-loaded CPU, so one per CPU.
//
// Each of ROUNDS rounds: the first thread maps a page and writes it; every
// other thread writes it too, so each CPU running one holds the
// translation; then the first times munmap() with RDTSC and keeps its
// result, the other CPUs it reached. The others spin in ring 3 all along
// (their CPUs keep this address space loaded), touching the page only when
// a new round starts. Exit status: 1 << 30 (so a fault's 128 + vector
// cannot pass for a result) | scale << 29 | cycles << 7 | targets, the
// medians, with 22 bits of cycles in units of 16 (scale 0) or of 65536
// (scale 1: from 2^26 cycles on, which 64 spinning vCPUs reach); 1 when a
// thread could not start.
#include "syscall.h"

namespace {
constexpr long ROUNDS = 11;
constexpr long MAXT = 64;

volatile long round_no;       // bumped by the first thread: touch the page again
volatile long touched;        // others that touched the page this round
volatile long started;        // others running
volatile long stop;
volatile long* volatile page;

unsigned long long tsc() {
    unsigned lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (unsigned long long)hi << 32 | lo;
}

long toucher(long me) {
    long seen = 0;
    __atomic_fetch_add(&started, 1, __ATOMIC_RELEASE);
    while (!stop) {
        long r = __atomic_load_n(&round_no, __ATOMIC_ACQUIRE);
        if (r != seen) {
            page[me] = r;  // a write: the translation (and its dirty bit) is in this CPU's TLB
            seen = r;
            __atomic_fetch_add(&touched, 1, __ATOMIC_RELEASE);
        }
    }
    return 1;
}

template <typename T>
T median(T* v, long n) {
    for (long i = 1; i < n; ++i)
        for (long j = i; j > 0 && v[j - 1] > v[j]; --j) {
            T t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}
}  // namespace

extern "C" int main(long nthreads) {
    if (nthreads < 1 || nthreads > MAXT) return 1;
    long tids[MAXT];
    for (long i = 1; i < nthreads; ++i)
        if ((tids[i] = sys::thread(toucher, i)) < 0) return 1;
    while (started < nthreads - 1) {
    }
    long targets[ROUNDS];
    long long cycles[ROUNDS];  // 64 bits on i686 too: 64 spinning vCPUs passed 2^31
    for (long r = 0; r < ROUNDS; ++r) {
        page = (volatile long*)sys::mmap(4096);
        page[0] = r;
        touched = 0;
        __atomic_store_n(&round_no, r + 1, __ATOMIC_RELEASE);
        while (__atomic_load_n(&touched, __ATOMIC_ACQUIRE) < nthreads - 1) {
        }
        unsigned long long t0 = tsc();
        targets[r] = sys::munmap((void*)page, 4096);
        cycles[r] = (long long)(tsc() - t0);
    }
    stop = 1;
    for (long i = 1; i < nthreads; ++i) sys::thread_join(tids[i]);
    long tmin = targets[0], tmax = targets[0];
    for (long r = 1; r < ROUNDS; ++r) {
        tmin = targets[r] < tmin ? targets[r] : tmin;
        tmax = targets[r] > tmax ? targets[r] : tmax;
    }
    long t = median(targets, ROUNDS);
    long long c = median(cycles, ROUNDS);
    // Shifts, not divisions: a 64-bit division on i686 would need libgcc.
    sys::print("mmbench: %d threads, %d rounds: munmap reached %d other cpus (median; %d-%d), %d x 1024 cycles (median)",
               nthreads, ROUNDS, t, tmin, tmax, (long)(c >> 10));
    long scale = c >= (1ll << 26);
    long ck = (long)(scale ? c >> 16 : c >> 4);
    if (ck > 0x3fffff) ck = 0x3fffff;
    return (int)(1l << 30 | scale << 29 | ck << 7 | (t & 127));
}
