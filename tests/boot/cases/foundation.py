"""The foundation's boot tests: each arch boots under SeaBIOS, amd64 under OVMF,
an exception ends in a report and the panic exit, and a malformed option is
reported without stopping the boot."""
from bootcase import BANNER, case

CPUID = r"cpuid: vendor \S+"            # the first row of the CPUID table
BOOT_PASSED = [r"ktest: boot \.\.\. PASS", r"ktest: 1 passed, 0 failed"]

for arch in ("i686", "amd64"):
    case(f"{arch}.bios.boot", arch=arch, cmdline="test=boot",
         expect=[BANNER.format(arch=arch), CPUID] + BOOT_PASSED,
         labels=["smoke"])

case("amd64.uefi.boot", arch="amd64", firmware="uefi", machine="q35", cmdline="test=boot",
     expect=[BANNER.format(arch="amd64"), CPUID] + BOOT_PASSED,
     timeout=90, labels=["smoke"])

# ud2 on purpose: the report names the vector, then the kernel panics. It never
# reaches the end of its tests, so there is no token echo.
for arch in ("i686", "amd64"):
    case(f"{arch}.bios.exception", arch=arch, cmdline="test=exception",
         expect=[BANNER.format(arch=arch), r"EXCEPTION #UD", r"PANIC:"],
         exit="panic", token=False)

# A bad value is one warning, the default is used, and the boot goes on.
case("amd64.bios.cmdline-malformed", arch="amd64", cmdline="maxcpus=abc test=boot",
     expect=[r"WARN: cmdline: maxcpus=abc"] + BOOT_PASSED)

# Other CPU models. Older ones than a build needs stop at once with one line
# that names the CPU's vendor and the missing feature (boot.asm, before any
# instruction that needs it); the others boot two CPUs.
LACKING = r"Cohort: this CPU \(\w+\) lacks {what}; .*; halted\."
for arch, cpu, what in (("i686", "486", r"the TSC \(CPUID\.01H:EDX\[4\]\)"),
                        ("i686", "pentium", r"CMOV \(CPUID\.01H:EDX\[15\]\)"),
                        ("amd64", "qemu32", r"long mode \(CPUID\.80000001H:EDX\[29\]\)"),
                        ("amd64", "athlon", r"long mode \(CPUID\.80000001H:EDX\[29\]\)")):
    case(f"{arch}.cpu.{cpu}-refused", arch=arch, cpu=cpu, cmdline="test=boot",
         expect=[LACKING.format(what=what)], forbid=[r"cpu0: "], exit=None, token=False, timeout=30, online="")
for arch, models in (("i686", ("pentium2", "athlon", "n270", "coreduo")),
                     ("amd64", ("core2duo", "Opteron_G1", "phenom", "Denverton", "EPYC"))):
    for cpu in models:
        case(f"{arch}.cpu.{cpu}", arch=arch, smp="2", cpu=cpu, cmdline="test=boot,smp,cpu_number,ipi",
             expect=[BANNER.format(arch=arch), CPUID, r"smp: 2/2 cpus online", r"ktest: ipi \.\.\. PASS",
                     r"ktest: 4 passed, 0 failed"])
