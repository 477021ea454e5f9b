"""Lab 03, finding the CPUs: graded tests (tools/grade --lab 03).

ACPI MADT boots on pc and q35, MP table boots with QEMU's ACPI off (SeaBIOS
then lists one CPU per socket, hence sockets=N,cores=1) or with acpi=off on
the command line. ap_timeout_ms is short so that a CPU wrongly listed costs
two seconds, not ten, and xAPIC boots run under -icount so that a busy host
cannot make a CPU miss that time.
"""
from labgrade import boot, passed, test

T = "ap_timeout_ms=2000 "
madt4 = boot("amd64-madt-4cpus", arch="amd64", smp="4", cmdline=T + "test=smp,cpu_number", icount=True)
gaps = boot("i686-madt-gaps", arch="i686", smp="6,sockets=2,cores=3", cmdline=T + "test=smp,cpu_number",
            icount=True)
hotplug = boot("amd64-madt-hotplug", arch="amd64", smp="2,maxcpus=4", cmdline=T + "test=smp", icount=True)
# One AP with APIC id 256: QEMU describes it with a Processor Local x2APIC entry.
x2 = boot("amd64-madt-x2apic", arch="amd64", machine="q35", cpu="qemu64,+x2apic",
          smp="1,sockets=2,cores=256,maxcpus=512",
          qemu_args=["-device", "qemu64-x86_64-cpu,socket-id=1,core-id=0,thread-id=0"],
          cmdline=T + "test=smp,cpu_number")
mp4 = boot("amd64-mp-4cpus", arch="amd64", machine="pc,acpi=off", smp="4,sockets=4,cores=1",
           cmdline=T + "test=smp,cpu_number", icount=True)
mp_off = boot("i686-mp-acpi-off", arch="i686", smp="4,sockets=4,cores=1", cmdline=T + "acpi=off test=smp",
              icount=True)


def cpus(pairs):
    return [rf"cpu {k}: apic {a} enabled (bsp|ap) will start$" for k, a in pairs]


test("madt_cpus", madt4, 15, what="4 Processor Local APIC entries, all started",
     expect=[r"cpus: found 4 \(source=acpi\)$"] + cpus([(0, 0), (1, 1), (2, 2), (3, 3)])
     + [passed("smp"), passed("cpu_number")])
test("madt_ioapic_overrides", madt4, 10, what="the IOAPIC and interrupt source override entries",
     expect=[r"ioapic 0: addr 0xfec00000 gsi 0$", r"override: irq 0 -> gsi 2 high edge$",
             r"override: irq 9 -> gsi 9 high level$"])
test("madt_apic_gaps_i686", gaps, 15, what="2 sockets of 3 cores: APIC ids 0-2 and 4-6",
     expect=[r"cpus: found 6 \(source=acpi\)$"] + cpus([(0, 0), (2, 2), (3, 4), (5, 6)])
     + [r"ktest: smp \.\.\. PASS 6 of 6 online", passed("cpu_number")])
test("madt_disabled", hotplug, 10, what="entries of absent CPUs (-smp 2,maxcpus=4) are not CPUs to start",
     expect=[r"cpus: found 2 \(source=acpi\)$", r"ktest: smp \.\.\. PASS 2 of 2 online"],
     forbid=[r"cpu [23]: apic"])
test("madt_x2apic", x2, 15, what="a Processor Local x2APIC entry: APIC id 256",
     expect=[r"cpus: found 2 \(source=acpi\)$", r"cpu 1: apic 256 enabled ap will start$",
             r"cpu 1: online \(apic 256, x2apic\)", passed("smp"), passed("cpu_number")])
test("mp_cpus", mp4, 20, what="no ACPI: processor, IOAPIC and interrupt entries of the MP table",
     expect=[r"cpus: found 4 \(source=mp\)$"] + cpus([(0, 0), (1, 1), (2, 2), (3, 3)])
     + [r"ioapic 0: addr 0xfec00000 gsi 0$", r"override: irq 0 -> gsi 2 ",
        r"ktest: smp \.\.\. PASS 4 of 4 online", passed("cpu_number")])
test("mp_acpi_off_i686", mp_off, 15, what="acpi=off: the MP table even where ACPI exists (i686)",
     expect=[r"discover: acpi=off", r"cpus: found 4 \(source=mp\)$", r"ktest: smp \.\.\. PASS 4 of 4 online"])
