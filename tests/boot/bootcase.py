"""Boot-test cases: what one boot of Cohort must print and how it must end.

A file in tests/boot/cases/ registers cases by calling case():

    from bootcase import case, BANNER
    case("amd64.bios.boot", arch="amd64", cmdline="test=boot",
         expect=[BANNER.format(arch="amd64"), r"cpuid: vendor"])

boot.py --list prints every registered case; CMake turns each into the CTest
test boot.<name>.
"""
import dataclasses
import glob
import os
import re
import runpy

# What the kernel writes to isa-debug-exit (port 0xf4) and the QEMU exit status
# that follows: QEMU exits with (value << 1) | 1 (PITFALLS).
EXITS = {"pass": 0x10, "fail": 0x11, "panic": 0x12}
STATUS = {name: (code << 1) | 1 for name, code in EXITS.items()}  # pass 33, fail 35, panic 37

# The boot banner; printed once per boot, so a second one means the machine reset.
BANNER = r"Cohort kernel {arch} booting"
ANY_BANNER = r"Cohort kernel \S+ booting"

# Lines no boot may print, unless the case says otherwise (allow_panic, allow).
PANIC_LINES = [r"PANIC", r"EXCEPTION"]
FORBIDDEN = PANIC_LINES + [
    r"WARN: (\w+: )?unexpected interrupt",      # trap.cpp: "WARN: trap: ..."
    r"APIC errors during bring-up",              # smpboot.cpp: the ESR after INIT/SIPI
    r"APIC id missing from the table",           # an AP woke that the BSP did not start
    r"NMI\(s\) that nobody asked for",           # ipi.cpp: an unrequested NMI
    r"ERROR: (?!ktest: log_lines: an error$)",   # any error but the one log_lines prints on purpose
    r"did not count; assuming",                  # timer.cpp: a clock fell back to a guessed rate
    r"woken first, did not reach its idle loop", # smpboot.cpp: wake_online_aps()'s bound ran out
]

ARCHES = ("i686", "amd64")
FIRMWARES = ("bios", "uefi")
EMULATORS = ("qemu", "bochs")
BOCHS_MAX_CPUS = 16  # Bochs 2.7 runs out of timer slots beyond (tests/boot/bochs.py)


@dataclasses.dataclass
class Case:
    """One boot: the machine, the kernel command line and the expected output."""
    name: str
    arch: str = "amd64"
    cmdline: str = ""
    smp: str = "1"                 # QEMU -smp string: "4", "6,sockets=2,cores=3"
    machine: str = "pc"            # QEMU -machine: "pc", "q35", "pc,acpi=off"
    cpu: str = None                # QEMU -cpu model; None leaves QEMU's default
    memory: str = "128M"
    firmware: str = "bios"         # "bios" (SeaBIOS) or "uefi" (OVMF)
    qemu_args: list = dataclasses.field(default_factory=list)
    expect: list = dataclasses.field(default_factory=list)  # regexes, each must match a line
    forbid: list = dataclasses.field(default_factory=list)  # regexes added to FORBIDDEN
    count: dict = dataclasses.field(default_factory=dict)   # regex -> exact number of lines
    allow_panic: bool = None       # drop PANIC/EXCEPTION from FORBIDDEN; default: exit == "panic"
    token: bool = True             # require the echo "ktest: token <token>"
    exit: str = "pass"             # "pass", "fail", "panic", or None: no exit expected,
                                   # stop once every expect line was seen
    timeout: float = 60            # seconds of QEMU run time (the ISO build is not counted)
    labels: list = dataclasses.field(default_factory=list)
    script: list = dataclasses.field(default_factory=list)  # [(wait-for regex, text to send)]
    needs_x2apic: bool = False     # x2APIC under TCG: QEMU >= 9; in Bochs: CPUs with x2APIC
    emulator: str = "qemu"         # "qemu" or "bochs" (smp is then a plain count)
    online: str = None             # "k/u": the run must print "smp: k/u cpus online"; "" checks nothing;
                                   # None: derived from smp (and maxcpus=) for a run that passes
    allow: list = dataclasses.field(default_factory=list)  # regexes of lines (or Bochs log lines)
                                   # exempt from the common FORBIDDEN list: what the case provokes
    files: dict = dataclasses.field(default_factory=dict)  # name -> bytes: /boot/<name> on the ISO
    grub: list = dataclasses.field(default_factory=list)   # GRUB commands run before multiboot2
                                   # (tools/mkiso --file, --grub), e.g. a MADT from madt.py
    modules: dict = dataclasses.field(default_factory=dict)  # name -> bytes, or a function of the
                                   # build folder giving bytes: one more Multiboot2 module after the
                                   # user programs (tools/mkiso --module), e.g. a bad ELF file
    source: str = ""               # the cases file that registered it

    def forbidden(self):
        """The forbidden regexes of this case (the second banner is checked apart)."""
        allow = self.allow_panic if self.allow_panic is not None else self.exit == "panic"
        base = [f for f in FORBIDDEN if not (allow and f in PANIC_LINES)]
        return base + list(self.forbid)

    def expected_online(self):
        """The "smp: k/u cpus online" the run must print, as "k/u", or None: every CPU of -smp
        (the first number: present CPUs), as many as maxcpus= lets run."""
        if self.online is not None:
            return self.online or None
        if self.exit != "pass" or not self.token:
            return None
        n = int(re.match(r"\d+", self.smp).group(0))
        m = re.search(r"(?:^| )maxcpus=(\d+)(?: |$)", self.cmdline)
        k = n if not m else max(1, min(n, int(m.group(1))))
        return f"{k}/{n}"

    def all_labels(self):
        """Labels for CTest: always boot, the arch, the emulator and the firmware."""
        out = ["boot", self.arch, self.emulator, self.firmware]
        return out + [l for l in self.labels if l not in out]


REGISTRY = {}
_loading = ""  # the cases file being run by load_cases()


def check_case(c):
    """Raise ValueError naming the problem when @p c cannot be run."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", c.name):
        raise ValueError(f"case name {c.name!r}: use letters, digits, '.', '_', '-'")
    if c.arch not in ARCHES:
        raise ValueError(f"{c.name}: arch must be one of {ARCHES}")
    if c.firmware not in FIRMWARES:
        raise ValueError(f"{c.name}: firmware must be one of {FIRMWARES}")
    if c.firmware == "uefi" and c.arch != "amd64":
        raise ValueError(f"{c.name}: the i686 ISO boots under BIOS only")
    if c.emulator not in EMULATORS:
        raise ValueError(f"{c.name}: emulator must be one of {EMULATORS}")
    if c.emulator == "bochs":
        check_bochs_case(c)
    if c.exit is not None and c.exit not in EXITS:
        raise ValueError(f"{c.name}: exit must be one of {tuple(EXITS)} or None")
    if c.exit is None and not c.expect:
        raise ValueError(f"{c.name}: exit=None stops on the expected lines, so give some")
    if c.online and not re.fullmatch(r"\d+/\d+", c.online):
        raise ValueError(f"{c.name}: online is 'k/u' (CPUs online / usable), '' or None")
    for rx in list(c.expect) + list(c.forbid) + list(c.count) + list(c.allow) + [w for w, _ in c.script]:
        try:
            re.compile(rx)
        except re.error as e:
            raise ValueError(f"{c.name}: bad regex {rx!r}: {e}") from None
    if any(ch in c.cmdline for ch in '";$`\\'):
        raise ValueError(f"{c.name}: the command line may not hold \" ; $ ` or \\")
    if any(ch in line for line in c.grub for ch in '";$`\\\n'):
        raise ValueError(f"{c.name}: a grub line may not hold \" ; $ ` \\ or a newline")
    for name, data in c.files.items():
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in ("cohort.elf", "grub") or not isinstance(data, bytes):
            raise ValueError(f"{c.name}: files maps plain names (not cohort.elf) to bytes")
    for name, data in c.modules.items():
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or not (isinstance(data, bytes) or callable(data)):
            raise ValueError(f"{c.name}: modules maps plain names to bytes or to a function of the build folder")


def check_bochs_case(c):
    """Bochs runs a fixed PC (tools/bochs/*.bochsrc): no QEMU machine options."""
    if not (c.smp.isdigit() and 1 <= int(c.smp) <= BOCHS_MAX_CPUS):
        raise ValueError(f"{c.name}: in Bochs, smp is a CPU count from 1 to {BOCHS_MAX_CPUS}")
    if c.machine != "pc" or c.cpu or c.qemu_args or c.firmware != "bios":
        raise ValueError(f"{c.name}: Bochs cases take no machine, cpu, qemu_args or firmware")
    if c.script:
        raise ValueError(f"{c.name}: Bochs writes COM1 to a file: no serial input (script)")


def case(name, **kw):
    """Register one boot test; the keywords are the fields of Case."""
    c = Case(name=name, source=_loading, **kw)
    check_case(c)
    if name in REGISTRY:
        raise ValueError(f"case {name} registered twice ({REGISTRY[name].source}, {c.source})")
    REGISTRY[name] = c
    return c


def numa_nodes(sizes_mib, cpus, dists=()):
    """QEMU -numa arguments: node i gets sizes_mib[i] MiB of RAM (0: none) and the
    CPUs cpus[i]: a QEMU cpu list ("0-1"), or a tuple of them for a node whose CPUs
    are not one range (("0-3", "8-11")). dists are (src, dst, distance), symmetric."""
    args = []
    for i, (mib, c) in enumerate(zip(sizes_mib, cpus)):
        lists = ",".join(f"cpus={r}" for r in ((c,) if isinstance(c, str) else c))
        if not mib:
            args += ["-numa", f"node,nodeid={i},{lists}"]
            continue
        args += ["-object", f"memory-backend-ram,id=m{i},size={mib}M",
                 "-numa", f"node,nodeid={i},{lists},memdev=m{i}"]
    for s, d, v in dists:
        args += ["-numa", f"dist,src={s},dst={d},val={v}"]
    return args


def load_cases(folder):
    """Run every cases/*.py file in @p folder and return the registry."""
    global _loading
    for path in sorted(glob.glob(os.path.join(folder, "*.py"))):
        _loading = os.path.basename(path)
        runpy.run_path(path)
    _loading = ""
    return REGISTRY
