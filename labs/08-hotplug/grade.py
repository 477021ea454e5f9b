"""Lab 08, CPUs come and go: graded tests (tools/grade --lab 08).

Every boot runs the `hotplug` self-test (src/ktest/hotplug_tests.cpp): the
refusals first (the boot CPU, a CPU that does not exist, an online CPU put
online, a pinned thread's only CPU, an offline CPU put offline), then 100
offline/online cycles of random CPUs while threads work through a pool of
items and another thread sends call-functions and TLB shootdowns to every
online CPU. The xAPIC boots run under -icount; the x2APIC one runs
multi-threaded (QEMU cannot combine -icount with x2APIC), where the CPUs
really run at once. ipi_timeout_ms is short: a request left in the mailbox
of a CPU that went offline is a panic within two of them.
"""
from labgrade import boot, passed, test

HOT = "test=hotplug"
# A working tree finishes each boot in about 5 s (20 s on a loaded laptop); a
# wrong one may hang with every CPU halted, and then only the timeout ends it.
two = boot("amd64-4cpus", arch="amd64", smp="4", cmdline=f"ipi_timeout_ms=1000 {HOT}", icount=True, timeout=90)
x2apic = boot("amd64-x2apic-4cpus", arch="amd64", smp="4", cpu="qemu64,+x2apic",
              cmdline=f"ipi_timeout_ms=5000 spin_timeout_ms=30000 {HOT}", timeout=120)
i686 = boot("i686-4cpus", arch="i686", smp="4", cmdline=f"ipi_timeout_ms=1000 {HOT}", icount=True, timeout=90)

NEVER = [r"runs on two CPUs at once", r"runq: node .* is already on"]
LOST = [r"ipi: .*no answer within", r"PANIC", r"said it parked while still in cpu_online_mask",
        r"parked with its mailbox not served", r"said it parked before it had served its mailbox"]


def ok(*extra, forbid=()):
    return dict(expect=list(extra), forbid=NEVER + list(forbid))


def refusal(what):
    return rf"ktest: hotplug: {what}: [a-z ]+, as it should"


test("refuses_boot_cpu", two, 5, what="cpu 0 stays online, with the reason; nonexistent and online CPUs refused too",
     **ok(refusal("offline of the boot cpu"), refusal("online of the boot cpu"),
          refusal("offline of a cpu that does not exist"), refusal("online of an online cpu"),
          r"WARN: hotplug: cpu 0 stays online: it is the boot CPU"))
test("refuses_pinned_thread", two, 15, what="offline of the only CPU a thread may run on is refused, naming the thread",
     **ok(refusal("offline of a pinned thread's only cpu"), refusal("offline of the last online cpu a thread may use"),
          r"WARN: hotplug: cpu \d+ stays online: thread pinned \(tid \d+\) may run on no other online cpu"))
test("offline_then_online", two, 10, what="a CPU goes offline, a second offline finds it gone, online brings it back",
     **ok(refusal("offline once the pinned thread is gone"), refusal("offline of an offline cpu"),
          refusal("online of an offline cpu"), r"hotplug: cpu \d+ offline in \d+ us: .*parked with INIT"))
test("no_thread_lost", two, 15, what="under 100 cycles every item is done exactly once; no thread is left on a "
     "closed queue", **ok(r"(\d+) items by \d+ threads: \1 once, 0 twice, totals \1/\1", r", 0 left on one", forbid=[r"still queued; moved", r"queued on offline cpu"]))
test("nothing_runs_offline", two, 10, what="no thread runs on a CPU after it left the online mask",
     **ok(r"0 ran on an offline cpu"))
test("requests_answered", two, 15, what="call-functions and shootdowns to every online CPU, during the cycles: "
     "each is answered, none waits on a parked CPU", **ok(r"\d+ calls ok, 0 not", forbid=LOST))
test("cycles_4cpus", two, 10, what="100 cycles of random CPUs, the test's own CPU among them; every CPU back",
     **ok(passed("hotplug"), r"100 cycles \(0 failed", r"4/4 cpus back", forbid=LOST))
test("x2apic", x2apic, 10, what="the same multi-threaded, in x2APIC mode",
     **ok(passed("hotplug"), r"cpu 3: online \(apic 3, x2apic\)", forbid=LOST))
test("i686", i686, 10, what="the same in the 32-bit kernel", **ok(passed("hotplug"), forbid=LOST))
