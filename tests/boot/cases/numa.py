"""NUMA (srat.cpp, numa.cpp, mem.cpp): QEMU's -numa gives the firmware an SRAT
and, with dist=, a SLIT; the kernel must put each CPU and each memory range
on its node, print the distances, and serve every CPU frames and stacks from
its own node (the self-test numa). Without -numa there is no SRAT: one node,
said once. Small memories and few CPUs keep the three boots short."""
from bootcase import case, numa_nodes as nodes


PASSED = r"ktest: numa \.\.\. PASS"
QUIET = [r"WARN: (srat|slit|numa):"]  # QEMU's tables are well-formed: not one complaint

# Two nodes of two CPUs each, amd64 under SeaBIOS (machine pc).
case("amd64.numa.nodes2", arch="amd64", smp="4", memory="256M", cmdline="test=numa",
     qemu_args=nodes([128, 128], ["0-1", "2-3"], [(0, 1, 20)]),
     expect=[r"numa: 2 nodes; node 0: cpus 0-1, 128 MiB; node 1: cpus 2-3, 128 MiB; distances 10 20 / 20 10$",
             PASSED + r" 2 node\(s\); 4 cpu\(s\) got a frame and had stacks and run queue from their own node, 0 from"],
     count={r"numa: \d+ node": 1}, forbid=QUIET)

# Four nodes of one CPU each, i686 on q35, distances that differ by pair; node
# 3 has no memory, so CPU 3 is served by node 2, its nearest with memory. The
# monitor's numa command prints the same summary as the boot.
NUMA4 = (r"numa: 4 nodes; node 0: cpus 0, 64 MiB; node 1: cpus 1, 64 MiB; node 2: cpus 2, 64 MiB; "
         r"node 3: cpus 3, 0 MiB; distances 10 15 20 25 / 15 10 15 20 / 20 15 10 15 / 25 20 15 10$")
case("i686.numa.nodes4", arch="i686", machine="q35", smp="4", memory="192M", token=False, exit="pass",
     qemu_args=nodes([64, 64, 64, 0], ["0", "1", "2", "3"],
                     [(a, b, 10 + 5 * (b - a)) for a in range(4) for b in range(a + 1, 4)]),
     script=[(r"cohort> ", "numa\r"), (r"numa: 4 nodes", "test numa\r"), (PASSED, "halt\r")],
     expect=[NUMA4, PASSED + r" 4 node\(s\); 3 cpu\(s\) got a frame and had stacks and run queue from their own node, 1 from the nearest",
             r"monitor: halting every cpu"],
     count={NUMA4: 2}, forbid=QUIET)

# No -numa: no SRAT, one node, said once.
case("amd64.numa.none", arch="amd64", smp="2", cmdline="test=numa",
     expect=[r"numa: 1 node \(no SRAT\); node 0: cpus 0-1, all memory; distances 10$",
             PASSED + r" 1 node\(s\)"],
     count={r"numa: \d+ node": 1, r"SRAT": 1})
