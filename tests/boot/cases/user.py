"""User programs as Multiboot2 modules (docs/userprog.md): every ISO carries
build/user-<arch>/*, and the kernel checks each with elf_check() at boot and
logs its segments. A bad module is refused with its reason and skipped; the
boot goes on. The cases further down run them in ring 3."""
import os

from bootcase import case

BOOT_PASSED = [r"ktest: boot \.\.\. PASS", r"ktest: 1 passed, 0 failed"]
# Where each arch links its programs (src/arch/<arch>/user_arch.h, user/user.ld).
BASE = {"i686": 0x40000000, "amd64": 0x8000000000}
# The programs of user/, each a module on every ISO: one per user/<name>.cpp
# (cmake/user.cmake), so a new program needs no edit here.
PROGRAMS = tuple(sorted(f[:-4] for f in os.listdir(os.path.join(os.path.dirname(__file__), "..", "..", "..", "user"))
                        if f.endswith(".cpp")))
REFUSED = r"user: module \S+: \d+ bytes, refused"


def accepted(arch):
    """Each program has the three segments of user/user.ld, on pages of their
    own: headers and constants, text (crt0's _start first: the entry), data
    on a page boundary after the text (how far depends on the text's size)."""
    b = BASE[arch]
    return [rf"user: module {name}: \d+ bytes, entry 0x{b + 0x1000:x}, 3 segments \(r-- 0x{b:x}-0x[0-9a-f]+, "
            rf"r-x 0x{b + 0x1000:x}-0x[0-9a-f]+, rw- 0x[0-9a-f]+000-0x[0-9a-f]+\)$" for name in PROGRAMS]


for arch in ("i686", "amd64"):
    case(f"{arch}.user.modules", arch=arch, cmdline="test=boot",
         expect=[rf"user: {len(PROGRAMS)} module\(s\)"] + accepted(arch) + BOOT_PASSED,
         forbid=[REFUSED], timeout=30)


def program(arch, cut=None):
    """A function of the build folder: the built hello of @p arch, its first @p cut bytes."""
    def read(build_dir):
        with open(os.path.join(build_dir, f"user-{arch}", "hello"), "rb") as f:
            return f.read()[:cut]
    return read


# The i686 program on the amd64 kernel, and an amd64 one cut after its ELF
# header: each refused with the field that failed, the good ones still listed.
case("amd64.user.bad-modules", arch="amd64", cmdline="test=boot",
     modules={"hello32": program("i686"), "cut": program("amd64", 100)},
     expect=[rf"user: {len(PROGRAMS) + 2} module\(s\)",
             r"WARN: elf: hello32: EI_CLASS is not this kernel's .*; not loaded",
             r"WARN: user: module hello32: \d+ bytes, refused; skipped",
             r"WARN: elf: cut: program headers outside the file .*; not loaded",
             r"WARN: user: module cut: 100 bytes, refused; skipped"] + accepted("amd64") + BOOT_PASSED,
     count={REFUSED: 2}, timeout=30)


# test=user (src/ktest/user_tests.cpp): the programs run as processes in
# ring 3. Each case checks, from the log: getcpu() seen on every CPU (twice:
# alone, and beside a ring-3 spinner on every CPU, which only the timer
# takes the CPU from), each fault child killed with one report line and its
# exact exit status, every bad pointer refused, threads of one process with
# an exact total, munmap's shootdown reaching no CPU for a 1-thread process
# and the page gone on every reader's CPU for a many-thread one, the same
# for mprotect to read-only (a write faults on every writer's CPU), the process
# limit refused with a warning, and the free frames equal before and after. No -icount,
# and 8 vCPUs on a smaller host: the preemption must not depend on timing.
FAULTS = [(1, r"#PF \(vector 14\)", r"0x100000", "0x5", 142),  # read of the kernel: present, user
          (2, r"#PF \(vector 14\)", r"0x8010000000", "0x4", 142),  # read of nothing: user
          (3, r"#PF \(vector 14\)", r"0x[0-9a-f]+", "0x7", 142),  # write of a read-only page
          (4, r"#GP \(vector 13\)", r"0x[0-9a-f]+", "0x0", 141),  # cli in ring 3
          (5, r"#UD \(vector 6\)", r"0x[0-9a-f]+", "0x0", 134)]  # ud2


def user_run(arch, n, x2apic):
    fault_lines = [rf"WARN: user: cpu \d+ pid \d+ \(fault\): {vec} at ip 0x[0-9a-f]+, address {addr}, "
                   rf"error code {err}; killed$" for _, vec, addr, err, _ in FAULTS]
    statuses = [rf"\] fault: mode {m}: pid \d+ exit status {st} \(want {st}\)$" for m, _, _, _, st in FAULTS]
    mode = "x2apic" if x2apic else "xapic"
    case(f"{arch}.user.run{n}-{mode}", arch=arch, smp=str(n), cmdline="test=user",
         cpu="qemu64,+x2apic" if x2apic else None, needs_x2apic=x2apic,
         expect=[rf"lapic: cpu 0 apic id 0 mode {mode}",
                 rf"\[pid \d+ cpu \d+\] hello from user space$",
                 r"user: cpus: getcpu saw every online cpu: ok",
                 r"user: cpus beside a spinner on every cpu: ok",
                 rf"WARN: proc: \d+ processes, the limit \(PROC_MAX\): spawn of spin refused",
                 r"\] fault: 5 of 5 as expected$",
                 r"\] badptr: 0 of 21 calls answered otherwise; name badptr$",
                 r"user: free frames before and after: ok",
                 # a kill ends threads blocked in wait, sleep and join at once
                 r"user: blocker \(blocked in wait, sleep, join\) ended by a kill: ok",
                 r"user: blocker's sleeping orphan killed and reaped: ok",
                 # one address space on several CPUs: an exact total
                 r"\] threads: (\d+) threads x 100000 = (\d+), counter \2, on cpus",
                 # munmap: a 1-thread process shoots down no other CPU; with
                 # readers on the other CPUs it reaches some, and the page is
                 # gone on every reader's CPU
                 rf"\] mmtest: alone: shootdown to 0 other cpus; with {min(n - 1, 7)} readers: "
                 rf"to {'0' if n == 1 else '[1-9]'} other cpus, page gone on cpus 0x[0-9a-f]+; 0 wrong$",
                 # mprotect to read-only: the same rule, and a write faults
                 # from every writer's CPU and the first thread's
                 rf"\] mmtest: mprotect read-only alone: shootdown to 0 other cpus; with {min(n - 1, 7)} writers: "
                 rf"to {'0' if n == 1 else '[1-9]'} other cpus, write faulted on cpus 0x[0-9a-f]+; 0 wrong$",
                 r"ktest: user \.\.\. PASS"] + fault_lines + statuses,
         # 21 spawns refused at the limit, 5 of them said (ratelimit.h)
         count={rf"\[pid \d+ cpu \d+\] cpus: saw {n} of {n} cpus \(mask 0x[0-9a-f]+\)": 2,
                r"WARN: proc: \d+ processes, the limit \(PROC_MAX\): spawn of spin refused$": 5,
                r"WARN: user: cpu \d+ pid \d+ \(\w+\): ": len(FAULTS)},
         forbid=[r"WRONG", r"reaped while \d+ cpu"], timeout=60)


for n in (1, 4, 8):
    for x2apic in (False, True):
        user_run("amd64", n, x2apic)


# Ring 3 with no kernel stack on one CPU (test=user_nostack, as in a tree
# whose lab 09 is not done): the clock's interrupt cannot be delivered, a #DF
# kills the spinner, and the interrupt it was delivering must be ended, or
# the CPU never hears its clock again and the boot hangs. Once under -icount,
# once without it (maxcpus=1: the spinner must run on the CPU with no stack).
NOSTACK = [r"WARN: user: cpu \d+ pid \d+ \(spin\): #DF \(vector 8\) at ip 0x[0-9a-f]+, address 0x[0-9a-f]+, "
           r"error code 0x0, the interrupt it was delivering ended; killed$",
           r"ktest: user_nostack \.\.\. PASS cpu \d+: spin \(pid \d+\) exited with status 136 \(want 136, a #DF\); "
           r"nothing in service; slept \d+ ms"]
case("amd64.user.nostack", arch="amd64", smp="1", cmdline="test=user_nostack", qemu_args=["-icount", "shift=auto"],
     expect=NOSTACK)
case("amd64.user.nostack-tcg", arch="amd64", smp="4", cmdline="maxcpus=1 test=user_nostack", online="1/4",
     expect=NOSTACK)


# The monitor's process commands: run waits and prints the exit status;
# start leaves a spinner running, ps lists it with its CPU, kill and wait end it.
case("amd64.user.monitor", arch="amd64", smp="2", token=False,
     script=[(r"cohort> ", "run hello\r"), (r"monitor: pid 1 exited with status 0", "run fault\r"),
             (r"monitor: pid 2 exited with status 0", "start spin\r"), (r"monitor: spin: pid \d+", "ps\r"),
             (r"\s+8\s+0 running\s+1\s+\d spin$", "kill 8\r"), (r"kill 8: asked to exit", "wait 8\r"),
             (r"monitor: pid 8 exited with status 256", "ps\r"), (r"pid parent state", "start blocker\r"),
             (r"blocker: child \d+, threads 1 and 2; waiting", "ps\r"), (r"pid \d+ tid 2: in thread_join", "halt\r")],
     expect=[r"\[pid 1 cpu \d\] hello from user space", r"monitor: pid 2 exited with status 0",
             r"cpu\d:\s+8\s+0 running\s+1\s+\d spin$", r"monitor: pid 8 exited with status 256",
             # ps names the call each blocked thread waits in: blocker's main in wait, its threads in sleep and thread_join
             r"pid \d+ tid 0: in wait, last on cpu \d", r"pid \d+ tid 1: in sleep, last on cpu \d",
             r"pid \d+ tid 2: in thread_join, last on cpu \d", r"monitor: halting every cpu"],
     exit="pass", timeout=60)


# i686 (docs/user_i686.md): the same programs and checks through `int 0x80`
# and IRET. Only the unmapped address differs: USER_BASE + 256 MiB is
# 0x50000000 there. x2APIC needs a CPU model that offers it, as for the other
# i686 x2APIC cases.
FAULTS = [(m, v, rf"0x{BASE['i686'] + 0x10000000:x}", e, s) if m == 2 else (m, v, a, e, s)
          for m, v, a, e, s in FAULTS]
for n in (1, 4, 8):
    for x2apic in (False, True):
        user_run("i686", n, x2apic)

# And the monitor's process commands, as amd64.user.monitor checks them.
import dataclasses  # noqa: E402 (kept down here, with the i686 cases)

from bootcase import REGISTRY  # noqa: E402

_monitor = REGISTRY["amd64.user.monitor"]
case("i686.user.monitor", arch="i686",
     **{f.name: getattr(_monitor, f.name) for f in dataclasses.fields(_monitor) if f.name not in ("name", "source", "arch")})
