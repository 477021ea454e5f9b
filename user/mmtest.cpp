// mmtest: munmap and the TLB shootdown it needs.
//
// 1. One thread: mmap, touch, munmap. No other CPU has this address space
//    loaded, so the shootdown must reach no other CPU (munmap returns 0).
// 2. One reader thread per other online CPU (at most 7) reads a mapped page
//    until each has it in its TLB, then waits without touching it. munmap
//    must reach the CPUs running them; afterwards every reader reads the
//    page again in ring 3 (sys::probe, which survives the fault): it must
//    fault, or the translation was stale in that CPU's TLB.
// Exit status 0 when both hold.
#include "syscall.h"

namespace {
volatile long* page;        // the area of phase 2
volatile long phase;        // 0 read, 1 stop reading, 2 unmapped: look
volatile long ready;        // readers that have read the page
volatile long stopped;      // readers that have stopped reading it
long sink;

long reader(long) {
    long sum = 0;
    bool counted = false;
    while (phase == 0) {
        sum += page[0];
        if (!counted) {
            __atomic_fetch_add(&ready, 1, __ATOMIC_RELEASE);
            counted = true;
        }
    }
    __atomic_fetch_add(&stopped, 1, __ATOMIC_RELEASE);  // no read of the page after this
    while (phase == 1) {
    }
    sink = sum;
    long cpu = sys::getcpu();
    return sys::probe(page) == 1 ? 1l << cpu : -1;  // through this CPU's TLB, in ring 3
}
}  // namespace

extern "C" int main() {
    long n = sys::ncpus();
    long bad = 0;
    // Phase 1: alone.
    long* a = (long*)sys::mmap(4 * 4096);
    a[0] = 1;
    a[3 * 512] = 2;
    long alone = sys::munmap(a, 4 * 4096);
    if (alone != 0) ++bad;

    // Phase 2: readers on the other CPUs.
    page = (volatile long*)sys::mmap(4096);
    page[0] = 42;
    long k = n - 1 > 7 ? 7 : n - 1;
    long tids[7];
    for (long i = 0; i < k; ++i) tids[i] = sys::thread(reader, 0);
    while (ready < k) sys::yield();
    phase = 1;
    while (stopped < k) sys::yield();  // a reader still in its loop would fault on the page
    long reached = sys::munmap((void*)page, 4096);
    phase = 2;
    long cpus = 0;
    for (long i = 0; i < k; ++i) {
        long v = sys::thread_join(tids[i]);
        if (v < 0) ++bad;
        else cpus |= v;
    }
    if (k > 0 && reached < 1) ++bad;
    sys::print("mmtest: alone: shootdown to %d other cpus; with %d readers: to %d other cpus, page gone on cpus 0x%x; %d wrong",
               alone, k, reached, cpus, bad);
    return bad ? 1 : 0;
}
