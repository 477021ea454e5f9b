"""Lab 05, starting the APs: graded tests (tools/grade --lab 05).

Parallel (the default) and sequential INIT-SIPI-SIPI at 2 to 8 CPUs on both
arches, APIC ids with gaps and above 255, maxcpus=, a first SIPI lost on
purpose (sipi_drop=), and the timeout report of an AP that never checks in.
How the APs were started (the order of INITs, SIPIs and check-ins, the INIT
wait, the SIPI count) is judged by the bringup_* self-tests from what the
BSP's INIT and SIPI helpers noted, not from the command line.
"""
from labgrade import boot, passed, test

T = "test=smp,cpu_number"
ORDER = T + ",bringup_order,bringup_init_wait,bringup_sipis,bringup"
# xAPIC boots under -icount: a busy host cannot stretch an AP past its timeout,
# and the vCPUs take turns, so a right parallel bring-up is never overtaken by an AP.
# Under -icount the vCPUs take turns, and a turn may end early (a `pause` in
# the BSP's wait ends it), so with the SDM's 200 us SIPI wait an AP may start
# between the BSP's look at its stage and the second SIPI: bringup_sipis then
# sees a SIPI sent to a started AP, through no fault of the code. A long SIPI
# wait gives every AP its turn first: then a second SIPI is due only where a
# first was dropped on purpose (sipi_drop=). Every boot that runs
# bringup_sipis with more than one AP uses it.
SLOW_SIPI = "sipi_delay_us=250000 "
# In virtual time an AP that works is online within milliseconds of its SIPI:
# 3 s (not the default 10 s) is ample, and a broken bring-up fails sooner.
ICOUNT_TIMEOUT = "ap_timeout_ms=3000 "
# The parallel INITs go out in smp_boot_begin(), and kmain() sets up the LAPIC
# timer, the IOAPIC, IPIs and the scheduler before smp_boot() sends the SIPIs:
# at the default 10 ms that work may itself outlast the INIT wait. A 1 s
# INIT wait cannot be covered by it (about 30 ms under -icount shift=auto on a
# quiet host, more on a busy one), so bringup_init_wait sees a missing wait.
LONG_INIT = "init_delay_us=1000000 "
par4 = boot("amd64-parallel-4cpus", arch="amd64", smp="4", cmdline=ICOUNT_TIMEOUT + SLOW_SIPI + LONG_INIT + ORDER,
            icount=True)
seq4 = boot("amd64-sequential-4cpus", arch="amd64", smp="4", cmdline="smpboot=sequential " + ICOUNT_TIMEOUT + SLOW_SIPI + ORDER,
            icount=True)
# As students run it: 8 vCPUs on a laptop's few cores, no -icount. Only what a
# preempted vCPU cannot change is checked here (an AP may start between the
# BSP's look at its stage and its SIPI); the timeouts are generous.
par8 = boot("amd64-parallel-8cpus", arch="amd64", smp="8",
            cmdline="ap_timeout_ms=30000 " + LONG_INIT + T + ",bringup_init_wait", timeout=150)
i686_seq = boot("i686-sequential-2cpus", arch="i686", smp="2",
                cmdline="smpboot=sequential sipi_drop=1 " + ICOUNT_TIMEOUT + ORDER, icount=True)
gaps = boot("i686-apic-gaps", arch="i686", smp="6,sockets=2,cores=3", cmdline=ICOUNT_TIMEOUT + SLOW_SIPI + ORDER,
            icount=True)
apic256 = boot("amd64-apic-256", arch="amd64", machine="q35", cpu="qemu64,+x2apic",
               smp="1,sockets=2,cores=256,maxcpus=512",
               qemu_args=["-device", "qemu64-x86_64-cpu,socket-id=1,core-id=0,thread-id=0"],
               cmdline="ap_timeout_ms=30000 " + T, timeout=120)
noanswer = boot("amd64-ap-noanswer", arch="amd64", smp="4",
                cmdline=SLOW_SIPI + "ap_noanswer=2 sipi_drop=3 ap_timeout_ms=500 test=smp,bringup_sipis", icount=True)
# AP 3 stalls 200 ms right after raising its online flag (checkin_gap=3), as
# if its vCPU lost its host core there: whatever the check-in does after the
# flag is missing when the boot CPU counts.
gap = boot("amd64-checkin-gap", arch="amd64", smp="4", cmdline="checkin_gap=3 " + ICOUNT_TIMEOUT + T, icount=True)
# AP 2 raises #UD on purpose right after its set-up (ap_fault=2): nothing else
# interrupts an AP in this tree, so only this shows that the start block gave
# it an IDT. Without one the AP triple-faults and the machine resets silently.
fault = boot("amd64-ap-fault", arch="amd64", smp="4", cmdline="ap_fault=2 " + ICOUNT_TIMEOUT + "test=smp", icount=True)
# AP 2's block says apic id 1002 as it begins its set-up (apic_id_mismatch=2),
# as if its table entry and its LAPIC disagreed: only this shows the id check.
idlie = boot("amd64-apic-id-mismatch", arch="amd64", smp="4", cmdline="apic_id_mismatch=2 " + ICOUNT_TIMEOUT + T,
             icount=True)
maxcpus = boot("amd64-maxcpus-2", arch="amd64", smp="4", cmdline="maxcpus=2 " + ICOUNT_TIMEOUT + T, icount=True)

# Signs of a bring-up that went wrong even when every CPU came up.
BAD = [r"WARN: smp: APIC errors during bring-up", r"woke with an APIC id missing from the table",
       r"its LAPIC says apic id", r"did not come online", r"checking in with its LAPIC not set up",
       r"its online flag came before its bit", r"before its mode switch began"]


def up(n, apics=None, extra=()):
    apics = apics or list(range(n))
    return dict(expect=[rf"smp: {n}/{n} cpus online", rf"ktest: smp \.\.\. PASS {n} of {n} online",
                        passed("cpu_number")]
                + [rf"cpu{k}: cpu {k}: online \(apic {a}, " for k, a in enumerate(apics) if k] + list(extra),
                forbid=BAD)


test("parallel_4cpus", par4, 5, what="INIT to all, SIPI to all: 4 CPUs online, each knows who it is", **up(4))
test("parallel_order", par4, 10, what="parallel: every INIT before the first SIPI, every SIPI before the first AP online",
     expect=[r"ktest: bringup_order \.\.\. PASS parallel: 3 AP\(s\)"])
test("init_wait", par4, 10, what="each AP's first SIPI at least init_delay_us after its INIT",
     expect=[passed("bringup_init_wait")])
test("second_sipi", par4, 10, what="a second SIPI only to an AP still in wait-for-SIPI, one INIT each",
     expect=[passed("bringup_sipis")])
test("sequential_4cpus", seq4, 10, what="smpboot=sequential: each AP's INIT after the one before it is online",
     **up(4, extra=[r"ktest: bringup_order \.\.\. PASS sequential: 3 AP\(s\)", passed("bringup_init_wait"),
                    passed("bringup_sipis")]))
test("parallel_8cpus", par8, 5, what="8 vCPUs without -icount (as on a laptop): 8 online",
     **up(8, extra=[passed("bringup_init_wait")]))
test("i686_sequential", i686_seq, 5, what="i686, sequential, its first SIPI lost: the second starts it",
     **up(2, extra=[r"ktest: bringup_order \.\.\. PASS sequential", passed("bringup_sipis"), passed("bringup_init_wait")]))
test("apic_gaps_i686", gaps, 10, what="i686, APIC ids 0-2 and 4-6: the 32-bit start block, each AP finds its own entry",
     **up(6, apics=[0, 1, 2, 4, 5, 6], extra=[passed("bringup_order"), passed("bringup_sipis")]))
test("apic_id_256", apic256, 5, what="an AP with APIC id 256: x2APIC INIT/SIPI, its id from CPUID leaf 0xB",
     **up(2, apics=[0, 256]))
test("lost_sipi", noanswer, 5, what="an AP whose first SIPI is lost (sipi_drop=3) is started by the second",
     expect=[r"cpu3: cpu 3: online \(apic 3, ", passed("bringup_sipis")], forbid=[r"cpu 3: apic 3 did not come online"])
test("timeout_names_stage", noanswer, 5, what="an AP that never checks in is named with the stage it reached",
     expect=[r"cpu 2: apic 2 did not come online within 500 ms \(last stage 3: LAPIC mode enabled, before checking in\)",
             r"smp: 3/4 cpus online", r"ktest: smp \.\.\. FAIL 3 of 4 online"],
     forbid=[r"cpu 2: online"])
test("online_last", gap, 5, what="the online flag is the check-in's last step: an AP that stalls right after it is counted",
     **up(4))
test("maxcpus", maxcpus, 5, what="maxcpus=2: one AP started, the others left alone",
     expect=[r"smp: 2/4 cpus online", r"ktest: smp \.\.\. PASS 2 of 2 online", passed("cpu_number"),
             r"cpu1: cpu 1: online "], forbid=BAD + [r"cpu [23]: online"])
test("ap_idt", fault, 5, what="an exception on an AP (ap_fault=2) goes through the start block's IDT: reported, not a reset",
     expect=[r"cpu2: EXCEPTION #UD invalid opcode \(vector 6\) on cpu 2", r"cpu2: PANIC: cpu2: unhandled exception #UD"],
     exit="panic", token=False, panic=True, allow=[r"ERROR: panic: stopped"])
test("apic_id_check", idlie, 5, what="an AP whose table id disagrees with its LAPIC (apic_id_mismatch=2) says so, once",
     expect=[r"cpu2: WARN: cpu 2: its LAPIC says apic id 2, the table says 1002", r"smp: 4/4 cpus online",
             passed("cpu_number")],
     count={r"its LAPIC says apic id": 1}, allow=[r"its LAPIC says apic id"])
