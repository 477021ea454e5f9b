"""SMP services (spinlock.cpp, ipi.cpp, panic.cpp, log.cpp): test=all at several
CPU counts in both APIC modes, the logger under load checked line by line, and
the panic path.

Under multi-threaded TCG, 8 vCPU threads share the host's 2 cores with another
QEMU: a ticket-lock hand-off waits until the next holder's thread gets a core,
and 8 CPUs logging through one emulated UART take seconds. xAPIC cases run
under -icount (all vCPUs in one host thread, virtual time by instructions),
which is fast and independent of the host's load; QEMU cannot combine it with
x2APIC, so those cases run multi-threaded and give the call-function wait 60 s
(ipi_timeout_ms): a slow host is not a failure, a lost answer still is."""
from bootcase import case

TCG = "ipi_timeout_ms=60000 spin_timeout_ms=30000"
ICOUNT = ["-icount", "shift=auto"]

for arch in ("i686", "amd64"):
    for mode, cpu in (("xapic", None), ("x2apic", "qemu64,+x2apic")):
        for n in (1, 2, 4, 8):
            # Under -icount a sleeper's lateness is bounded (1.5-63 ms seen at 8
            # CPUs, shift=auto re-tunes virtual time); without it, not at all.
            bound = " late_bound_us=250000" if cpu is None else ""
            case(f"{arch}.services.{mode}{n}", arch=arch, smp=str(n), cpu=cpu, cmdline=f"{TCG}{bound} test=all",
                 qemu_args=ICOUNT if cpu is None else [],
                 expect=[r"ktest: \d+ passed, 0 failed"] + [rf"ktest: {t} \.\.\. PASS" for t in
                         ("spinlock", "logger", "ipi", "callfunc", "shootdown", "cpu_number", "smp")],
                 forbid=[r"\.\.\. FAIL"], needs_x2apic=cpu is not None, timeout=120)

# More vCPUs than host cores, multi-threaded TCG, no -icount: the way students
# run it. Each vCPU thread can lose its host core at any instruction, which a
# FIFO ticket lock and a spinning waiter do not survive (docs/logging.md,
# "More vCPUs than host cores"). These check the policy lock (test-and-set
# under a hypervisor) and the spin-then-halt waits at 8 and 16 CPUs in both
# APIC modes. The timeouts are generous: a slow host is not a failure, a lost
# answer or a lock that nobody can take still is. tools/stress repeats such
# a boot beside a busy host process. Known weak spot, not yet explained:
# `balance` wants every CPU to have worked within about a second, and on i686
# at 16 CPUs one CPU did no work in 2 of 4 runs ("15 cpus worked", xAPIC and
# x2APIC alike, host load average 15 to 40); amd64 at 16 passed 2 of 2. Either
# a vCPU thread the host did not run for a second, or a CPU that missed its
# wake-up: see the balance line's "busy per cpu" in the log.
# Each CPU's 40 `logger` lines are checked one by one here too, as in
# logger-lines below: whole, each exactly once, on a line of its own CPU (a
# logger that dropped a line whose CPU's slot was still full passed test=all).
OVERCOMMIT = ("spinlock: test-and-set locks", r"ktest: \d+ passed, 0 failed")
LOGGER_LINES = 40  # kLines in services_tests.cpp
for arch in ("i686", "amd64"):
    for mode, cpu in (("xapic", None), ("x2apic", "qemu64,+x2apic" if arch == "amd64" else "qemu32,+x2apic")):
        for n in (8, 16):
            lines = [(c, s) for c in range(n) for s in range(LOGGER_LINES)]
            case(f"{arch}.overcommit.{mode}{n}", arch=arch, smp=str(n), cpu=cpu, cmdline=f"{TCG} test=all",
                 expect=list(OVERCOMMIT) + [rf"ktest: {t} \.\.\. PASS" for t in
                         ("spinlock", "logger", "ipi", "callfunc", "shootdown", "mutex")] +
                        [rf"cpu{c}: ktest: logger: cpu {c} seq {s} of {LOGGER_LINES} end$" for c, s in lines],
                 count={rf"ktest: logger: cpu {c} seq {s} of": 1 for c, s in lines},
                 forbid=[r"\.\.\. FAIL", r"cpu(\d+): ktest: logger: cpu (?!\1 )",
                         r"ktest: logger: cpu \d+ seq \d+ of \d+ end.+", r"ktest: logger.*ktest: logger"],
                 needs_x2apic=cpu is not None, timeout=600)

# Every CPU logs 40 numbered lines at once. Each of the 160 must arrive whole, exactly once, and on a
# line of its own CPU: a missing line, a split line or a line whose prefix names
# another CPU than its text fails. Multi-threaded TCG on purpose: under -icount
# the vCPUs take turns in one host thread, and a logger without its lock can
# pass; here they really run at once.
N, LINES = 4, 40
for arch in ("i686", "amd64"):
    case(f"{arch}.services.logger-lines", arch=arch, smp=str(N), cmdline=f"{TCG} test=logger",
         expect=[rf"cpu{c}: ktest: logger: cpu {c} seq {s} of {LINES} end$" for c in range(N) for s in range(LINES)],
         count={rf"ktest: logger: cpu {c} seq {s} of": 1 for c in range(N) for s in range(LINES)},
         forbid=[r"cpu(\d+): ktest: logger: cpu (?!\1 )", r"ktest: logger: cpu \d+ seq \d+ of \d+ end.+",
                 r"ktest: logger.*ktest: logger"])

# The VGA mirror (console.cpp) against the log, from inside: the `console`
# self-test restarts the mirror and compares the screen with what the log wrote
# after 3 lines (the rows below them must be blank, nothing left from before),
# after a scroll and after a wrap of the text window. QEMU's default VGA card;
# one CPU, so that no other CPU's line lands in the middle of a comparison.
for arch in ("i686", "amd64"):
    case(f"{arch}.services.vga-mirror", arch=arch, smp="1", cmdline="test=console",
         expect=[r"ktest: console: after 3 line\(s\): 25 rows from window row 0 match the log",
                 r"ktest: console: after 40 line\(s\): 25 rows from window row \d+ match the log",
                 r"ktest: console: after 230 line\(s\): 25 rows from window row \d+ match the log"])

for arch in ("i686", "amd64"):
    # CPU 1 panics, CPU 2 spins with interrupts off (only an NMI stops it), the
    # BSP waits with interrupts on (the halt-all IPI stops it).
    case(f"{arch}.services.panic", arch=arch, smp="4", cmdline="test=panic",
         expect=[r"cpu1: PANIC: cpu1: ktest: deliberate panic on cpu 1",
                 r"panic: stopped 3 other cpu\(s\): 2 by the halt-all IPI, 1 by NMI, 0 did not stop",
                 r"backtrace:", r"#0 0x[0-9a-f]+ \S*panic_now"],
         count={r"PANIC:": 1}, exit="panic", token=False, allow=[r"ERROR: panic: stopped"])
    # The same with CPU 3 parked after its bring-up was cancelled: the halt-all
    # IPI goes to each online CPU (no shorthand that would reach CPU 3 too),
    # and the report counts the two online others.
    case(f"{arch}.services.panic-with-parked", arch=arch, smp="4",
         cmdline="ap_late=3 ap_timeout_ms=300 test=panic",
         expect=[r"cpu3: WARN: cpu 3: checked in after the boot CPU gave up on it; parked",
                 r"cpu1: PANIC: cpu1: ktest: deliberate panic on cpu 1",
                 r"panic: stopped 2 other cpu\(s\): 1 by the halt-all IPI, 1 by NMI, 0 did not stop"],
         count={r"PANIC:": 1}, exit="panic", token=False, online="3/4",
         allow=[r"ERROR: panic: stopped", r"ERROR: cpu 3: apic 3 did not come online"])
    # Two CPUs panic at once: one report, whole.
    case(f"{arch}.services.panic2", arch=arch, smp="4", cmdline="test=panic2",
         expect=[r"PANIC: cpu[12]: ktest: simultaneous panic on cpu [12]", r"panic: stopped 3 other cpu"],
         count={r"PANIC:": 1, r"backtrace:": 1}, exit="panic", token=False, allow=[r"ERROR: panic: stopped"])

    # CPU 1 takes the logger's lock and stops holding it; the BSP panics. The
    # report waits for the lock once (100 ms), then prints without it.
    case(f"{arch}.services.panic-logger-held", arch=arch, smp="2", cmdline="test=panic_logger_held",
         expect=[r"cpu0: PANIC: cpu0: ktest: panic while cpu 1 holds the logger's lock \(held\)",
                 r"panic: stopped 1 other cpu\(s\)", r"backtrace:", r"#0 0x[0-9a-f]+ \S*panic_logger_held"],
         count={r"PANIC:": 1}, exit="panic", token=False, timeout=60, allow=[r"ERROR: panic: stopped"])

    # CPU 1 takes a spinlock and never releases it; the BSP waits for it. The
    # wait is bounded by spin_timeout_ms: a panic after 300 ms or more (but
    # not ten times that) that names the lock, the holder and where it was taken.
    if arch == "i686":
        case(f"{arch}.services.spin-timeout", arch=arch, smp="2", cmdline="spin_timeout_ms=300 test=spin_timeout",
             expect=[r"cpu0: PANIC: cpu0: spinlock ktest\.stuck: cpu 0 spun ([3-9]\d\d|[12]\d\d\d) ms; held by cpu 1, "
                     r"taken at 0x[0-9a-f]+ \S*hold_stuck"],
             count={r"PANIC:": 1}, exit="panic", token=False, timeout=20, allow=[r"ERROR: panic: stopped"])

    # CPU 1 answers 600 ms after a 400 ms timeout: the caller names it once
    # and waits on; ipi_call() returns with the function finished.
    case(f"{arch}.services.ipi-late-answer", arch=arch, smp="2", cmdline="ipi_timeout_ms=400 test=ipi_late_answer",
         expect=[r"ERROR: ipi: call-function: no answer within 400 ms from cpu\(s\) 1; still waiting",
                 r"ktest: ipi_late_answer \.\.\. PASS ipi_call returned true after \d+ ms with the function finished"],
         count={r"no answer within": 1}, allow=[r"ERROR: ipi: call-function: no answer within 400 ms"])

    # NMIs sent to CPUs that log as fast as they can, with FIFO ticket locks
    # (a waiter for its own CPU's lock would never get it): each NMI is
    # counted and reported once afterwards, from an ordinary context.
    case(f"{arch}.services.nmi-logging", arch=arch, smp="4", cmdline="spinlock=ticket test=nmi_logging",
         expect=[r"ktest: nmi_logging \.\.\. PASS 3 of 3 cpus finished logging; 60 NMIs sent, \d+ taken, 0 unreported",
                 r"cpu[123]: WARN: nmi: cpu [123] took \d+ NMI\(s\) that nobody asked for"],
         allow=[r"NMI\(s\) that nobody asked for"], timeout=90)

# The scheduler's tests (proc.cpp, sync.cpp) are part of test=all above; these
# name them one by one at each CPU count so a failure points at its test.
SCHED = ("threads", "affinity", "balance", "sleep", "mutex", "exclusive", "timeslice")
for arch in ("i686", "amd64"):
    for n in (1, 2, 4, 8):
        case(f"{arch}.sched.smp{n}", arch=arch, smp=str(n), cmdline=f"{TCG} test=" + ",".join(SCHED),
             qemu_args=ICOUNT,
             expect=[rf"ktest: {t} \.\.\. PASS" for t in SCHED] + [rf"ktest: {len(SCHED)} passed, 0 failed"],
             forbid=[r"runs on two CPUs at once"], timeout=240)
