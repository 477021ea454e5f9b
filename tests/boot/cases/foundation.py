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
