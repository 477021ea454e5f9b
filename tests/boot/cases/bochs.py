"""Boot tests in Bochs 2.7, the second emulator (tools/bochs/*.bochsrc): both
arches, xAPIC and x2APIC CPUs, 1 to 14 CPUs and the 16 Bochs holds at most;
every CPU must come online in the APIC mode of the boot CPU. Label `bochs`:
`make test-quick` leaves them out, `make test` runs them."""
from bootcase import BANNER, case

COUNTS = (1, 2, 4, 8, 14)
PASSED = r"ktest: 3 passed, 0 failed"


# Bochs's clock runs on instructions, 2 million a second: the kernel's first
# steps outlast the PIT's 54.9 ms count, and the TSC is measured again
# (timer.cpp, the early window's fallback).
EARLY_FALLBACK = [r"timer: no early figure \(the boot's first steps outlasted the PIT's 54\.9 ms count\)",
                  r"timer: tsc \d+\.\d+ MHz \(PIT channel 2, best of 3 x 2 ms"]


def bochs_case(arch, apic, n):
    expect = EARLY_FALLBACK + [BANNER.format(arch=arch), rf"smp: {n}/{n} cpus online",
              rf"lapic: cpu 0 apic id 0 mode {apic}\b", PASSED]
    if n > 1:  # the last AP started, in the same mode (APIC ids are 0..n-1 in Bochs)
        expect.append(rf"cpu {n - 1}: online \(apic {n - 1}, {apic}\)")
    case(f"{arch}.bochs.{apic}.smp{n}", arch=arch, emulator="bochs", smp=str(n),
         needs_x2apic=apic == "x2apic", cmdline="test=cpu_number,smp,bringup_release", expect=expect,
         labels=["smp"])


for arch in ("i686", "amd64"):
    for apic in ("xapic", "x2apic"):
        for n in COUNTS:
            bochs_case(arch, apic, n)
bochs_case("amd64", "x2apic", 16)

# The panic verdict comes from the exit line as well: #UD on purpose.
case("amd64.bochs.exception", arch="amd64", emulator="bochs", cmdline="test=exception",
     expect=[BANNER.format(arch="amd64"), r"EXCEPTION #UD", r"PANIC:"], exit="panic", token=False)
