#!/usr/bin/env python3
"""Running one boot in Bochs 2.7: the tools it needs, its command line, and the
serial log, which Bochs writes to a file (tools/bochs/*.bochsrc).

Bochs has no exit device. The kernel prints `cohort: exit pass (0x10)` (fail,
panic) before it writes port 0xf4, so that line is the verdict: the runner
stops Bochs there and reports the status QEMU would have given (33, 35, 37),
so one judge serves both emulators. Bochs stopping on its own means a Bochs
panic; with reset_on_triple_fault=0 a triple fault is one of them, reported
like QEMU's -no-reboot exit (status 0).

As a program it is `make bochs`:

    bochs.py --arch amd64 --cpus 4 --iso build/cohort-amd64.iso --out build/bochs-amd64
    bochs.py ... --headless        serial log on this terminal, stop at the exit line
"""
import sys

sys.dont_write_bytecode = True

import argparse
import fcntl
import glob
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

import bootcase
import qemu

BOCHS = "bochs"
RC_DIR = os.path.join(qemu.TOP, "tools", "bochs")
BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGABIOS = "/usr/share/vgabios/vgabios.bin"
TERM_GUI = "/usr/lib/*/bochs/plugins/libbx_term_gui.so*"
# Bochs 2.7 keeps a fixed number of timers and every local APIC takes one:
# 17 CPUs fail with "register_timer: too many registered timers".
MAX_CPUS = bootcase.BOCHS_MAX_CPUS
# The emulated clock counts instructions: the TSC ticks at IPS, and every
# guest wait (BIOS, GRUB, INIT/SIPI delays) costs wait * IPS instructions per
# spinning CPU. 2 million keeps a 14-CPU boot near ten seconds; the UART driver
# polls long enough for it (PITFALLS: ips=1000000).
IPS = 2_000_000
VERDICT = re.compile(r"cohort: exit (pass|fail|panic) \(0x[0-9a-f]+\)")
# Bochs log lines of level panic (p) or error (e): "00001234567p[CPU0  ] >>PANIC<< ...".
BAD_LOG = re.compile(r"^\d+[pe]\[")
# What Bochs says, as a panic, when a CPU triple-faults with reset_on_triple_fault=0.
TRIPLE_FAULT = re.compile(r"3rd \(\d+\) exception with no resolution")


def missing_tools(case):
    """Return a list of messages, one per missing tool this case needs."""
    msgs = qemu.missing_iso_tools(case.arch, {BOCHS: "bochs"})
    files = {BIOS: "bochsbios", VGABIOS: "vgabios"}
    msgs += [f"{f} missing (package {pkg}): {qemu.INSTALL}"
             for f, pkg in files.items() if not os.path.isfile(f)]
    if not glob.glob(TERM_GUI):
        msgs.append(f"Bochs's term display missing (package bochs-term): {qemu.INSTALL}")
    return msgs


def environment(arch, cpus, x2apic, iso, serial, log, ips=IPS):
    """The variables tools/bochs/*.bochsrc reads."""
    return {"COHORT_BOCHS_DIR": RC_DIR, "COHORT_ISO": os.path.abspath(iso),
            "COHORT_CPUS": str(cpus), "COHORT_IPS": str(ips),
            "COHORT_APIC": "x2apic" if x2apic else "xapic",
            "COHORT_SERIAL": os.path.abspath(serial), "COHORT_LOG": os.path.abspath(log)}


def bochs_args(arch):
    return [BOCHS, "-q", "-f", os.path.join(RC_DIR, f"{arch}.bochsrc"),
            "-rc", os.path.join(RC_DIR, "cmds")]


def command(case, iso, tmp):
    """The command for @p case booting @p iso: `env VAR=... bochs ...`, so the log
    shows a line that can be pasted. Bochs's own files go in @p tmp."""
    env = environment(case.arch, int(case.smp), case.needs_x2apic, iso,
                      os.path.join(tmp, "serial.log"), os.path.join(tmp, "bochs.log"))
    env["TERM"] = "vt100"  # for the term display on a pseudo-terminal
    return ["env"] + [f"{k}={v}" for k, v in env.items()] + bochs_args(case.arch)


def remove_locks(iso):
    """A killed Bochs leaves <image>.lock, and the next run refuses the image."""
    try:
        os.remove(iso + ".lock")
    except FileNotFoundError:
        pass


def pseudo_terminal():
    """(master, slave) of a 25x80 pseudo-terminal for the term display."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 25, 80, 0, 0))
    return master, slave


def drain(fd, wait):
    """Read and drop what Bochs drew on its screen (it blocks if nobody reads)."""
    if select.select([fd], [], [], wait)[0]:
        try:
            os.read(fd, 65536)
        except OSError:
            pass  # Bochs has closed the terminal: it has exited


def stop(proc):
    """End Bochs (its own session, started by us) and wait for it. SIGKILL: Bochs
    with its debugger compiled in outlives SIGTERM."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def problems(tmp, stderr_text):
    """Bochs's panic and error lines, and what it said on leaving."""
    out = []
    try:
        with open(os.path.join(tmp, "bochs.log"), errors="replace") as f:
            out = [l.strip() for l in f if BAD_LOG.match(l)]
    except OSError:
        pass
    lines = stderr_text.splitlines()
    if "Bochs is exiting with the following message:" in lines:
        out += lines[lines.index("Bochs is exiting with the following message:") + 1:][:1]
    return out


def run(cmd, timeout, tmp, script=(), stop_when=None, echo=None):
    """Start Bochs, collect serial lines until the verdict line, Bochs's exit or
    @p timeout seconds. Same arguments and result as qemu.run(); @p script must
    be empty (COM1 is a file: no input)."""
    assert not script, "Bochs cases take no serial input"
    r = qemu.Run("Bochs")
    serial_path = os.path.join(tmp, "serial.log")
    errpath = os.path.join(tmp, "bochs-stderr.txt")
    if os.path.exists(serial_path):
        os.remove(serial_path)  # an old run's verdict must not be read as this one's
    master, slave = pseudo_terminal()
    start = time.monotonic()
    try:
        with open(errpath, "wb") as err:
            proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=err, cwd=tmp,
                                    start_new_session=True)
    except OSError as e:
        r.status, r.stderr = 1, f"cannot start {cmd[0]}: {e}"
        os.close(master)
        os.close(slave)
        return r
    os.close(slave)
    serial, log, verdict = qemu.Serial(), None, None
    while verdict is None:
        now = time.monotonic() - start
        if now >= timeout:
            r.timed_out = True
            break
        exited = proc.poll() is not None  # looked at before the last read
        drain(master, 0.1)
        if log is None and os.path.exists(serial_path):
            log = open(serial_path, "rb")
        for t, text in serial.add(log.read() if log else b"", now):
            r.lines.append((t, text))
            if echo:
                echo(t, text)
            m = VERDICT.search(text)
            verdict = verdict or (m and m.group(1))
        if stop_when and stop_when(r.lines):
            r.stopped_early = True
            break
        if exited:
            break
    if serial.partial:
        r.lines.append((serial.t, qemu.clean(serial.partial)))
    stop(proc)
    os.close(master)
    if log:
        log.close()
    r.seconds = time.monotonic() - start
    with open(errpath, errors="replace") as f:
        r.stderr = "\n".join(problems(tmp, f.read()))
    r.triple_fault = bool(TRIPLE_FAULT.search(r.stderr))
    if verdict:
        r.status = bootcase.STATUS[verdict]
    elif not (r.timed_out or r.stopped_early):
        r.status = 0 if r.triple_fault else (proc.returncode or 1)
    return r


def main(argv):
    p = argparse.ArgumentParser(description="Boot a Cohort ISO in Bochs 2.7 (make bochs).")
    p.add_argument("--arch", default="amd64", choices=bootcase.ARCHES)
    p.add_argument("--cpus", type=int, default=1, help=f"processors, 1..{MAX_CPUS}")
    p.add_argument("--x2apic", action="store_true", help="CPUs with x2APIC (cpuid: apic=x2apic)")
    p.add_argument("--ips", type=int, default=IPS, help=f"emulated instructions per second ({IPS})")
    p.add_argument("--iso", required=True)
    p.add_argument("--out", required=True, help="folder for serial.log and bochs.log")
    p.add_argument("--headless", action="store_true",
                   help="serial log on this terminal, Bochs stopped at the kernel's exit line")
    p.add_argument("--timeout", type=float, default=3600, help="seconds, --headless only")
    a = p.parse_args(argv)
    if not 1 <= a.cpus <= MAX_CPUS:
        p.error(f"--cpus: Bochs 2.7 runs 1 to {MAX_CPUS} CPUs")
    case = bootcase.Case(name="bochs", arch=a.arch, emulator="bochs")
    missing = missing_tools(case)
    for msg in missing:
        print(f"bochs: {msg}")
    if missing:
        return 1
    os.makedirs(a.out, exist_ok=True)
    serial, log = os.path.join(a.out, "serial.log"), os.path.join(a.out, "bochs.log")
    remove_locks(a.iso)
    env = environment(a.arch, a.cpus, a.x2apic, a.iso, serial, log, a.ips)
    if not a.headless:
        print(f"bochs: the screen is this terminal; serial log: {serial} (tail -f it); "
              f"Bochs's log: {log}. Ctrl-C, then q, quits.")
        os.execvpe(BOCHS, bochs_args(a.arch), dict(os.environ, **env))
    env["TERM"] = "vt100"
    cmd = ["env"] + [f"{k}={v}" for k, v in env.items()] + bochs_args(a.arch)
    print(f"bochs: {a.arch}, {a.cpus} CPU(s), {'x2APIC' if a.x2apic else 'xAPIC'}, ips {a.ips}; "
          f"logs in {a.out}", flush=True)
    r = run(cmd, a.timeout, a.out, echo=lambda t, text: print(text, flush=True))
    if r.stderr:
        print("bochs: " + "\nbochs: ".join(r.stderr.splitlines()))
    print(f"bochs: {r.seconds:.1f} s, " + ("timeout" if r.timed_out else f"status {r.status}"))
    return 0 if r.status == bootcase.STATUS["pass"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
