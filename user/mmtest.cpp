// mmtest: munmap and the TLB shootdown it needs.
//
// 1. One thread: mmap, touch, munmap. No other CPU has this address space
//    loaded, so the shootdown must reach no other CPU (munmap returns 0).
// 2. One reader thread per other online CPU (at most 7) reads a mapped page
//    until each has it in its TLB, then waits without touching it. munmap
//    must reach the CPUs running them; afterwards every reader reads the
//    page again in ring 3 (sys::probe, which survives the fault): it must
//    fault, or the translation was stale in that CPU's TLB.
// 3. mprotect to read-only: alone (phase 1, before any thread) it reaches
//    no other CPU and a write faults; then one writer thread per other CPU
//    writes a page until each has a writable translation cached, and waits.
//    mprotect(PROT_READ) must reach their CPUs (the munmap rule), and a
//    write from every writer, and from the first thread, must fault (onfault):
//    no CPU may keep the stale write right. Back to PROT_WRITE, it writes.
// Exit status 0 when all hold.
#include "syscall.h"

namespace {
volatile long* page;        // the area of phase 2
volatile long phase;        // 0 read, 1 stop reading, 2 unmapped: look
volatile long ready;        // readers that have read the page
volatile long stopped;      // readers that have stopped reading it
long sink;
volatile long* wpage;       // the area of phase 3
volatile long wphase;       // 0 write, 1 stop writing, 2 read-only: try
volatile long wready;       // writers that have written the page
volatile long wstopped;     // writers that have stopped writing it

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

long writer(long i) {
    bool counted = false;
    while (wphase == 0) {
        wpage[1 + i] = i;  // a write: this CPU's TLB holds the page writable (and dirty)
        if (!counted) {
            __atomic_fetch_add(&wready, 1, __ATOMIC_RELEASE);
            counted = true;
        }
    }
    __atomic_fetch_add(&wstopped, 1, __ATOMIC_RELEASE);
    while (wphase == 1) {
    }
    long cpu = sys::getcpu();
    return sys::probe_write(wpage) == 1 ? 1l << cpu : -1;  // through this CPU's TLB, in ring 3
}

/// Join the @p k threads of @p tids: the CPU bits they returned, ORed; each
/// that returned < 0 (its probe saw a stale translation) counts in @p bad.
long join_all(const long* tids, long k, long* bad) {
    long cpus = 0;
    for (long i = 0; i < k; ++i) {
        long v = sys::thread_join(tids[i]);
        if (v < 0) ++*bad;
        else cpus |= v;
    }
    return cpus;
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
    long* r = (long*)sys::mmap(2 * 4096);
    r[0] = 7;
    if (sys::mprotect(r, 4096, PROT_READ | 2) != -EINVAL || sys::mprotect(r, 3 * 4096, PROT_READ) != -EINVAL ||
        sys::mprotect(r + 1, 4096, PROT_READ) != -EINVAL)
        ++bad;  // an exec bit, past the area, not page-aligned
    long ro_alone = sys::mprotect(r, 2 * 4096, PROT_READ);
    if (ro_alone != 0 || sys::probe_write(r) != 1 || sys::probe(r) != 0 || r[0] != 7) ++bad;

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
    long cpus = join_all(tids, k, &bad);
    if (k > 0 && reached < 1) ++bad;

    // Phase 3: writers on the other CPUs, then read-only.
    wpage = (volatile long*)sys::mmap(4096);
    for (long i = 0; i < k; ++i) tids[i] = sys::thread(writer, i);
    while (wready < k) sys::yield();
    wphase = 1;
    while (wstopped < k) sys::yield();
    long ro_reached = sys::mprotect((void*)wpage, 4096, PROT_READ);
    wphase = 2;
    long wcpus = join_all(tids, k, &bad);
    if (sys::probe_write(wpage) != 1) ++bad;
    else wcpus |= 1l << sys::getcpu();
    if (k > 0 && ro_reached < 1) ++bad;
    if (sys::mprotect((void*)wpage, 4096, PROT_WRITE) < 0 || sys::probe_write(wpage) != 0) ++bad;
    sys::print("mmtest: alone: shootdown to %d other cpus; with %d readers: to %d other cpus, page gone on cpus 0x%x; %d wrong",
               alone, k, reached, cpus, bad);
    sys::print("mmtest: mprotect read-only alone: shootdown to %d other cpus; with %d writers: to %d other cpus, "
               "write faulted on cpus 0x%x; %d wrong",
               ro_alone, k, ro_reached, wcpus, bad);
    return bad ? 1 : 0;
}
