"""Memory ordering (src/ktest/litmus_tests.cpp, docs/memory_ordering.md): the
store-buffering litmus test on two CPUs at once, at 2 and 4 CPUs.

Multi-threaded TCG on purpose, never -icount: under -icount the vCPUs take
turns in one host thread, so no store is ever still in a store buffer when the
other CPU loads, and the test would show nothing. The count without a fence is
printed, not judged (it depends on the host and on QEMU); with MFENCE, or with
seq_cst accesses, both loads seeing 0 is forbidden, and one such iteration
fails the case."""
from bootcase import case

TCG = "ipi_timeout_ms=60000 spin_timeout_ms=30000"

for arch in ("i686", "amd64"):
    for n in (2, 4):
        case(f"{arch}.ordering.litmus{n}", arch=arch, smp=str(n), cmdline=f"{TCG} test=litmus",
             expect=[r"ktest: litmus \.\.\. PASS",
                     r"ktest: litmus: sb plain: both loads 0 in \d+ of [1-9]\d* iterations",
                     r"ktest: litmus: sb mfence: both loads 0 in 0 of [1-9]\d* iterations",
                     r"ktest: litmus: sb seq_cst: both loads 0 in 0 of [1-9]\d* iterations",
                     r"ktest: 1 passed, 0 failed"],
             forbid=[r"\.\.\. FAIL"], timeout=120)
