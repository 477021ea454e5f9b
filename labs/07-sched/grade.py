"""Lab 07, per-CPU scheduling: graded tests (tools/grade --lab 07).

The scheduler's self-tests (src/ktest/sched_tests.cpp) at 2, 4 and 8 CPUs and
in the 32-bit kernel. The 2-CPU and i686 boots run under -icount (virtual
time: a busy host cannot make a sleeper late); the 4- and 8-CPU ones run
multi-threaded, where CPUs really run at once and a race in the queues shows.
All wait long for IPI answers and locks, so a busy host slows them without
failing them.
"""
from labgrade import boot, passed, test

TCG = "ipi_timeout_ms=60000 spin_timeout_ms=30000"
ALL = "test=threads,affinity,balance,sleep,mutex,exclusive"
two = boot("amd64-2cpus", arch="amd64", smp="2", cmdline=f"{TCG} test=threads,balance", timeout=240, icount=True)
four = boot("amd64-4cpus", arch="amd64", smp="4", cmdline=f"{TCG} {ALL}", timeout=240)
eight = boot("amd64-8cpus", arch="amd64", smp="8", cmdline=f"{TCG} test=threads,balance,exclusive", timeout=240)
i686 = boot("i686-4cpus", arch="i686", smp="4", cmdline=f"{TCG} {ALL}", timeout=240, icount=True)

NEVER = [r"runs on two CPUs at once", r"runq: node .* is already on"]


def ok(*tests, extra=()):
    return dict(expect=[passed(t) for t in tests] + list(extra), forbid=NEVER)


test("threads_2cpus", two, 10, what="1000 threads, each runs once, on both CPUs",
     **ok("threads", extra=[r"1000 ran exactly once, on 2 of 2 cpus"]))
test("threads_4cpus", four, 10, what="1000 threads on 4 CPUs",
     **ok("threads", extra=[r"1000 ran exactly once, on 4 of 4 cpus"]))
test("threads_8cpus", eight, 10, what="1000 threads on 8 CPUs",
     **ok("threads", extra=[r"1000 ran exactly once, on 8 of 8 cpus"]))
test("affinity_4cpus", four, 10, what="pinned threads never run elsewhere", **ok("affinity"))
test("balance_4cpus", four, 15, what="threads created on one CPU get all 4 working",
     **ok("balance", extra=[r"4 cpus worked"]))
test("balance_8cpus", eight, 10, what="the same at 8 CPUs", **ok("balance", extra=[r"8 cpus worked"]))
test("sleep_mutex_4cpus", four, 10, what="sleepers wake on time; a sleeping mutex keeps a counter exact",
     **ok("sleep", "mutex"))
test("exclusive_8cpus", eight, 10, what="heavy switching at 8 CPUs: no thread on two CPUs at once",
     **ok("exclusive", extra=[r", 0 violations"]))
test("i686_4cpus", i686, 15, what="every scheduler test in the 32-bit kernel",
     **ok("threads", "affinity", "balance", "sleep", "mutex", "exclusive"))
