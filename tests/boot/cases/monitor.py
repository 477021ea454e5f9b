"""The kernel monitor (monitor.cpp): a boot without test= ends at the prompt;
typed commands arrive through IRQ 4 and answer with the CPU and thread tables."""
from bootcase import case

for arch in ("i686", "amd64"):
    case(f"{arch}.monitor.cpus-threads", arch=arch, smp="4", token=False,
         script=[(r"cohort> ", "cpus\r"), (r"monitor: 4 of 4 cpus online", "threads\r"),
                 (r"monitor: +\d+ idle3 ", "mptable\r"), (r"no MP table was read", "lapic 2\r"),
                 (r"lapic: cpu 2 apic id 2", "halt\r")],
         expect=[r"monitor:  cpu  apic mode", r"monitor: +3 +3 xapic +yes", r"monitor: 4 of 4 cpus online",
                 r"monitor: package 0$", r"monitor:     core 3: smt 0 = cpu 3 \(apic 3\)$",
                 r"monitor: +\d+ main +running", r"monitor: +\d+ idle3 +running +3",
                 r"cpu2: lapic: cpu 2 apic id 2 mode xapic", r"monitor: halting every cpu"],
         exit="pass")

# Every other command, each with a wrong argument too: a clear message, never a
# hang or a silent nothing. Each step waits for the previous command's answer.
STEPS = [
    (r"cohort> ", "help\r"),
    (r"monitor: halt +stop every CPU", "cpuid 1\r"),
    (r"cpuid: features ", "cpuid x\r"),
    (r"no online cpu 'x'", "topology\r"),
    (r"monitor:   fields smt", "lapic 77\r"),
    (r"no online cpu '77'", "madt\r"),
    (r"monitor: +ioapic 0 at 0x", "ioapic\r"),
    (r"ioapic 0 pin 4 \(gsi 4\): vector", "ipi 2\r"),
    (r"round trip to cpu 2: \d+ ns", "ipi\r"),
    (r"usage: ipi <cpu>", "ipi 9\r"),
    (r"no online cpu '9'", "test list\r"),
    (r"monitor: +cpu_number +every online CPU", "test boot\r"),
    (r"ktest: boot \.\.\. PASS", "test nosuch\r"),
    (r"no test or benchmark 'nosuch'", "bench bench_ipi\r"),
    (r"ktest: bench_ipi \.\.\. PASS", "frobnicate\r"),
    (r"unknown command 'frobnicate'", "offline 2\r"),
    # CPU 2 goes away and comes back; each wrong request gets its own answer.
    (r"hotplug: cpu 2 offline in", "cpus\r"),
    (r"monitor: 3 of 4 cpus online", "lapic 2\r"),
    (r"no online cpu '2'", "offline 2\r"),
    (r"cpu 2 is not online", "offline 0\r"),
    (r"cpu 0 stays online", "offline x\r"),
    (r"usage: offline <cpu>", "online 9\r"),
    (r"no cpu 9 \(this machine has cpus 0-3\)", "online 2\r"),
    (r"hotplug: cpu 2 online in", "online 2\r"),
    (r"cpu 2 is already online", "ipi 2\r"),
    (r"round trip to cpu 2: \d+ ns", "halt\r"),
]
for arch in ("i686", "amd64"):
    case(f"{arch}.monitor.commands", arch=arch, smp="4", token=False, script=STEPS,
         expect=[r"monitor: cpuid \[cpu\] ", r"cpuid: cpu 1 signature 0x", r"monitor: no online cpu 'x'",
                 r"monitor:   level 1 core shift 2 count 4",
                 r"monitor:   fields smt 0 core 2 die 0 bits, package from bit 2 \(leaf 0xb\)",
                 r"monitor: no online cpu '77'", r"monitor: MADT revision \d+, .* 4 processor entries",
                 r"monitor: +lapic +apic 3 uid 3 enabled", r"ioapic 0 pin 4 \(gsi 4\): vector 0x[0-9a-f]+ dest apic 0",
                 r"monitor: call-function round trip to cpu 2: \d+ ns", r"monitor: usage: ipi <cpu>",
                 r"monitor: no online cpu '9'", r"ktest: boot \.\.\. PASS", r"monitor: no test or benchmark 'nosuch'",
                 r"bench: ipi cpus=4 ", r"ktest: bench_ipi \.\.\. PASS", r"monitor: unknown command 'frobnicate'",
                 r"hotplug: cpu 2 offline in \d+ us: \d+ queued thread\(s\) moved, \d+ request\(s\) answered on its "
                 r"way out; parked with INIT \(3 cpus online\)",
                 r"monitor: +2 +2 +\S+ +no ", r"monitor: 3 of 4 cpus online \(1 taken offline, 0 brought online",
                 r"WARN: hotplug: cpu 2 is not online; nothing to take offline",
                 r"WARN: hotplug: cpu 0 stays online: it is the boot CPU", r"monitor: usage: offline <cpu>",
                 r"WARN: hotplug: no cpu 9 \(this machine has cpus 0-3\)", r"cpu2: cpu 2: online \(apic 2, xapic\)",
                 r"hotplug: cpu 2 online in \d+ us \(4 cpus online\)", r"hotplug: cpu 2 is already online",
                 r"monitor: halting every cpu"],
         exit="pass", timeout=120)

# A CPU that maxcpus= left stopped at boot can be brought online later, and
# taken offline again; with maxcpus=1 no trampoline was set up, and `online`
# says so instead of trying.
for arch in ("i686", "amd64"):
    case(f"{arch}.monitor.online-after-maxcpus", arch=arch, smp="4", cmdline="maxcpus=2", token=False,
         script=[(r"cohort> ", "online 3\r"), (r"hotplug: cpu 3 online in", "offline 3\r"),
                 (r"hotplug: cpu 3 offline in", "online 2\r"), (r"hotplug: cpu 2 online in", "cpus\r"),
                 (r"monitor: 3 of 4 cpus online", "halt\r")],
         expect=[r"cpu 3: apic 3 enabled ap not started \(maxcpus\)", r"smp: 2/4 cpus online",
                 r"cpu3: cpu 3: online \(apic 3, xapic\)", r"hotplug: cpu 3 online in \d+ us \(3 cpus online\)",
                 r"hotplug: cpu 3 offline in \d+ us", r"hotplug: cpu 2 online in \d+ us \(3 cpus online\)",
                 r"monitor: 3 of 4 cpus online \(1 taken offline, 2 brought online since boot\)",
                 r"monitor: halting every cpu"],
         online="2/4", exit="pass")
case("amd64.monitor.online-without-trampoline", arch="amd64", smp="4", cmdline="maxcpus=1", token=False,
     script=[(r"cohort> ", "online 2\r"), (r"cannot be started", "halt\r")],
     expect=[r"WARN: smp: cpu 2 cannot be started: no AP trampoline was set up at boot", r"monitor: halting every cpu"],
     forbid=[r"hotplug: cpu 2 online in"], online="1/4", exit="pass")
