// futex: a user lock (user/lib/mutex.h) on futex_wait/futex_wake.
//
// arg 0: first the error paths (a kernel address, an unmapped page and a
//   misaligned word are refused, a wrong expected value returns at once, a
//   wait with nobody to wake it times out); then one thread per online CPU
//   (at least 4, at most 8 with the first) each takes the lock ITERS times
//   to add 1 to a plain counter (no atomic add: only the lock keeps the
//   total exact), then they pass a token around ROUNDS times with a
//   condition variable, in strict order. Exit status 0 when every total is
//   exact and every error path answered as it should.
// arg 1: every thread (the first too) sleeps on a word nobody changes, for
//   good: the kernel kills the process and must wake and reap them all.
// arg 2: the same, but the first thread calls exit() once the others sleep.
#include "mutex.h"

namespace {
constexpr long ITERS = 20000;
constexpr long ROUNDS = 100;
constexpr long MAXT = 8;

sys::Mutex lock;
long counter;  // plain: guarded by lock only
sys::Cond turn_changed;
long turn;        // whose turn it is, under lock
long handoffs;    // token passes, under lock
long out_of_turn; // a thread that saw the token in another's hands when it woke: fine, it waits again
long nthreads;
volatile unsigned never;  // nobody ever changes it

long work(long me) {
    for (long i = 0; i < ITERS; ++i) {
        lock.lock();
        ++counter;
        lock.unlock();
    }
    for (long r = 0; r < ROUNDS; ++r) {
        lock.lock();
        while (turn != me) {
            turn_changed.wait(lock);
            if (turn != me) ++out_of_turn;
        }
        turn = (turn + 1) % nthreads;
        ++handoffs;
        turn_changed.broadcast();
        lock.unlock();
    }
    return 1;
}

long sleeper(long) {
    sys::futex_wait(&never, 0);
    return 2;  // never: killed while asleep
}

long check(const char* what, long got, long want) {
    sys::print("futex: %s: %d (want %d)%s", what, got, want, got == want ? "" : " WRONG");
    return got != want;
}

long error_paths() {
    long bad = 0;
    volatile unsigned w = 5;
    bad += check("wait on a kernel address", sys::futex_wait((const volatile unsigned*)0x100000, 0), -EFAULT);
    unsigned* gone = (unsigned*)sys::mmap(4096);
    gone[0] = 0;
    sys::munmap(gone, 4096);
    bad += check("wait on an unmapped page", sys::futex_wait(gone, 0), -EFAULT);
    bad += check("wait on a misaligned word",
                 sys::futex_wait((const volatile unsigned*)((const volatile char*)&w + 1), 0), -EINVAL);
    bad += check("wait with a wrong expected value", sys::futex_wait(&w, 4), -EAGAIN);
    bad += check("wait 30 ms with no waker", sys::futex_wait(&w, 5, 30), -ETIMEDOUT);
    bad += check("wait with too long a time", sys::futex_wait(&w, 5, 10001), -EINVAL);
    bad += check("wake with no waiter", sys::futex_wake(&w, 1), 0);
    bad += check("wake of none", sys::futex_wake(&w, 0), -EINVAL);
    bad += check("wake on a kernel address", sys::futex_wake((const volatile unsigned*)0x100000, 1), -EFAULT);
    bad += check("wake on a misaligned word",
                 sys::futex_wake((const volatile unsigned*)((const volatile char*)&w + 2), 1), -EINVAL);
    return bad;
}
}  // namespace

extern "C" int main(long mode) {
    long n = sys::ncpus();
    nthreads = n < 4 ? 4 : n > MAXT ? MAXT : n;
    long tids[MAXT];
    if (mode == 1 || mode == 2) {
        for (long i = 1; i < nthreads; ++i) tids[i] = sys::thread(sleeper, 0);
        sys::print("futex: %d threads going to sleep", nthreads);
        if (mode == 2) {
            sys::sleep(300);  // let them queue (the kernel's test counts them meanwhile)
            sys::exit(7);
        }
        sleeper(0);
        return 3;
    }
    long bad = error_paths();
    for (long i = 1; i < nthreads; ++i) tids[i] = sys::thread(work, i);
    work(0);
    for (long i = 1; i < nthreads; ++i)
        if (tids[i] <= 0 || sys::thread_join(tids[i]) != 1) ++bad;
    sys::print("futex: %d threads x %d locked increments = %d, counter %d; %d handoffs of %d, token back at %d; "
               "%d wake-ups out of turn; lock word %d",
               nthreads, ITERS, nthreads * ITERS, counter, handoffs, nthreads * ROUNDS, turn, out_of_turn,
               (long)lock.state());
    if (counter != nthreads * ITERS || handoffs != nthreads * ROUNDS || turn != 0 || lock.state() != 0) ++bad;
    sys::print("futex: %d wrong", bad);
    return bad ? 1 : 0;
}
