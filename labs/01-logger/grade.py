"""Lab 01, the spinlocked logger: graded tests (tools/grade --lab 01).

Lab 01's tree starts no AP (that is lab 05), so the boots run on the boot CPU
alone and check the shape of its lines; the lock is graded on the host, where
real threads stand in for CPUs (tests/unit/test_logline.cpp runs the same
src/logline.cpp as the kernel).
"""
from labgrade import PREFIX, boot, passed, test, unit

# No -icount: the boots run as fast as the host lets them (a few seconds on
# a quiet machine; the long timeout is for a busy one).
one_i686 = boot("i686-1cpu", arch="i686", smp="1", cmdline="test=log_lines", timeout=180)
one_amd64 = boot("amd64-1cpu", arch="amd64", smp="1", cmdline="test=log_lines", timeout=180)

test("banner", one_i686, 10, what="the first line, before the clock runs, has the '?' timestamp",
     expect=[r"^\[    \?\.\?{6}\] cpu0: Cohort kernel i686 booting$"])
test("prefix", one_amd64, 10, what="every line starts [seconds.micros] cpuN: , once the clock runs",
     expect=[r"^\[ {4}\d\.\d{6}\] cpu0: boot: done$"],
     forbid=[r"^(?!\[[ \d.?]+\] cpu\d+: ).*\bcpu\d+: "])
test("warn_error", one_i686, 10, what="warnings say WARN:, errors ERROR:, after the prefix",
     expect=[PREFIX + r"WARN: ktest: log_lines: a warning$", PREFIX + r"ERROR: ktest: log_lines: an error$"])
test("long_line", one_i686, 10, what="a line too long for the buffer is cut to 382 characters ending in '...'",
     expect=[r"^(?=.{382}$)" + PREFIX + r"ktest: log_lines: long (0123456789)+\d*\.\.\.$",
             passed("log_lines")])
unit("prefix_format", 15, what="seconds, 6-digit zero-padded microseconds, CPU, tag; '?' before the clock",
     cases=["logline/prefix_seconds_and_microseconds", "logline/prefix_before_the_clock",
            "logline/prefix_tag_after_cpu"])
unit("truncation", 10, what="a cut line ends in '...' and its newline, never past the buffer; boundaries exact",
     cases=["logline/truncation_keeps_the_line_whole", "logline/truncation_boundary"])
unit("lock_whole_lines", 15, what="4 threads log 500 lines each: every line whole, in order, none lost",
     cases=["logline/lock_storm_whole_lines"])
unit("ticket_atomic", 10, what="2 callers stopped between reading and writing the ticket, then 2 s of races: one ticket per call",
     cases=["logline/lock_ticket_one_step", "logline/lock_ticket_race"])
unit("lock_fifo", 10, what="callers are served in the order they arrived (a fair lock)",
     cases=["logline/lock_fifo"])
