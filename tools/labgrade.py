"""What a lab's graded tests are made of (labs/NN-topic/grade.py imports this).

A lab declares boots and tests:

    from labgrade import boot, test, passed

    b4 = boot("amd64-4", arch="amd64", smp="4", cmdline="test=smp,cpu_number")
    test("online_4cpus", b4, points=10, expect=[passed("smp"), r"smp: 4/4 cpus online"])

A boot is one QEMU run: arch, machine, -smp, -cpu model, memory, command line
(tools/grade appends a fresh token=). A test names its boot, its points, the
regexes that must each match some line (any order: CPUs interleave), the
regexes no line may match, and exact line counts. Tests that name the same
boot share one run, as gradelib's child tests share a parent boot. Every test
also forbids PANIC, EXCEPTION, unexpected interrupts and any LABNN-TODO line,
and requires the run's token echo (`ktest: token <t>`) unless token=False.

What QEMU cannot observe (a fence, a delivery-status poll, a wait's length, a
race between real threads) is graded on the host: `unit(name, points,
cases=[...])` runs the Boost.Test cases of the tree's own host build
(`unit_tests --run_test=<case>`) and passes when they all pass.

labs/NN-topic/mutants.py (read by tools/lab-ci, never shipped to students)
declares wrong solutions that must lose points in the tests they name, and
right ones written another way that must score full marks:

    mutant("tas_lock", breaks=["fair_unit"], what="a test-and-set lock",
           edits=[edit("src/log.cpp", "old text in the hole", "new text")])
    variant("prefix_two_calls", edits=[hole("src/log.cpp", "the prefix", "...whole new hole...")])
"""
import dataclasses
import re

BOOTS = {}
TESTS = []
MUTANTS = []

# The kernel's log line prefix: "[    1.234567] cpu3: ".
PREFIX = r"^\[[ \d.?]+\] cpu(\d+): "


@dataclasses.dataclass
class Boot:
    """One QEMU run feeding one or more tests."""
    name: str
    arch: str = "amd64"
    smp: str = "1"            # QEMU -smp: "4", "6,sockets=2,cores=3"
    machine: str = "pc"       # "pc", "q35", "pc,acpi=off"
    cpu: str = None           # QEMU -cpu model; None: QEMU's default
    cmdline: str = ""
    memory: str = "128M"
    firmware: str = "bios"
    qemu_args: list = dataclasses.field(default_factory=list)
    timeout: float = 60
    # -icount shift=auto: virtual time follows the instructions executed, so
    # timer rates and lock hand-offs do not depend on the host's load. QEMU
    # cannot combine it with x2APIC (its timer MSRs), so x2APIC boots leave it off.
    icount: bool = False

    def all_qemu_args(self):
        return (["-icount", "shift=auto"] if self.icount else []) + list(self.qemu_args)

    def describe(self):
        parts = [self.arch, self.machine, f"-smp {self.smp}"]
        if self.cpu:
            parts.append(f"-cpu {self.cpu}")
        if self.firmware != "bios":
            parts.append(self.firmware)
        if self.all_qemu_args():
            parts.append(" ".join(self.all_qemu_args()))
        return f"{' '.join(parts)}, \"{self.cmdline}\""


@dataclasses.dataclass
class Test:
    """One scored check of a boot's serial log."""
    name: str
    boot: Boot
    points: int
    expect: list = dataclasses.field(default_factory=list)
    forbid: list = dataclasses.field(default_factory=list)
    count: dict = dataclasses.field(default_factory=dict)  # regex -> exact number of lines
    exit: str = None          # "pass", "fail", "panic": the run's exit must be this; None: not checked
    token: bool = True        # the run must echo its token (it reached the end of its self-tests)
    panic: bool = False       # the run panics on purpose: PANIC and EXCEPTION lines are allowed
    allow: list = dataclasses.field(default_factory=list)  # lines the boot provokes on purpose, exempt
                              # from the common forbidden lines (tests/boot/bootcase.py FORBIDDEN)
    what: str = ""            # one line for the listing
    unit: list = None         # host test cases (Boost.Test --run_test specs): a unit test, no boot


def boot(name, **kw):
    """Declare a boot; returns it for test() to name."""
    if name in BOOTS:
        raise ValueError(f"boot {name} declared twice")
    b = Boot(name=name, **kw)
    BOOTS[name] = b
    return b


def test(name, on, points, **kw):
    """Declare a scored test of boot @p on."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"test name {name!r}: use letters, digits, '.', '_', '-'")
    if any(t.name == name for t in TESTS):
        raise ValueError(f"test {name} declared twice")
    t = Test(name=name, boot=on, points=points, **kw)
    for rx in list(t.expect) + list(t.forbid) + list(t.count):
        re.compile(rx)
    TESTS.append(t)
    return t


def unit(name, points, cases, what=""):
    """Declare a scored test that runs host unit test @p cases (Boost.Test specs) of the tree's build."""
    if isinstance(cases, str):
        cases = [cases]
    t = Test(name=name, boot=None, points=points, what=what, unit=list(cases), token=False)
    if any(x.name == name for x in TESTS):
        raise ValueError(f"test {name} declared twice")
    TESTS.append(t)
    return t


@dataclasses.dataclass
class Mutant:
    """A solution applied to the reference: wrong ones must lose points in `breaks`, variants score 100."""
    name: str
    edits: list
    breaks: list = None       # None: a right solution written another way (a variant)
    what: str = ""


def edit(path, old, new):
    """Replace text @p old, found once in the lab's regions of @p path, by @p new."""
    return (path, old, new)


def hole(path, what, code):
    """Replace the whole hole of @p path whose description starts with @p what by @p code."""
    return (path, None, code, what)


def patch(path, old, new):
    """Replace text @p old, found once in the whole file @p path (outside the holes too), by @p new.

    For a mutant of code the lab gives, not a hole: the missing SWAPGS of lab
    09 is an edit of the entry assembly students read but do not write."""
    return (path, old, new, None, "file")


def mutant(name, breaks, edits, what=""):
    """A plausible wrong solution: it must lose points in each test of @p breaks."""
    if isinstance(breaks, str):
        breaks = [breaks]
    if not breaks:
        raise ValueError(f"mutant {name}: name the tests it must fail (breaks=)")
    if any(m.name == name for m in MUTANTS):
        raise ValueError(f"mutant {name} declared twice")
    MUTANTS.append(Mutant(name, list(edits), list(breaks), what))


def variant(name, edits, what=""):
    """A right solution written another way: it must score full marks."""
    if any(m.name == name for m in MUTANTS):
        raise ValueError(f"variant {name} declared twice")
    MUTANTS.append(Mutant(name, list(edits), None, what))


def passed(ktest):
    """The result line of in-kernel self-test @p ktest, passed."""
    return rf"ktest: {ktest} \.\.\. PASS"


def failed(ktest):
    """The result line of in-kernel self-test @p ktest, failed."""
    return rf"ktest: {ktest} \.\.\. FAIL"


def reset():
    """Forget every declaration (tools/grade loads one lab at a time)."""
    BOOTS.clear()
    TESTS.clear()
    MUTANTS.clear()
