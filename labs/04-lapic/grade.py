"""Lab 04, the local APIC and runlevels: graded tests (tools/grade --lab 04).

xAPIC and x2APIC on both arches: every CPU switches its own APIC, the
runlevel reaches the hardware (CR8 on amd64, the TPR by MMIO or MSR on i686),
IPIs reach an APIC id above 255, and firmware that left x2APIC on is left
through the disabled state when nox2apic asks for xAPIC.
"""
from labgrade import boot, passed, test

# xAPIC boots run under -icount (the timer's rate then does not depend on the
# host's load); QEMU cannot do that with x2APIC, so those boots leave out the
# periodic-rate test and wait long for IPI answers.
TCG = "ipi_timeout_ms=60000 spin_timeout_ms=30000 "
ALL = "test=cpu_number,smp,lapic_timer,oneshot,runlevel,ipi,esr"
xapic4 = boot("amd64-xapic-4cpus", arch="amd64", smp="4", cmdline=ALL, icount=True)
x2apic4 = boot("amd64-x2apic-4cpus", arch="amd64", smp="4", cpu="qemu64,+x2apic",
               cmdline=TCG + ALL.replace("lapic_timer,", ""))
i686_xapic = boot("i686-xapic-2cpus", arch="i686", smp="2", cmdline="test=cpu_number,runlevel,esr,ipi", icount=True)
i686_x2apic = boot("i686-x2apic-4cpus", arch="i686", smp="4", cpu="qemu32,+x2apic",
                   cmdline=TCG + "test=cpu_number,smp,runlevel,ipi")
# One AP with APIC id 256 (a Processor Local x2APIC entry): only x2APIC reaches it.
APIC256 = dict(machine="q35", cpu="qemu64,+x2apic", smp="1,sockets=2,cores=256,maxcpus=512",
               qemu_args=["-device", "qemu64-x86_64-cpu,socket-id=1,core-id=0,thread-id=0"])
apic256 = boot("amd64-apic-256", arch="amd64", cmdline=TCG + "test=cpu_number,smp,ipi", **APIC256)
# OVMF turns x2APIC on for APIC ids above 255; nox2apic must step back through "disabled".
leave = boot("amd64-uefi-leave-x2apic", arch="amd64", firmware="uefi", cmdline="nox2apic test=runlevel,esr",
             timeout=90, **APIC256)


def online(k, mode):
    return rf"cpu {k}: online \(apic {k}, {mode}\)"


test("xapic_amd64", xapic4, 10, what="xAPIC: the BSP and each AP in xAPIC mode, each reading its own id",
     expect=[r"lapic: mode xapic ", r"lapic: cpu 0 apic id 0 mode xapic$"] + [online(k, "xapic") for k in (1, 2, 3)]
     + [passed("cpu_number"), passed("smp")])
test("x2apic_amd64", x2apic4, 15, what="x2APIC: every AP switches itself before touching its APIC",
     expect=[r"lapic: mode x2apic ", r"lapic: cpu 0 apic id 0 mode x2apic$"] + [online(k, "x2apic") for k in (1, 2, 3)]
     + [passed("cpu_number"), passed("smp")])
test("timer", xapic4, 10, what="the LAPIC timer, periodic and one-shot, through lapic_read/lapic_write",
     expect=[passed("lapic_timer"), passed("oneshot")])
test("runlevel_amd64", x2apic4, 10, what="CR8 holds the timer back until the level is lowered",
     expect=[r"ktest: runlevel \.\.\. PASS while raised: 0, after lowering: 1"])
test("runlevel_i686_xapic", i686_xapic, 10, what="i686: the TPR through MMIO",
     expect=[r"ktest: runlevel \.\.\. PASS .*\(tpr path: xapic\)", passed("cpu_number")])
test("runlevel_i686_x2apic", i686_x2apic, 15, what="i686: the TPR through MSR 0x808, on every CPU once it switched",
     expect=[r"ktest: runlevel \.\.\. PASS .*\(tpr path: x2apic\)", passed("cpu_number"), passed("smp")]
     + [online(k, "x2apic") for k in (1, 2, 3)])
test("esr", x2apic4, 5, what="an APIC error provoked on purpose (x2APIC: a reserved MSR) is reported by name",
     expect=[r"ktest: esr \.\.\. PASS reserved MSR write: #GP caught; esr 0x[0-9a-f]+ \S"])
test("ipi_xapic_i686", i686_xapic, 5, what="fixed IPIs through the xAPIC ICR pair",
     expect=[passed("ipi"), passed("esr")])
test("ipi_apic_256", apic256, 10, what="INIT, SIPI and fixed IPIs to APIC id 256 (32-bit x2APIC destination)",
     expect=[r"cpu 1: online \(apic 256, x2apic\)", passed("cpu_number"), passed("smp"), passed("ipi")])
test("leave_x2apic", leave, 10, what="firmware left x2APIC on: back to xAPIC through the disabled state",
     expect=[r"lapic: firmware left x2APIC on; nox2apic: leaving it through the disabled state",
             r"lapic: cpu 0 apic id 0 mode xapic$", passed("runlevel"), passed("esr")])
