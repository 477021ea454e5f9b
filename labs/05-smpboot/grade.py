"""Lab 05, starting the APs: graded tests (tools/grade --lab 05).

Parallel (the default) and sequential INIT-SIPI-SIPI at 2 to 8 CPUs on both
arches, APIC ids with gaps and above 255, maxcpus=, and the timeout report of
an AP that never checks in.
"""
from labgrade import boot, passed, test

T = "test=smp,cpu_number"
# xAPIC boots under -icount: a busy host cannot stretch an AP past its timeout.
par4 = boot("amd64-parallel-4cpus", arch="amd64", smp="4", cmdline=T, icount=True)
seq4 = boot("amd64-sequential-4cpus", arch="amd64", smp="4", cmdline="smpboot=sequential " + T, icount=True)
par8 = boot("amd64-parallel-8cpus", arch="amd64", smp="8", cmdline=T, icount=True)
i686_4 = boot("i686-parallel-4cpus", arch="i686", smp="4", cmdline=T, icount=True)
i686_seq = boot("i686-sequential-2cpus", arch="i686", smp="2", cmdline="smpboot=sequential " + T, icount=True)
gaps = boot("i686-apic-gaps", arch="i686", smp="6,sockets=2,cores=3", cmdline=T, icount=True)
apic256 = boot("amd64-apic-256", arch="amd64", machine="q35", cpu="qemu64,+x2apic",
               smp="1,sockets=2,cores=256,maxcpus=512",
               qemu_args=["-device", "qemu64-x86_64-cpu,socket-id=1,core-id=0,thread-id=0"], cmdline=T)
noanswer = boot("amd64-ap-noanswer", arch="amd64", smp="4", cmdline="ap_noanswer=2 ap_timeout_ms=500 test=smp",
                icount=True)
maxcpus = boot("amd64-maxcpus-2", arch="amd64", smp="4", cmdline="maxcpus=2 " + T, icount=True)

# Signs of a bring-up that went wrong even when every CPU came up.
BAD = [r"WARN: smp: APIC errors during bring-up", r"woke with an APIC id missing from the table",
       r"its LAPIC says apic id", r"did not come online"]


def up(n, apics=None, extra=()):
    apics = apics or list(range(n))
    return dict(expect=[rf"smp: {n}/{n} cpus online", rf"ktest: smp \.\.\. PASS {n} of {n} online",
                        passed("cpu_number")]
                + [rf"cpu{k}: cpu {k}: online \(apic {a}, " for k, a in enumerate(apics) if k] + list(extra),
                forbid=BAD)


test("parallel_4cpus", par4, 15, what="INIT to all, SIPI to all: 4 CPUs online, each knows who it is",
     **up(4, extra=[r"parallel bring-up of 3 AP\(s\)"]))
test("sequential_4cpus", seq4, 10, what="one AP after the other (smpboot=sequential)",
     **up(4, extra=[r"sequential bring-up of 3 AP\(s\)"]))
test("parallel_8cpus", par8, 15, what="8 CPUs", **up(8))
test("i686_4cpus", i686_4, 10, what="the 32-bit trampoline and start block", **up(4))
test("i686_sequential", i686_seq, 5, what="i686, sequential", **up(2, extra=[r"sequential bring-up"]))
test("apic_gaps_i686", gaps, 10, what="APIC ids 0-2 and 4-6: each AP finds its own start entry",
     **up(6, apics=[0, 1, 2, 4, 5, 6]))
test("apic_id_256", apic256, 15, what="an AP with APIC id 256: x2APIC INIT/SIPI, its id from CPUID leaf 0xB",
     **up(2, apics=[0, 256]))
test("timeout_names_stage", noanswer, 10, what="an AP that never checks in is named with the stage it reached",
     expect=[r"cpu 2: apic 2 did not come online within 500 ms \(last stage 3: LAPIC mode enabled, before checking in\)",
             r"smp: 3/4 cpus online", r"ktest: smp \.\.\. FAIL 3 of 4 online"],
     forbid=[r"cpu 2: online"])
test("maxcpus", maxcpus, 10, what="maxcpus=2: one AP started, the others left alone",
     expect=[r"smp: 2/4 cpus online", r"ktest: smp \.\.\. PASS 2 of 2 online", passed("cpu_number"),
             r"cpu1: cpu 1: online "], forbid=BAD + [r"cpu [23]: online"])
