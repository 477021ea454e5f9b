"""CPU discovery (acpi.cpp, mp.cpp, cputable.cpp): the source used, the count
found, dense kernel ids over APIC-id gaps, disabled entries, the MP-table
path with and without its SeaBIOS blind spot, maxcpus=."""
import madt
from bootcase import case

SMP_TESTS = "test=cpu_number,smp,bringup_release"
PASSED = [r"ktest: cpu_number \.\.\. PASS", r"ktest: smp \.\.\. PASS"]


def found(n, source):
    return rf"cpus: found {n} \(source={source}\)"


for arch in ("i686", "amd64"):
    case(f"{arch}.discover.acpi4", arch=arch, smp="4", cmdline=SMP_TESTS,
         expect=[found(4, "acpi"), r"cpu 3: apic 3 enabled ap will start",
                 r"ioapic 0: addr 0xfec00000 gsi 0", r"override: irq 0 -> gsi 2"] + PASSED)
    # Two packages of three cores: APIC ids 0,1,2,4,5,6; kernel ids stay 0..5.
    case(f"{arch}.discover.gaps", arch=arch, smp="6,sockets=2,cores=3", cmdline=SMP_TESTS,
         expect=[found(6, "acpi"), r"cpu 2: apic 2 ", r"cpu 3: apic 4 ", r"cpu 5: apic 6 ",
                 r"smp: 6/6 cpus online"] + PASSED,
         forbid=[r"cpu 6: apic"])
    # Two CPUs present, two more listed disabled: listed, never started.
    case(f"{arch}.discover.disabled", arch=arch, smp="2,maxcpus=4", cmdline=SMP_TESTS,
         expect=[found(2, "acpi"), r"cpu -: apic 2 disabled ap not usable",
                 r"cpu -: apic 3 disabled ap not usable", r"smp: 2/2 cpus online"] + PASSED)
    # No ACPI at all: SeaBIOS's MP table, one package per CPU so it lists them all.
    case(f"{arch}.discover.mp4", arch=arch, machine="pc,acpi=off", smp="4,sockets=4,cores=1",
         cmdline=SMP_TESTS, expect=[found(4, "mp"), r"smp: 4/4 cpus online"] + PASSED)
    # SeaBIOS lists the first logical CPU of each package only: one, and a hint why.
    case(f"{arch}.discover.mp-hint", arch=arch, machine="pc,acpi=off", smp="4", cmdline=SMP_TESTS,
         expect=[found(1, "mp"), r"WARN: cpus: the MP table lists 1 CPU\(s\) but CPUID reports 4",
                 r"sockets=N,cores=1"] + PASSED, online="1/1")
    # acpi=off on the command line forces the MP tables on an ACPI machine.
    case(f"{arch}.discover.acpi-off", arch=arch, smp="4,sockets=4,cores=1",
         cmdline="acpi=off " + SMP_TESTS, expect=[found(4, "mp"), r"smp: 4/4 cpus online"] + PASSED)
    case(f"{arch}.discover.q35-8", arch=arch, machine="q35", smp="8", cmdline=SMP_TESTS,
         expect=[found(8, "acpi"), r"smp: 8/8 cpus online"] + PASSED)
    # maxcpus= counts the BSP; the rest are listed as not started.
    case(f"{arch}.discover.maxcpus1", arch=arch, smp="4", cmdline="maxcpus=1 " + SMP_TESTS,
         expect=[found(4, "acpi"), r"cpus: starting 1 of 4", r"smp: 1/4 cpus online",
                 r"cpu 1: apic 1 enabled ap not started \(maxcpus\)"] + PASSED)
    case(f"{arch}.discover.maxcpus3", arch=arch, smp="4", cmdline="maxcpus=3 " + SMP_TESTS,
         expect=[found(4, "acpi"), r"cpus: starting 3 of 4", r"smp: 3/4 cpus online",
                 r"cpu 3: apic 3 enabled ap not started \(maxcpus\)"] + PASSED)

case("amd64.discover.uefi4", arch="amd64", firmware="uefi", machine="q35", smp="4",
     cmdline=SMP_TESTS, expect=[found(4, "acpi"), r"smp: 4/4 cpus online"] + PASSED, timeout=90)

# Hand-made MADTs (tests/boot/madt.py) in place of QEMU's, loaded by GRUB's
# `acpi` command before the kernel (docs/testing.md): tables no QEMU machine
# builds. The MADT line shows the kernel read the replacement, not QEMU's.
REPLACE = "acpi --exclude=APIC /boot/madt.aml"
OURS = r"acpi: MADT revision 6 \(COHORT TESTMADT\)"
LINT_TESTS = SMP_TESTS + ",lint_nmi"
# Every processor entry disabled: the MP table names the CPUs (issue 7);
# one package per CPU, so SeaBIOS's MP table lists all four.
case("amd64.discover.madt-no-cpu", arch="amd64", smp="4,sockets=4,cores=1", cmdline=LINT_TESTS,
     files={"madt.aml": madt.no_enabled_cpu(4)}, grub=[REPLACE],
     expect=[OURS, r"WARN: cpus: the MADT lists no enabled CPU; trying the MP table", found(4, "mp"),
             r"ktest: lint_nmi \.\.\. PASS 4 cpus, 0 wrong; lint0 nmi on cpus none; lint1 nmi on cpus 0-3"]
     + PASSED, forbid=[r"source=acpi", r"no usable ACPI MADT and no MP table"])
# Local APIC NMI entries per processor, LINT1 on uids 0 and 2, LINT0 on 1 and
# 3, plus an x2APIC NMI entry for uid 255, one absent processor (issue 11).
for arch in ("i686", "amd64"):
    case(f"{arch}.discover.madt-nmi", arch=arch, smp="4", cmdline=LINT_TESTS,
         files={"madt.aml": madt.per_cpu_nmi(4)}, grub=[REPLACE],
         expect=[OURS, found(4, "acpi"),
                 r"ktest: lint_nmi \.\.\. PASS 4 cpus, 0 wrong; lint0 nmi on cpus 1,3; lint1 nmi on cpus 0,2"]
         + PASSED)

# GRUB's `acpi` without --exclude lists its MADT before QEMU's: the first is
# read, the second named in one warning.
case("amd64.discover.madt-second", arch="amd64", smp="4", cmdline=SMP_TESTS,
     files={"madt.aml": madt.like_qemu(4)}, grub=["acpi /boot/madt.aml"],
     expect=[OURS, r"WARN: acpi: a second MADT \(BOCHS  BXPC    \) at 0x[0-9a-f]+; only the first is read",
             found(4, "acpi")] + PASSED, count={r"a second MADT": 1})
