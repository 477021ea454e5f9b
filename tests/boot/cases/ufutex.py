"""test=futex (src/ktest/futex_tests.cpp, user/futex.cpp): a user mutex and
condition variable on futex_wait/futex_wake. From the log: each error path
answered with its code, a plain counter incremented under the lock by one
thread per CPU (at least 4) comes out exact, the token passed in strict
order, and threads asleep on a futex are all woken and reaped when the
process is killed and when one of its threads calls exit(). Once at 4 CPUs
under -icount (virtual time: the 30 ms time-out is exact), once at 8 vCPUs
without it (host threads really in parallel, sleeping and waking each other),
on both arches."""
from bootcase import case

ERRORS = [("wait on a kernel address", -14), ("wait on an unmapped page", -14), ("wait on a misaligned word", -22),
          ("wait with a wrong expected value", -11), ("wait 30 ms with no waker", -110),
          ("wait with too long a time", -22), ("wake with no waiter", 0), ("wake of none", -22),
          ("wake on a kernel address", -14), ("wake on a misaligned word", -22)]


def futex_case(n, qemu_args, suffix, arch="amd64"):
    t = max(4, min(n, 8))
    case(f"{arch}.ufutex.run{n}-{suffix}", arch=arch, smp=str(n), cmdline="test=futex", qemu_args=qemu_args,
         expect=[rf"\] futex: {what}: {code} \(want {code}\)$" for what, code in ERRORS] + [
             rf"\] futex: {t} threads x 20000 locked increments = {t * 20000}, counter {t * 20000}; "
             rf"{t * 100} handoffs of {t * 100}, token back at 0; \d+ wake-ups out of turn; lock word 0$",
             r"\] futex: 0 wrong$",
             r"futex: lock, condition and error paths: ok",
             rf"futex: threads asleep before the kill: ok \(got {t},",
             r"futex: killed while asleep: exit status: ok \(got 256,",
             r"futex: waiters left after the kill: ok",
             rf"futex: threads asleep before the exit: ok \(got {t - 1},",
             r"futex: exit\(\) while the others sleep: exit status: ok \(got 7,",
             r"futex: waiters left after the exit: ok",
             r"futex: free frames before and after: ok",
             r"ktest: futex \.\.\. PASS"],
         forbid=[r"WRONG", r"futex waiter\(s\) left"], timeout=60)


for arch in ("amd64", "i686"):  # i686: the same calls through int 0x80
    futex_case(4, ["-icount", "shift=auto"], "icount", arch)
    futex_case(8, [], "tcg", arch)
