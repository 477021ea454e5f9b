"""CPU topology (topology.cpp, cputopo.cpp): the summary line from the ids each
CPU stored coming online, and the self-test that has every CPU decode its own
CPUID again and cut its own LAPIC id with it."""
from bootcase import case


def summary(packages, cores, threads, source):
    return (rf"topology: {packages} packages, {cores} cores/package, {threads} threads/core "
            rf"\({source}\)$")


def checked(n, source):
    return rf"ktest: topology \.\.\. PASS {n} cpus checked, 0 wrong \({source}\)"


# QEMU's default CPU with two packages of four two-thread cores: leaf 0xB.
case("amd64.topology.s2c4t2", arch="amd64", smp="16,sockets=2,cores=4,threads=2", cmdline="test=topology",
     expect=[r"topology: fields smt 1 core 2 die 0 bits, package from bit 3 \(leaf 0xb\)",
             summary(2, 4, 2, "leaf 0xb"), checked(16, "leaf 0xb")],
     forbid=[r"WARN: topology"])
# No leaf 0xB (qemu32 stops at leaf 4), and three cores: leaf 1's 6 logical
# CPUs and leaf 4's 4 core ids round up to 8 / 4 = 2 threads a core (SDM Vol.
# 3A 8.9.1); APIC ids 0-5 and 8-13 become kernel ids 0-11.
case("i686.topology.leaf4-gaps", arch="i686", cpu="qemu32", smp="12,sockets=2,cores=3,threads=2",
     cmdline="test=topology",
     expect=[r"topology: fields smt 1 core 2 die 0 bits, package from bit 3 \(leaf 4\)",
             summary(2, 3, 2, "leaf 4"), checked(12, "leaf 4")],
     forbid=[r"WARN: topology"])
