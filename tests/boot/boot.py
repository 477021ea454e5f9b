#!/usr/bin/env python3
"""Cohort's boot-test harness: boot a kernel in QEMU and judge its serial log.

    boot.py --list                                    registered cases: name, labels, timeout, cpus
    boot.py --build-dir build --case amd64.bios.boot  one registered case ('amd64.*' works too)
    boot.py --build-dir build --arch i686 --smp 4 --cmdline "test=boot" --expect 'ktest: 1 passed'
    boot.py ... --repeat 20                           hunt a flaky race
    boot.py ... -v                                    show the serial log while it runs

Each run builds a fresh ISO whose command line ends in token=<random>, boots
it, timestamps every serial line, and then checks: every expected regex
matched some line (any order: CPUs interleave), no forbidden regex matched, no
second boot banner (a reset), the kernel echoed "ktest: token <random>", and
QEMU's exit status is the expected one (33 pass, 35 fail, 37 panic). The log
is kept in <build>/boot-logs/<case>.log. Exit status: 0 all passed, 1 not.
"""
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__

import argparse
import fnmatch
import math
import os
import random
import re
import signal
import string
import tempfile
import time

import bochs
import bootcase
import qemu

HERE = os.path.dirname(os.path.abspath(__file__))
CONTEXT_LINES = 30


def new_token():
    """A fresh 12-character token per run, so no old log and no hard-coded line can pass."""
    rng = random.SystemRandom()
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(12))


def token_regex(token):
    """The line the kernel prints after its self-tests, echoing token= (ktest.cpp)."""
    return rf"ktest: token {token}\b"


def required(case, token):
    """Every regex that must match some line."""
    return list(case.expect) + ([token_regex(token)] if case.token else [])


def runner(case):
    """The module that runs @p case: qemu or bochs (same functions, same Run)."""
    return bochs if case.emulator == "bochs" else qemu


def explain_status(run):
    """Say in words what QEMU's exit status means (Bochs's: the verdict line's)."""
    s, emu = run.status, run.emulator
    if run.timed_out:
        return f"none: {emu} killed at the timeout"
    if run.stopped_early:
        return f"none: {emu} stopped once every expected line was seen"
    names = {v: k for k, v in bootcase.STATUS.items()}
    if s in names:
        return names[s]
    if s == 0:
        if run.triple_fault:
            return "no exit device reached: triple fault (-no-reboot turned the reset into an exit)"
        return "no exit device reached: the machine reset or powered off"
    if s == 1 and run.stderr:
        return f"{emu} error: " + run.stderr.splitlines()[-1]
    if s is not None and s < 0:
        return f"{emu} killed by signal {-s}"
    if s is not None and s % 2 == 1:
        return f"the kernel wrote 0x{(s - 1) // 2:02x} to the exit port, not 0x10/0x11/0x12"
    return "unknown"


def judge(case, run, token):
    """Return the list of failures of one run (empty: it passed)."""
    if run.status == 1 and run.stderr and not run.lines:
        return [f"{run.emulator} error: " + run.stderr.splitlines()[-1]]  # it never started the machine
    fails = []
    if run.timed_out:
        fails.append(f"timeout after {case.timeout:g} s ({run.emulator} killed)")
    lines = [text for _, text in run.lines]
    for rx in case.expect:
        if not any(re.search(rx, l) for l in lines):
            fails.append(f"MISSING '{rx}'")
    if case.token and not any(re.search(token_regex(token), l) for l in lines):
        seen = [l for l in lines if "ktest: token" in l]
        why = f"; saw '{seen[-1].strip()}'" if seen else ""
        fails.append(f"MISSING 'ktest: token {token}' (this run's token= must be echoed{why})")
    for rx, want in case.count.items():
        n = sum(1 for l in lines if re.search(rx, l))
        if n != want:
            fails.append(f"COUNT '{rx}' matched {n} line(s), expected exactly {want}")
    online = case.expected_online()
    if online and not run.timed_out:
        rx = rf"smp: {online.replace('/', '/')} cpus online"
        if not any(re.search(rx, l) for l in lines):
            seen = [l for l in lines if re.search(r"smp: \d+/\d+ cpus online", l)]
            fails.append(f"MISSING '{rx}' (every CPU of -smp {case.smp} must come up"
                         + (f"; saw '{seen[-1].strip()}')" if seen else ")"))
    allowed = [re.compile(a) for a in case.allow]
    custom = set(case.forbid)
    for rx in case.forbidden():
        hit = next((l for l in lines if re.search(rx, l)
                    and (rx in custom or not any(a.search(l) for a in allowed))), None)
        if hit is not None:
            fails.append(f"FORBIDDEN '{rx}' matched: {hit.strip()}")
    if run.emulator == "Bochs":  # Bochs's own panic and error log lines (bochs.py problems())
        for l in (run.stderr or "").splitlines():
            if l.strip() and not any(a.search(l) for a in allowed) and not run.triple_fault:
                fails.append(f"BOCHS said: {l.strip()}")
    banners = [l for l in lines if re.search(bootcase.ANY_BANNER, l)]
    if len(banners) > 1:
        fails.append(f"FORBIDDEN '{bootcase.ANY_BANNER}' matched a second time "
                     f"(the machine reset: a triple fault?): {banners[1].strip()}")
    if case.exit is not None and not run.timed_out:
        want = bootcase.STATUS[case.exit]
        if run.status != want:
            fails.append(f"exit status {run.status} ({explain_status(run)}), "
                         f"expected {want} ({case.exit})")
    return fails


def stop_when_seen(patterns):
    """For exit=None: a test that is true once every pattern matched some line."""
    todo = [re.compile(p) for p in patterns]
    done = [0]  # lines already looked at

    def seen_all(lines):
        for _, text in lines[done[0]:]:
            todo[:] = [rx for rx in todo if not rx.search(text)]
        done[0] = len(lines)
        return not todo
    return seen_all


def write_log(path, case, cmdline, cmd, run, fails):
    with open(path, "w") as f:
        f.write(f"# case:    {case.name} ({case.source or 'command line'})\n")
        f.write(f"# labels:  {', '.join(case.all_labels())}\n")
        f.write(f"# cmdline: {cmdline}\n")
        f.write(f"# {case.emulator + ':':8} {' '.join(cmd)}\n")
        f.write(f"# started: {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        f.write("# host seconds | serial line\n")
        for t, text in run.lines:
            f.write(f"{t:8.3f} | {text}\n")
        f.write(f"# {case.emulator} exit status: {run.status} ({explain_status(run)}) after {run.seconds:.2f} s\n")
        if run.stderr:
            f.write(f"# {case.emulator} stderr:\n" + "".join(f"#   {l}\n" for l in run.stderr.splitlines()))
        f.write("# verdict: " + ("PASS\n" if not fails else "FAIL\n"))
        f.writelines(f"#   {x}\n" for x in fails)


def report_failure(case, run, fails, log_path):
    for x in fails:
        print(f"FAIL {case.name}: {x}")
    tail = run.lines[-CONTEXT_LINES:]
    print(f"---- last {len(tail)} lines of serial output (host seconds | line) ----")
    for t, text in tail:
        print(f"{t:8.3f} | {text}")
    if not run.lines and not run.stderr:
        print("(no serial output at all: did GRUB start? is the ISO bootable with this firmware?)")
    if run.stderr:
        print(f"---- {run.emulator} stderr ----\n" + "\n".join(run.stderr.splitlines()[-10:]))
    print(f"---- full log: {log_path}")


def boot_once(case, build_dir, log_path, verbose):
    """Build the ISO, boot it, judge it, keep the log. True when the run passed."""
    emu = runner(case)
    problems = emu.missing_tools(case)
    if problems:
        for p in problems:
            print(f"FAIL {case.name}: {p}")
        return False
    token = new_token()
    cmdline = f"{case.cmdline} token={token}".strip()
    with tempfile.TemporaryDirectory(prefix="cohort-boot-") as tmp:
        iso = os.path.join(tmp, f"{case.name}.iso")
        err = qemu.build_iso(build_dir, case.arch, cmdline, iso, case.grub, case.files, case.modules)
        if err:
            print(f"FAIL {case.name}: {err}")
            return False
        cmd = emu.command(case, iso, tmp)
        echo = (lambda t, text: print(f"{t:8.3f} | {text}", flush=True)) if verbose else None
        stop = stop_when_seen(required(case, token)) if case.exit is None else None
        run = emu.run(cmd, case.timeout, tmp, case.script, stop, echo)
    fails = judge(case, run, token)
    write_log(log_path, case, cmdline, cmd, run, fails)
    if fails:
        report_failure(case, run, fails, log_path)
        return False
    print(f"PASS {case.name} ({run.seconds:.1f} s, exit {run.status if run.status is not None else 'none'}"
          f"; log: {log_path})")
    return True


def host_cpus(case):
    """How many host CPUs a run keeps busy: TCG runs one thread per vCPU, Bochs one in all,
    and so does QEMU under -icount (its vCPUs take turns on one thread)."""
    if case.emulator == "bochs" or "-icount" in case.qemu_args:
        return 1
    m = re.match(r"\d+", case.smp)
    return 1 if m and int(m.group()) == 1 else 2


def adhoc_case(a):
    """A case made from command-line flags, for students and scripts."""
    exit_ = None if a.exit == "none" else a.exit
    return bootcase.Case(name=a.name, arch=a.arch, cmdline=a.cmdline, smp=a.smp,
                         machine=a.machine, cpu=a.cpu, memory=a.memory, firmware=a.firmware,
                         qemu_args=a.qemu_args, expect=a.expect, forbid=a.forbid,
                         allow_panic=True if a.allow_panic else None, token=not a.no_token,
                         exit=exit_, timeout=a.timeout, script=[tuple(s) for s in a.send],
                         needs_x2apic=a.x2apic, emulator=a.emulator)


def parse_args(argv):
    qemu_args = []
    if "--" in argv:  # everything after -- goes to QEMU unchanged
        i = argv.index("--")
        argv, qemu_args = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="Arguments after -- are passed to QEMU.")
    p.add_argument("--build-dir", default=os.path.join(qemu.TOP, "build"),
                   help="CMake build directory with kernel-<arch>.elf (default: build)")
    p.add_argument("--list", action="store_true", help="list the registered cases and exit")
    p.add_argument("--case", action="append", default=[], metavar="NAME",
                   help="run a registered case; shell patterns allowed; repeatable")
    p.add_argument("--repeat", type=int, default=1, metavar="N", help="run each case N times")
    p.add_argument("-v", "--verbose", action="store_true", help="print serial lines as they come")
    g = p.add_argument_group("ad-hoc run (without --case)")
    g.add_argument("--name", default="adhoc", help="name of the run and its log (default adhoc)")
    g.add_argument("--arch", default="amd64", choices=bootcase.ARCHES)
    g.add_argument("--smp", default="1", help="QEMU -smp string (default 1)")
    g.add_argument("--machine", default="pc", help="QEMU -machine (default pc; q35, pc,acpi=off)")
    g.add_argument("--cpu", default=None, help="QEMU -cpu model (default: QEMU's)")
    g.add_argument("--memory", default="128M", help="QEMU -m (default 128M)")
    g.add_argument("--firmware", default="bios", choices=bootcase.FIRMWARES)
    g.add_argument("--cmdline", default="", help="kernel command line (token= is appended)")
    g.add_argument("--expect", action="append", default=[], metavar="REGEX",
                   help="a line matching REGEX must appear; repeatable")
    g.add_argument("--forbid", action="append", default=[], metavar="REGEX",
                   help="no line may match REGEX (added to PANIC, EXCEPTION, ...); repeatable")
    g.add_argument("--exit", default="pass", choices=list(bootcase.EXITS) + ["none"],
                   help="expected exit; none: stop once every --expect matched")
    g.add_argument("--no-token", action="store_true", help="do not require the token echo")
    g.add_argument("--allow-panic", action="store_true", help="PANIC and EXCEPTION lines are not failures")
    g.add_argument("--timeout", type=float, default=60, help="seconds (default 60)")
    g.add_argument("--send", nargs=2, action="append", default=[], metavar=("REGEX", "TEXT"),
                   help="when REGEX matches, write TEXT to the serial input; repeatable, in order")
    g.add_argument("--x2apic", action="store_true",
                   help="the run needs x2APIC (QEMU >= 9); in Bochs: CPUs with x2APIC")
    g.add_argument("--emulator", default="qemu", choices=bootcase.EMULATORS,
                   help="qemu (default) or bochs (tools/bochs/*.bochsrc; --smp is a count)")
    a = p.parse_args(argv)
    a.qemu_args = qemu_args
    return a


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `boot.py ... | head` ends quietly
    a = parse_args(argv)
    try:
        cases = bootcase.load_cases(os.path.join(HERE, "cases"))
    except (ValueError, SyntaxError, TypeError) as e:
        print(f"FAIL: cannot load tests/boot/cases: {e}")
        return 1
    if a.list:
        for c in cases.values():
            print(f"{c.name}\t{','.join(c.all_labels())}\t{math.ceil(c.timeout)}\t{host_cpus(c)}")
        return 0
    if a.case:
        chosen = [c for n, c in cases.items() if any(fnmatch.fnmatchcase(n, p) for p in a.case)]
        if not chosen:
            print(f"FAIL: no case matches {' '.join(a.case)} (boot.py --list shows them)")
            return 1
    else:
        try:
            chosen = [adhoc_case(a)]
            bootcase.check_case(chosen[0])
        except ValueError as e:
            print(f"FAIL: {e}")
            return 1
    logs = os.path.join(os.path.abspath(a.build_dir), "boot-logs")
    os.makedirs(logs, exist_ok=True)
    failed = []
    for c in chosen:
        for k in range(1, a.repeat + 1):
            suffix = f".run{k}" if a.repeat > 1 else ""
            if not boot_once(c, a.build_dir, os.path.join(logs, f"{c.name}{suffix}.log"), a.verbose):
                failed.append(f"{c.name}{suffix}")
    runs = len(chosen) * a.repeat
    if runs > 1:
        print(f"{runs - len(failed)}/{runs} runs passed" + (f"; failed: {' '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
