"""CPU offline and online at run time (hotplug.cpp): 100 cycles of random CPUs
while threads work through a pool of items and call-functions and shootdowns
are in flight, with the refusals on the way (the boot CPU, a pinned thread, a
CPU already online or already offline). Both arches, xAPIC under -icount,
x2APIC and more vCPUs than host cores without it.

ipi_timeout_ms is short on purpose: a request left in the mailbox of a CPU
that went offline is a panic within 2 s, not a 10 s hang."""
from bootcase import case

ICOUNT = ["-icount", "shift=auto"]
EXPECT = [r"ktest: hotplug \.\.\. PASS 100 cycles \(0 failed", r"ktest: hotplug: times cpus=\d+ cycles=100 ",
          r"WARN: hotplug: cpu 0 stays online: it is the boot CPU",
          r"WARN: hotplug: cpu \d+ stays online: thread pinned \(tid \d+\) may run on no other online cpu",
          r"hotplug: cpu \d+ is already online; nothing to do", r"WARN: hotplug: cpu \d+ is not online"]

for arch in ("i686", "amd64"):
    x2 = "qemu64,+x2apic" if arch == "amd64" else "qemu32,+x2apic"
    case(f"{arch}.hotplug.xapic4", arch=arch, smp="4", cmdline="ipi_timeout_ms=1000 test=hotplug",
         qemu_args=ICOUNT, expect=EXPECT + [r"cpu 3: online \(apic 3, xapic\)"], timeout=120)
    case(f"{arch}.hotplug.x2apic4", arch=arch, smp="4", cpu=x2, cmdline="ipi_timeout_ms=5000 test=hotplug",
         expect=EXPECT + [r"cpu 3: online \(apic 3, x2apic\)"], needs_x2apic=True, timeout=180)
    # Twice the host's cores and then some, no -icount: how students run it.
    case(f"{arch}.hotplug.overcommit8", arch=arch, smp="8", cmdline="ipi_timeout_ms=10000 test=hotplug",
         expect=EXPECT, timeout=300)
