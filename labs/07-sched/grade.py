"""Lab 07, per-CPU scheduling: graded tests (tools/grade --lab 07).

The run queues on the host first (unit: real threads, more of them than the
host has cores, stealing from each other both ways), then the scheduler's
self-tests (src/ktest/sched_tests.cpp, lab07_tests.cpp, steal_order_tests.cpp)
in the kernel. The
2-CPU, i686 and failed-AP boots run under -icount (virtual time: a busy host
cannot make a sleeper late); the 4- and 8-CPU ones run multi-threaded, where
CPUs really run at once and a race in the queues shows. All wait long for IPI
answers and locks, so a busy host slows them without failing them.
"""
from labgrade import boot, passed, test, unit

TCG = "ipi_timeout_ms=60000 spin_timeout_ms=30000"
ALL = "test=threads,affinity,balance,sleep,mutex,exclusive,steal,placement,wake_home"
two = boot("amd64-2cpus", arch="amd64", smp="2", cmdline=f"{TCG} test=threads,balance,steal", timeout=300,
           icount=True)
four = boot("amd64-4cpus", arch="amd64", smp="4", cmdline=f"{TCG} test=affinity,sleep,mutex,steal,placement,wake_home",
            timeout=300)
# Two packages of two two-thread cores, and two NUMA nodes that cut across
# them (node 0: core 0 of each package), so that from CPU 2 every level of the
# stealing order has a CPU: its sibling 3, its package's 0 and 1, 6 and 7 on
# its node, 4 and 5 elsewhere.
NUMA = ["-object", "memory-backend-ram,id=m0,size=64M", "-numa", "node,nodeid=0,cpus=0-1,cpus=4-5,memdev=m0",
        "-object", "memory-backend-ram,id=m1,size=64M", "-numa", "node,nodeid=1,cpus=2-3,cpus=6-7,memdev=m1"]
eight = boot("amd64-8cpus", arch="amd64", smp="8,sockets=2,cores=2,threads=2", qemu_args=NUMA,
             cmdline=f"{TCG} test=threads,balance,exclusive,steal_order", timeout=300)
i686 = boot("i686-4cpus", arch="i686", smp="4", cmdline=f"{TCG} {ALL}", timeout=300, icount=True)
# CPU 2 never checks in: the online CPUs are 0, 1 and 3, and CPU 3's queue is
# the one the work piles up on.
gap = boot("amd64-gap-4cpus", arch="amd64", smp="4", cmdline=f"{TCG} ap_noanswer=2 ap_timeout_ms=300 test=steal",
           timeout=300, icount=True)

NEVER = [r"runs on two CPUs at once", r"runq: node .* is already on"]


def ok(*tests, extra=()):
    return dict(expect=[passed(t) for t in tests] + list(extra), forbid=NEVER)


unit("fifo_by_priority_unit", 5, what="host: one FIFO per priority, the highest first; removal; a node queued twice",
     cases=["runq/fifo_by_priority", "runq/remove_anywhere", "runq/refuses_a_node_queued_twice",
            "runq/clamps_priority"])
unit("lock_order_unit", 10, what="host: two queues locked lower id first; threads stealing both ways never deadlock",
     cases=["runq/locks_lower_cpu_first", "lab07_runq/lower_id_first_whichever_argument",
            "lab07_runq/steal_both_ways_without_deadlock"])
unit("steal_unit", 5, what="host: stealing honours affinity; threads steal a pile from one queue, each task once",
     cases=["runq/take_for_honours_affinity", "runq/busiest_queue", "runq/steal_skips_a_busiest_queue_of_pinned_nodes",
            "runq/concurrent_enqueue_run_and_steal", "lab07_runq/idle_cpus_steal_a_pile"])
test("threads_2cpus", two, 5, what="1000 threads, each runs once, on both CPUs",
     **ok("threads", extra=[r"1000 ran exactly once, placed on 2 of 2 cpus"]))
test("threads_8cpus", eight, 5, what="1000 threads on 8 CPUs",
     **ok("threads", extra=[r"1000 ran exactly once, placed on 8 of 8 cpus"]))
test("affinity_4cpus", four, 10, what="pinned threads never run elsewhere, whoever steals", **ok("affinity"))
test("steal_2cpus", two, 5, what="work piled on one CPU's queue is stolen by the other, and counted",
     **ok("steal"))
test("steal_4cpus", four, 5, what="the same at 4 CPUs", **ok("steal"))
test("steal_after_failed_ap", gap, 5, what="CPU 2 failed to start: CPU 3's queue is still stolen from",
     **ok("steal", extra=[r"queued on cpu 3"]))
test("placement_4cpus", four, 10, what="new threads go to the least-loaded CPUs", **ok("placement"))
test("wake_home_4cpus", four, 5, what="on a tie, a woken thread goes back to the CPU it ran on", **ok("wake_home"))
test("balance_8cpus", eight, 5, what="threads created on one CPU get all 8 working", **ok("balance", extra=[r"8 cpus worked"]))
test("sleep_mutex_4cpus", four, 5, what="sleepers wake on time; a sleeping mutex keeps a counter exact",
     **ok("sleep", "mutex"))
test("steal_nearest_first", eight, 10,
     what="an idle CPU takes work from its SMT sibling, then its package, its NUMA node, then anywhere",
     **ok("steal_order", extra=[r"core package package node node node machine machine machine machine; 10 of 10"]))
test("exclusive_8cpus", eight, 5, what="heavy switching at 8 CPUs: no thread on two CPUs at once",
     **ok("exclusive", extra=[r", 0 violations"]))
test("i686_4cpus", i686, 5, what="every scheduler test in the 32-bit kernel",
     **ok("threads", "affinity", "balance", "sleep", "mutex", "exclusive", "steal", "placement", "wake_home"))
