"""Lab 01, the spinlocked logger: graded tests (tools/grade --lab 01)."""
from labgrade import PREFIX, boot, passed, test

LINES = 40  # lines per CPU in the `logger` self-test (services_tests.cpp)


def whole_logger_lines(ncpus):
    """Every line of the `logger` self-test whole, from the CPU it names, none lost."""
    line = PREFIX + rf"ktest: logger: cpu \1 seq \d+ of {LINES} end$"
    # A line that mentions the test but is not one whole line of it: two lines
    # mixed, a prefix lost, a line cut.
    mixed = rf"^(?!\[[ \d.?]+\] cpu(\d+): ktest: logger(: cpu \1 seq \d+ of {LINES} end| \.\.\. .*)$).*ktest: logger"
    return dict(expect=[passed("logger")] + [rf"cpu {k} seq {LINES - 1} of {LINES} end" for k in range(ncpus)],
                count={line: LINES * ncpus}, forbid=[mixed, r"\] cpu\d+: .*\[[ \d.?]+\] cpu\d+: "])


# The storms run multi-threaded (no -icount): only CPUs that really run at the
# same time mix their lines when the lock is wrong. Long IPI and spin timeouts
# keep a busy host from failing a right one.
TCG = "ipi_timeout_ms=60000 spin_timeout_ms=30000 "
one_i686 = boot("i686-1cpu", arch="i686", smp="1", cmdline="test=log_lines")
two = boot("amd64-2cpus", arch="amd64", smp="2", cmdline=TCG + "test=log_lines,logger", timeout=180)
four = boot("amd64-4cpus", arch="amd64", smp="4", cmdline=TCG + "test=logger", timeout=180)
four_i686 = boot("i686-4cpus", arch="i686", smp="4", cmdline=TCG + "test=logger", timeout=180)

test("banner", one_i686, 10, what="the first line, before the clock runs, has the '?' timestamp",
     expect=[r"^\[    \?\.\?{6}\] cpu0: Cohort kernel i686 booting$"])
test("prefix", two, 10, what="every line starts [seconds.micros] cpuN: , once the clock runs",
     expect=[r"^\[ {4}\d\.\d{6}\] cpu0: boot: done$", r"^\[ {4}\d\.\d{6}\] cpu1: cpu 1: online "],
     forbid=[r"^(?!\[[ \d.?]+\] cpu\d+: ).*\bcpu\d+: "])
test("warn_error", one_i686, 15, what="warnings say WARN:, errors ERROR:, after the prefix",
     expect=[PREFIX + r"WARN: ktest: log_lines: a warning$", PREFIX + r"ERROR: ktest: log_lines: an error$"])
test("long_line", one_i686, 15, what="a line too long for the buffer is cut, ends in '...', stays one line",
     expect=[r"^(?=.{300,383}$)" + PREFIX + r"ktest: log_lines: long (0123456789)+\d*\.\.\.$",
             passed("log_lines")])
test("smp_2cpus", two, 15, what="2 CPUs log at once: every line whole, none lost",
     **whole_logger_lines(2))
test("smp_4cpus", four, 20, what="4 CPUs log at once (amd64): every line whole, none lost",
     **whole_logger_lines(4))
test("smp_4cpus_i686", four_i686, 15, what="4 CPUs log at once (i686): every line whole, none lost",
     **whole_logger_lines(4))
