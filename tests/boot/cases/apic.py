"""The local APIC in each mode, runlevels, the timer and the IOAPIC
(lapic.cpp, runlevel*, timer.cpp, ioapic.cpp)."""
from bootcase import case

# Timing tests run under -icount: virtual time (timers, TSC) then follows the
# instructions executed, not the host's load. QEMU cannot combine it with
# x2APIC ("Bad icount read" on the timer MSRs), so x2APIC cases run without it
# and leave out the periodic-rate test.
ICOUNT = ["-icount", "shift=auto"]

APIC_TESTS = "test=lapic_timer,oneshot,runlevel,esr,cpu_number,smp,bringup_release"
PASSED = [rf"ktest: {t} \.\.\. PASS" for t in ("lapic_timer", "oneshot", "runlevel", "esr", "cpu_number", "smp")]

for arch in ("i686", "amd64"):
    # Under -icount a 2 ms one-shot fired 10-120 us late; late_bound_us=5000
    # still fails a count that converts microseconds wrong by a factor.
    case(f"{arch}.apic.xapic", arch=arch, smp="2", cmdline="late_bound_us=5000 " + APIC_TESTS, qemu_args=ICOUNT,
         expect=[r"lapic: mode xapic", r"runlevel \.\.\. PASS .*tpr path: xapic",
                 r"esr 0x80 illegal-register-address"] + PASSED)
    # i686 in x2APIC mode is the seed's case: every TPR write is a WRMSR to 0x808,
    # legal only on a CPU that has switched itself to x2APIC. APs included.
    # No -icount here: tsc_rate checks the TSC's figure against the PM timer
    # on a host as busy as it is.
    case(f"{arch}.apic.x2apic", arch=arch, smp="4", cpu="qemu64,+x2apic",
         cmdline=APIC_TESTS.replace("lapic_timer,", "tsc_rate,"),
         expect=[r"lapic: mode x2apic", r"online \(apic 3, x2apic\)", r"ktest: tsc_rate \.\.\. PASS",
                 r"runlevel \.\.\. PASS .*tpr path: x2apic", r"#GP caught"] + PASSED[1:],
         needs_x2apic=True)
    case(f"{arch}.apic.nox2apic", arch=arch, smp="2", cpu="qemu64,+x2apic",
         cmdline="nox2apic test=cpu_number,smp,bringup_release",
         expect=[r"lapic: mode xapic \(cpuid x2apic yes, nox2apic given\)", r"online \(apic 1, xapic\)",
                 r"ktest: smp \.\.\. PASS"], needs_x2apic=True)
    # Typing on the serial console reaches the kernel through IRQ 4 and the IOAPIC.
    case(f"{arch}.apic.serial-irq", arch=arch, smp="2", cmdline="test=serial_rx",
         script=[(r"ktest: serial_rx: type a line", "hello cohort\r")],
         expect=[r"ioapic: irq 4 -> gsi 4 \(ioapic 0 pin 4\) -> vector 0x34 on cpu 0",
                 r'received "hello cohort"', r"ktest: serial_rx \.\.\. PASS"])

# The boot CPU's xAPIC ID register rewritten to 5 before the tables are read,
# as firmware may (SDM Vol. 3A 10.4.6): the kernel goes by the register, so
# IPIs and the serial interrupt reach it. QEMU's MADT still lists it as
# apic 0: that entry is a CPU nobody answers for, reported once.
for arch in ("i686", "amd64"):
    case(f"{arch}.apic.bsp-id-rewritten", arch=arch, smp="2",
         cmdline="bsp_id_rewrite=5 ap_timeout_ms=1000 test=cpu_number,ipi,serial_rx",
         script=[(r"ktest: serial_rx: type a line", "hello cohort\r")],
         expect=[r"WARN: lapic: the boot CPU's xAPIC ID register says 5, CPUID 0: firmware changed it",
                 r"lapic: cpu 0 apic id 5 mode xapic", r"ioapic: irq 4 -> gsi 4 .* on cpu 0",
                 r"ERROR: cpu 1: apic 0 did not come online within 1000 ms", r"cpu 2: online \(apic 1, xapic\)",
                 r"smp: 2/3 cpus online", r"ktest: cpu_number: cpu 0 reported kid 0 apic 5 \(table apic 5\) ok",
                 r"ktest: 3 passed, 0 failed"], online="2/3",
         allow=[r"ERROR: cpu 1: apic 0 did not come online"],
         forbid=[r"LAPIC says apic id \d+ after its mode switch"])

# The TSC's rate from the PIT's count across the boot's first steps (timer.cpp's
# early window). A fixed -icount shift makes virtual time follow instructions
# alone (shift=auto follows the host's pace: on a loaded host those steps
# outlasted the 54.9 ms count): 8 ns each, the steps take 4 to 30 ms. The rate
# must then give the LAPIC timer's rate that the PM timer confirms, and agree
# with the PM timer within the error its line stated (tsc_rate).
EARLY_TSC = r"timer: tsc \d+\.\d+ MHz \(PIT channel 2 across the boot's first \d+\.\d ms: within \d+ ppm\)"
for arch in ("i686", "amd64"):
    case(f"{arch}.timer.early-window", arch=arch, smp="1", cmdline="test=lapic_timer,oneshot,tsc_rate",
         qemu_args=["-icount", "shift=3"],
         expect=[EARLY_TSC, r"ktest: lapic_timer \.\.\. PASS .*by the PM timer", r"ktest: tsc_rate \.\.\. PASS",
                 r"ktest: 3 passed, 0 failed"],
         forbid=[r"timer: no early figure"])

# No PIT (QEMU's pit=off): channel 2's output never goes low, so no window
# is measured; the TSC rate comes from the ACPI PM timer instead of an absurd
# figure, and every timer after it works. Once under -icount with the rate
# test, once multi-threaded in x2APIC mode.
NO_PIT = [r"WARN: timer: the PIT does not count", r"timer: tsc \d+\.\d+ MHz \(ACPI PM timer, best of 3 x 2 ms\)"]
for arch in ("i686", "amd64"):
    case(f"{arch}.apic.no-pit", arch=arch, smp="2", machine="pc,pit=off",
         cmdline="test=lapic_timer,oneshot,sleep,smp,tsc_rate", qemu_args=ICOUNT,
         expect=NO_PIT + [r"ktest: lapic_timer \.\.\. PASS .*by the PM timer", r"ktest: tsc_rate \.\.\. PASS",
                          r"ktest: 5 passed, 0 failed"])
case("amd64.apic.no-pit-x2apic", arch="amd64", smp="4", machine="q35,pit=off", cpu="qemu64,+x2apic",
     cmdline="test=oneshot,sleep,smp,threads", expect=NO_PIT + [r"ktest: 4 passed, 0 failed"], needs_x2apic=True)

# A CPU whose CPUID has no APIC: one clear error, then the boot CPU alone,
# with threads but no APs, IPIs or LAPIC timer (QEMU still emulates the APIC
# device, so only the kernel's restraint is tested here).
for arch in ("i686", "amd64"):
    case(f"{arch}.apic.no-apic", arch=arch, smp="2", cpu="qemu64,-apic", cmdline="test=boot,threads",
         expect=[r"ERROR: lapic: CPUID says this CPU has no local APIC", r"smp: 1/2 cpus online",
                 r"ktest: threads \.\.\. PASS", r"ktest: 2 passed, 0 failed"],
         forbid=[r"lapic: mode x"], online="1/2",
         allow=[r"ERROR: (lapic: CPUID says this CPU has no local APIC|smp: no local APIC to send)"])

# The ACPI SCI (test=sci, src/ktest/sci_tests.cpp): the only level-triggered
# IOAPIC route of the boot tests, through QEMU's override irq 9 -> gsi 9
# level active-high. Two PM timer overflows, 2.34 s apart: each case runs
# about 5 s. PIIX4 (pc) under -icount; ICH9 (q35) with 4 vCPUs on the 2 host
# cores and no -icount, the handler on the last one. Without ACPI the test
# must say it does not apply, and fail.
SCI_PASS = [r"acpi: SCI irq 9: SMI_CMD 0xb2", r"ioapic: irq 9 -> gsi 9 \(ioapic 0 pin 9\) -> vector 0x39 on cpu \d+, high level",
            r"ktest: sci \.\.\. PASS .*irq 9 -> gsi 9 level active-high, 2 events, 2 interrupts, remote IRR seen"]
case("i686.apic.sci-pc", arch="i686", smp="2", cmdline="test=sci", qemu_args=ICOUNT,
     expect=[r"ktest: sci \.\.\. PASS ACPI mode entered"] + SCI_PASS)
case("amd64.apic.sci-q35", arch="amd64", smp="4", machine="q35", cmdline="test=sci",
     expect=[r"vector 0x39 on cpu 3, high level"] + SCI_PASS)
case("amd64.apic.sci-noacpi", arch="amd64", smp="2", machine="pc,acpi=off", cmdline="test=sci", exit="fail",
     expect=[r"ktest: sci \.\.\. FAIL not applicable: no FADT"], forbid=[r"ktest: sci \.\.\. PASS"])
