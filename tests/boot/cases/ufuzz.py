"""The user-space fuzzer (user/fuzz.cpp, test=ufuzz in src/ktest/ufuzz_tests.cpp):
one fuzzer per CPU makes random system calls with random arguments, 10^5 per
boot in all. The kernel must not panic or fault (the common forbidden lines),
every fuzzer must end normally, every CPU must have run one, and the free
frames, processes and user threads must be the same before and after.

Four machines per arch: 1 CPU (10^5 calls in a row, no -icount), 4 CPUs
under -icount (one host thread runs every vCPU in turn, in virtual time), 8 vCPUs without it on a smaller host,
where vCPUs really run at once and are descheduled at any instruction, and 4
vCPUs in x2APIC mode (which QEMU cannot combine with -icount)."""
from bootcase import case

ICOUNT = ["-icount", "shift=auto"]
CALLS = 100000
# A byte a line of the log may not hold: the fuzzer writes random bytes, and
# write() must not pass a control character on (a newline in the middle
# would start a line the program forged, an escape would drive the terminal).
CONTROL = r"[\x00-\x08\x0b-\x1f\x7f]"


def ufuzz(arch, n, icount, x2apic=False):
    name = f"{arch}.ufuzz.run{n}" + ("-icount" if icount else "") + ("-x2apic" if x2apic else "")
    case(name, arch=arch, smp=str(n), cmdline="test=ufuzz", qemu_args=ICOUNT if icount else [],
         cpu="qemu64,+x2apic" if x2apic else None, needs_x2apic=x2apic,
         expect=[rf"\] fuzz: {n} fuzzers of {CALLS // n} calls: {n} ended normally, 0 not; "
                 rf"cpus seen 0x{(1 << n) - 1:x} of 0x{(1 << n) - 1:x}$",
                 r"ufuzz: every fuzzer ended normally, on every cpu: ok",
                 r"ufuzz: system calls made: ok",
                 r"ufuzz: free frames before and after: ok",
                 r"ufuzz: processes before and after: ok",
                 r"ufuzz: user threads before and after: ok",
                 r"ktest: ufuzz \.\.\. PASS"],
         count={rf"\] fuzz: pid \d+ seed \d+: {CALLS // n} calls: ": n},
         forbid=[r"WRONG", r"fuzz: child \d+ \(pid \d+\) ended with status", CONTROL], timeout=120)


for arch in ("i686", "amd64"):
    ufuzz(arch, 1, False)
    ufuzz(arch, 4, True)
    ufuzz(arch, 8, False)
    ufuzz(arch, 4, False, x2apic=True)
