"""The kernel monitor (monitor.cpp): a boot without test= ends at the prompt;
typed commands arrive through IRQ 4 and answer with the CPU and thread tables."""
from bootcase import case

for arch in ("i686", "amd64"):
    case(f"{arch}.monitor.cpus-threads", arch=arch, smp="4", token=False,
         script=[(r"cohort> ", "cpus\r"), (r"monitor: 4 of 4 cpus online", "threads\r"),
                 (r"monitor: +\d+ idle3 ", "mptable\r"), (r"no MP table was read", "lapic 2\r"),
                 (r"lapic: cpu 2 apic id 2", "halt\r")],
         expect=[r"monitor:  cpu  apic mode", r"monitor: +3 +3 xapic +yes", r"monitor: 4 of 4 cpus online",
                 r"monitor: +\d+ main +running", r"monitor: +\d+ idle3 +running +3",
                 r"cpu2: lapic: cpu 2 apic id 2 mode xapic", r"monitor: halting every cpu"],
         exit="pass")
