"""Running one boot in QEMU: the tools it needs, the ISO, the command line,
and the serial conversation (timestamped lines in, scripted text out)."""
import ctypes
import os
import re
import selectors
import shutil
import subprocess
import time

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
QEMU = "qemu-system-x86_64"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
QEMU_MIN_X2APIC = 9  # Debian 12's QEMU 7.2 drops x2APIC under TCG (PITFALLS)
INSTALL = "install it with: sudo tools/install-deps (Debian 12; QEMU comes from bookworm-backports)"

PR_SET_THP_DISABLE = 41  # prctl(2)


def set_thp(enabled):
    """Transparent huge pages on or off for this process and what it starts
    from now on (PR_SET_THP_DISABLE is kept across fork and exec). QEMU asks
    for huge pages for guest RAM and for its translated code. The thread that
    first touches a 2 MiB page zeroes it, and on a virtual host that took up
    to 8 ms, while that vCPU thread held the lock of the guest page it was
    translating and other vCPU threads spun on it (docs/bench.md). The boot
    tests, the bench and `make run` (tools/no-thp) start QEMU with them off.
    False if the host refused."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_THP_DISABLE, 0 if enabled else 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


# GRUB paints its menu with terminal escapes; they are noise in a log.
ESCAPES = re.compile(r"\x1b(\[[0-9;?=>]*[A-Za-z]|[()][A-Z0-9]|[=>78])")


def missing_iso_tools(arch, need=None):
    """Messages for the missing tools that build an @p arch ISO, and for those of
    @p need ({program: package}) not on the PATH."""
    need = dict(need or {}, **{"grub-mkrescue": "grub-common", "xorriso": "xorriso"})
    if arch == "amd64":
        need["mformat"] = "mtools"  # grub-mkrescue builds the EFI image with it
    msgs = [f"{tool} not found (package {pkg}): {INSTALL}"
            for tool, pkg in need.items() if not shutil.which(tool)]
    grubdirs = {"/usr/lib/grub/i386-pc": "grub-pc-bin"}
    if arch == "amd64":
        grubdirs["/usr/lib/grub/x86_64-efi"] = "grub-efi-amd64-bin"
    return msgs + [f"{d} missing (package {pkg}): the ISO would not boot; {INSTALL}"
                   for d, pkg in grubdirs.items() if not os.path.isdir(d)]


def missing_tools(case):
    """Return a list of messages, one per missing tool this case needs."""
    msgs = missing_iso_tools(case.arch, {QEMU: "qemu-system-x86"})
    if case.firmware == "uefi":
        msgs += [f"{f} missing (package ovmf): {INSTALL}"
                 for f in (OVMF_CODE, OVMF_VARS) if not os.path.isfile(f)]
    if (case.needs_x2apic or "+x2apic" in (case.cpu or "")) and not msgs:
        major, text = qemu_version()
        if major < QEMU_MIN_X2APIC:
            msgs.append(f"this case needs x2APIC under TCG, which needs QEMU >= {QEMU_MIN_X2APIC}; "
                        f"found {text!r}: {INSTALL}")
    return msgs


def qemu_version():
    """(major, first line of --version), or (0, error text)."""
    try:
        out = subprocess.run([QEMU, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        return 0, str(e)
    m = re.search(r"version (\d+)\.", out)
    return (int(m.group(1)) if m else 0), out.splitlines()[0] if out else "?"


def build_iso(build_dir, arch, cmdline, out, grub=(), files=None, modules=None):
    """Make an ISO whose default GRUB entry boots @p cmdline; None or an error message.
    @p files maps names to bytes, written to /boot/<name> on the ISO; the GRUB
    commands @p grub run before multiboot2 (tools/mkiso --file, --grub). The
    user programs beside the kernel (build/user-<arch>/) are loaded as modules,
    then @p modules, which maps names to bytes or to a function of the build
    folder that gives them (tools/mkiso --module)."""
    kernel = os.path.join(build_dir, f"kernel-{arch}.elf")
    if not os.path.isfile(kernel):
        return f"{kernel} not built: run `make build` (or cmake --build {build_dir})"
    extra = []
    for name, data in (files or {}).items():
        path = os.path.join(os.path.dirname(os.path.abspath(out)), name)
        with open(path, "wb") as f:
            f.write(data)
        extra += ["--file", path]
    for line in grub:
        extra += ["--grub", line]
    for name, data in (modules or {}).items():
        if callable(data):
            try:
                data = data(build_dir)
            except OSError as e:
                return f"module {name}: {e}"
        folder = os.path.join(os.path.dirname(os.path.abspath(out)), "modules")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(data)
        extra += ["--module", path]
    r = subprocess.run([os.path.join(TOP, "tools", "mkiso"), "--arch", arch, "--kernel", kernel,
                        "--out", out, "--cmdline", cmdline] + extra, capture_output=True, text=True)
    return None if r.returncode == 0 else f"tools/mkiso failed: {r.stderr.strip()}"


def command(case, iso, tmp, reset_log=True):
    """The QEMU command line for @p case booting @p iso; scratch files go in @p tmp.

    @p reset_log: QEMU's `-d cpu_reset`, whose log names a triple fault. It
    also dumps a CPU's registers at every reset, each INIT an AP takes
    included, under QEMU's global lock, which the other vCPUs' device and
    APIC accesses wait for: a few milliseconds at 8 vCPUs. tools/bench turns
    it off (a triple fault then shows as exit status 0, which it reports)."""
    cmd = [QEMU, "-machine", case.machine, "-smp", case.smp, "-m", case.memory,
           "-display", "none", "-monitor", "none",
           "-serial", "stdio",                   # our pipe: read the log, write the script
           "-no-reboot",                         # a triple fault ends QEMU (status 0)
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-boot", "d", "-cdrom", iso]
    if reset_log:
        cmd += ["-d", "cpu_reset", "-D", os.path.join(tmp, "qemu-debug.log")]  # "Triple fault"
    if case.cpu:
        cmd += ["-cpu", case.cpu]
    if case.firmware == "uefi":
        vars_copy = os.path.join(tmp, "OVMF_VARS.fd")  # OVMF writes its variables here
        shutil.copyfile(OVMF_VARS, vars_copy)
        cmd += ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
                "-drive", f"if=pflash,format=raw,file={vars_copy}"]
    return cmd + list(case.qemu_args)


class Run:
    """What one QEMU run left behind."""
    def __init__(self, emulator="QEMU"):
        self.emulator = emulator  # its name in messages
        self.lines = []          # (host seconds since start, text)
        self.status = None       # QEMU exit status; None if we stopped it
        self.timed_out = False
        self.stopped_early = False  # exit=None: every expected line seen, QEMU stopped
        self.stderr = ""
        self.triple_fault = False
        self.seconds = 0.0


def clean(raw):
    return ESCAPES.sub("", raw.decode("utf-8", "replace")).replace("\r", "")


class Serial:
    """Cuts the serial byte stream into lines, each stamped with the time its first byte came.

    A bare carriage return does not count: GRUB ends its last line with
    "\\n\\r", and the kernel's first line may come a tenth of a second later."""
    def __init__(self):
        self.partial, self.t = b"", 0.0

    def add(self, data, now):
        """Take @p data, return the lines it finished as (time, text)."""
        if not self.partial.strip(b"\r"):
            self.t = now
        *whole, self.partial = (self.partial + data).split(b"\n")
        done = []
        for raw in whole:
            done.append((self.t, clean(raw)))
            self.t = now
        return done


class Script:
    """Scripted serial input: each (regex, text) step writes text once regex matches
    output that came after the previous step. Prompts end without a newline, so the
    unfinished last line is looked at too."""
    def __init__(self, steps, stdin):
        self.steps = [(re.compile(w), text) for w, text in steps]
        self.stdin = stdin
        self.fired_on_partial = False  # the unfinished line already answered a step

    def _try(self, text):
        if not (self.steps and self.steps[0][0].search(text)):
            return False
        try:
            self.stdin.write(self.steps.pop(0)[1].encode())
            self.stdin.flush()
        except OSError:
            pass  # QEMU has exited; its exit status will tell why
        return True

    def line(self, text):
        if not self.fired_on_partial:
            self._try(text)
        self.fired_on_partial = False

    def prompt(self, text):
        if text and not self.fired_on_partial:
            self.fired_on_partial = self._try(text)


def run(cmd, timeout, tmp, script=(), stop_when=None, echo=None, host_thp=False):
    """Start QEMU, collect serial lines until it exits or @p timeout seconds pass.

    @p host_thp: keep the host's transparent huge pages (set_thp()); off by default.

    @p script: (regex, text) pairs for Script.
    @p stop_when(lines): if given and true, QEMU is stopped (exit=None cases).
    @p echo(t, line): called for every line as it arrives (--verbose).
    """
    r = Run()
    errpath = os.path.join(tmp, "qemu-stderr.txt")
    start = time.monotonic()
    set_thp(host_thp)
    with open(errpath, "wb") as err:
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        except OSError as e:
            r.status, r.stderr = 1, f"cannot start {cmd[0]}: {e}"
            return r
    serial, answers = Serial(), Script(script, proc.stdin)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    while True:
        left = start + timeout - time.monotonic()
        if left <= 0:
            r.timed_out = True
            break
        if not sel.select(min(left, 0.5)):
            continue
        data = os.read(proc.stdout.fileno(), 65536)
        if not data:
            break  # QEMU closed its end: it has exited
        for t, text in serial.add(data, time.monotonic() - start):
            r.lines.append((t, text))
            if echo:
                echo(t, text)
            answers.line(text)
        answers.prompt(clean(serial.partial))
        if stop_when and stop_when(r.lines):
            r.stopped_early = True
            break
    if serial.partial:
        r.lines.append((serial.t, clean(serial.partial)))
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
    r.status = None if (r.timed_out or r.stopped_early) else proc.wait()
    r.seconds = time.monotonic() - start
    try:
        proc.stdin.close()
    except OSError:
        pass  # QEMU is gone; nothing left to tell it
    with open(errpath, errors="replace") as f:  # our own SIGTERM is not news
        r.stderr = "\n".join(l for l in f.read().strip().splitlines()
                             if "terminating on signal" not in l)
    r.triple_fault = saw_triple_fault(os.path.join(tmp, "qemu-debug.log"))
    return r


def saw_triple_fault(path):
    """QEMU's -d cpu_reset log says "Triple fault" when the guest triple-faulted."""
    try:
        with open(path, errors="replace") as f:
            return any("Triple fault" in line for line in f)
    except OSError:
        return False
