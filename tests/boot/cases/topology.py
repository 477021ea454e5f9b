"""CPU topology (topology.cpp, cputopo.cpp): the summary line from the ids each
CPU stored coming online, and the self-test that has every CPU decode its own
CPUID again and cut its own LAPIC id with it.

Both machines also have two NUMA nodes that cut across the packages: node 0
holds the first two cores of each package, node 1 the others (QEMU lets
-numa split a package). So from most CPUs every level of the stealing order has a CPU: the SMT
sibling, another core of the package, a CPU of the other package on the same
node, and one elsewhere. steal_order (ktest/steal_order_tests.cpp) shows an
idle CPU taking work from them in that order. Multi-threaded TCG, more vCPUs
than a small host has cores."""
from bootcase import case, numa_nodes


def summary(packages, cores, threads, source):
    return (rf"topology: {packages} packages, {cores} cores/package, {threads} threads/core "
            rf"\({source}\)$")


def checked(n, source):
    return rf"ktest: topology \.\.\. PASS {n} cpus checked, 0 wrong \({source}\)"


def numa_split(node0, node1):
    """Two nodes of 64 MiB; the expected summary line."""
    line = rf"numa: 2 nodes; node 0: cpus {','.join(node0)}, 64 MiB; node 1: cpus {','.join(node1)}, 64 MiB; "
    return numa_nodes([64, 64], [node0, node1]), line + r"distances 10 20 / 20 10$"


# The order is nearest level first; the levels come from cpu_steal_level().
STEAL_ORDER = (r"ktest: steal_order \.\.\. PASS cpu \d+ stole from \d+ \(core\), \d+ \(package\), \d+ \(node\), "
               r"\d+ \(machine\): core package package node node node machine machine machine machine; 10 of 10 taken")


# QEMU's default CPU with two packages of four two-thread cores: leaf 0xB.
# Node 0: cores 0-1 of each package.
args, numa = numa_split(("0-3", "8-11"), ("4-7", "12-15"))
case("amd64.topology.s2c4t2", arch="amd64", smp="16,sockets=2,cores=4,threads=2", cmdline="test=topology,steal_order",
     qemu_args=args,
     expect=[r"topology: fields smt 1 core 2 die 0 bits, package from bit 3 \(leaf 0xb\)",
             summary(2, 4, 2, "leaf 0xb"), checked(16, "leaf 0xb"), numa, STEAL_ORDER],
     forbid=[r"WARN: topology"])

# No leaf 0xB (qemu32 stops at leaf 4), and three cores: leaf 1's 6 logical
# CPUs and leaf 4's 4 core ids round up to 8 / 4 = 2 threads a core (SDM Vol.
# 3A 8.9.1); APIC ids 0-5 and 8-13 become kernel ids 0-11. Node 0: cores 0-1
# of each package.
args, numa = numa_split(("0-3", "6-9"), ("4-5", "10-11"))
case("i686.topology.leaf4-gaps", arch="i686", cpu="qemu32", smp="12,sockets=2,cores=3,threads=2",
     cmdline="test=topology,steal_order", qemu_args=args,
     expect=[r"topology: fields smt 1 core 2 die 0 bits, package from bit 3 \(leaf 4\)",
             summary(2, 3, 2, "leaf 4"), checked(12, "leaf 4"), numa, STEAL_ORDER],
     forbid=[r"WARN: topology"])
