"""Lab 04, the local APIC and runlevels: graded tests (tools/grade --lab 04).

In this lab's tree the APs are never started (that is lab 05): every boot runs
the boot CPU alone, in xAPIC and x2APIC mode on both arches. The BSP switches
its own APIC, raises and lowers its runlevel against its LAPIC timer (CR8 on
amd64, the TPR by MMIO or by MSR 0x808 on i686), and sends itself fixed IPIs
through the ICR. What QEMU cannot show is graded on the host, where the
kernel's lapic.cpp and i686 runlevel backend run against a fake CPU
(tests/unit/lab04_fakehw/): the IA32_APIC_BASE steps, the ICR write order, the
delivery-status poll and its timeout, the fence before the x2APIC ICR write,
32-bit destinations, and an AP that has not switched yet.
"""
from labgrade import boot, passed, test, unit

# xAPIC boots run under -icount (the timer's rate then does not depend on the
# host's load); QEMU cannot combine it with x2APIC, so those boots leave out
# the periodic-rate test.
# late_bound_us: under -icount a 2 ms one-shot fires 10-120 us late; a count
# scaled wrong fires later than 5 ms more (oneshot, src/ktest/apic_tests.cpp).
xapic = boot("amd64-xapic", arch="amd64", cmdline="late_bound_us=5000 test=lapic_timer,oneshot,runlevel,esr,selfipi",
             icount=True)
x2apic = boot("amd64-x2apic", arch="amd64", cpu="qemu64,+x2apic", cmdline="test=oneshot,runlevel,esr,selfipi")
i686_xapic = boot("i686-xapic", arch="i686", cmdline="test=runlevel,esr,selfipi", icount=True)
i686_x2apic = boot("i686-x2apic", arch="i686", cpu="qemu32,+x2apic", cmdline="test=runlevel,selfipi")
# OVMF hands over in x2APIC mode when a CPU has an APIC id above 255 (here a
# second socket's CPU, id 256, never started); nox2apic must step back to xAPIC.
# OVMF takes 30 s here on a quiet host and over 90 s on a loaded one: a long timeout.
leave = boot("amd64-uefi-leave-x2apic", arch="amd64", firmware="uefi", machine="q35", cpu="qemu64,+x2apic",
             smp="1,sockets=2,cores=256,maxcpus=512",
             qemu_args=["-device", "qemu64-x86_64-cpu,socket-id=1,core-id=0,thread-id=0"],
             cmdline="nox2apic test=runlevel,esr,selfipi", timeout=240)


def runlevel(mode, path):
    return rf"ktest: runlevel \.\.\. PASS while raised: 0, after lowering: 1 \(tpr path: {mode}; runlevel via {path}\)"


test("xapic_amd64", xapic, 10, what="xAPIC: the BSP's APIC by MMIO; fixed IPIs to itself through the ICR pair",
     expect=[r"lapic: mode xapic ", r"lapic: cpu 0 apic id 0 mode xapic$", passed("selfipi") + " xapic"])
test("x2apic_amd64", x2apic, 10, what="x2APIC: the BSP switches itself; fixed IPIs to itself through the ICR MSR",
     expect=[r"lapic: mode x2apic ", r"lapic: cpu 0 apic id 0 mode x2apic$", passed("selfipi") + " x2apic"])
test("timer", xapic, 5, what="the LAPIC timer, periodic and one-shot, through lapic_read/lapic_write",
     expect=[passed("lapic_timer"), passed("oneshot")])
test("runlevel_amd64", x2apic, 10, what="CR8 holds the timer back until the level is lowered",
     expect=[runlevel("x2apic", "cr8"), passed("oneshot")])
test("runlevel_i686_xapic", i686_xapic, 10, what="i686: the TPR through MMIO",
     expect=[runlevel("xapic", "tpr mmio")])
test("runlevel_i686_x2apic", i686_x2apic, 10, what="i686: the TPR through MSR 0x808",
     expect=[runlevel("x2apic", "tpr msr"), passed("selfipi") + " x2apic"])
test("esr", x2apic, 5, what="an APIC error provoked on purpose (x2APIC: a reserved MSR) is reported by name",
     expect=[r"ktest: esr \.\.\. PASS reserved MSR write: #GP caught; esr 0x[0-9a-f]+ \S"])
test("ipi_self_xapic_i686", i686_xapic, 5, what="i686: fixed IPIs to itself through the xAPIC ICR pair",
     expect=[passed("selfipi") + " xapic", passed("esr")])
test("leave_x2apic", leave, 5, what="UEFI left x2APIC on: nox2apic goes back to xAPIC",
     expect=[r"lapic: firmware left x2APIC on; nox2apic: leaving it through the disabled state",
             r"lapic: cpu 0 apic id 0 mode xapic$", runlevel("xapic", "cr8"), passed("esr"),
             passed("selfipi") + " xapic"],
     allow=[r"ERROR: cpu \d+: apic id 256 needs x2APIC mode, which is off; not started"])
unit("mode_switch_unit", 10, what="IA32_APIC_BASE: every start state, x2APIC -> xAPIC through disabled, mode recorded last",
     cases=["lab04_lapic/mode_switch_from_every_state", "lab04_lapic/mode_switch_leaves_x2apic_through_disabled",
            "lab04_lapic/mode_recorded_after_the_switch"])
unit("icr_xapic_unit", 10, what="xAPIC ICR: high then low, wait for delivery, give up after 100 ms, no id above 255",
     cases=["lab04_lapic/xapic_icr_high_then_low", "lab04_lapic/xapic_waits_for_delivery",
            "lab04_lapic/xapic_poll_gives_up_after_100ms", "lab04_lapic/xapic_refuses_ids_above_255"])
unit("icr_x2apic_unit", 5, what="x2APIC ICR: a fence, then one 64-bit write; 32-bit destinations",
     cases=["lab04_lapic/x2apic_one_write_after_a_fence", "lab04_lapic/x2apic_32bit_destinations"])
unit("tpr_own_mode_unit", 5, what="i686 TPR by this CPU's own mode; untouched before it has one",
     cases=["lab04_lapic/tpr_by_this_cpus_own_mode", "lab04_lapic/tpr_untouched_before_this_cpu_has_a_mode"])
