# Cohort's gdb helpers: the per-CPU blocks (struct Cpu in src/cpu.h) read
# through the kernel's own debug information. `make gdb` loads this file; by
# hand it is `source tools/gdb/cohort.py` (docs/debugging.md).
#
#   cohort-cpus [--static]   one line per CPU block: kernel id, APIC id, APIC
#                            mode, online, boot stage, runlevel, gdb thread
#   cohort-cpu N             CPU N's block in full, by kernel id
#   cohort-disas BITS [ADDR [COUNT]]
#                            disassemble target memory as 16- or 32-bit code
#                            (gdb decodes everything as 64-bit code while it
#                            debugs the amd64 kernel, the trampoline included)
#
# --static reads the ELF alone, with no machine running: the CPU blocks as the
# image starts them (in .bss: all zero) and the header layout the trampoline
# relies on. Each QEMU vCPU is a gdb thread; which thread runs which CPU block
# is found from the GS base (amd64) or, failing that, from the stack pointer.
import os
import subprocess
import tempfile

import gdb

KSTACK_SIZE_FALLBACK = 16 * 1024   # config.h KSTACK_SIZE, if the DWARF lacks it
BOOT_STACK_SIZE = 16 * 1024        # boot.asm: the BSP's stack until its scheduler runs


def _live():
    """True when a machine is attached (threads exist to read from)."""
    try:
        return gdb.selected_inferior().pid != 0 and len(gdb.selected_inferior().threads()) > 0
    except gdb.error:
        return False


def _cpus_symbol():
    sym = gdb.lookup_global_symbol("cpus")
    if sym is None:
        raise gdb.GdbError("no symbol 'cpus': load a Cohort kernel ELF (build/kernel-<arch>.elf)")
    return sym


def _zero(t):
    """A value of type t with every byte zero: what .bss holds before boot."""
    return gdb.Value(bytes(t.sizeof), t)


def _fetch(v, static):
    """Value v, read now. In static mode it comes from the ELF image, where
    .bss has no bytes in the file: such a value starts as zero."""
    try:
        v.fetch_lazy()
        return v
    except gdb.MemoryError:
        if static:
            return _zero(v.type)
        raise


def _cpu(k, static):
    """cpus[k] (one element: the whole array is larger than gdb's max-value-size)."""
    return _fetch(_cpus_symbol().value()[k], static)


def _enum_name(type_name, value):
    """The enumerator of enum `type_name` whose value is `value`, else the number."""
    try:
        t = gdb.lookup_type(type_name)
    except gdb.error:
        return str(value)
    for f in t.fields():
        if f.enumval == value:
            return f.name.split("::")[-1]
    return str(value)


def _mode_name(v):
    return {"None": "none", "XApic": "xapic", "X2Apic": "x2apic"}.get(str(v).split("::")[-1], str(v))


def _kstack_size():
    try:
        return int(gdb.parse_and_eval("KSTACK_SIZE"))
    except gdb.error:
        return KSTACK_SIZE_FALLBACK


def _cpu_capacity():
    return _cpus_symbol().type.range()[1] + 1


def _cpu_count(static):
    """Blocks worth showing: the usable CPUs of the CPU table, at least the BSP."""
    sym = gdb.lookup_global_symbol("cpu_table")
    n = int(_fetch(sym.value()["usable"], static)) if sym is not None else 0
    return max(1, min(n, _cpu_capacity()))


def _threads_by_cpu(n):
    """Map kernel id -> gdb thread number, for the threads we can place."""
    found = {}
    inferior = gdb.selected_inferior()
    before = gdb.selected_thread()
    base = int(_cpus_symbol().value().address)
    size = _cpus_symbol().type.target().sizeof
    kstack = _kstack_size()
    boot_top = gdb.lookup_global_symbol("boot_stack_top")
    boot_top = int(boot_top.value().address) if boot_top is not None else 0
    try:
        for th in inferior.threads():
            th.switch()
            k = None
            try:  # amd64: GS base is this CPU's block (cpu.h, this_cpu())
                gs = int(gdb.parse_and_eval("$gs_base"))
                if base <= gs < base + n * size and (gs - base) % size == 0:
                    k = (gs - base) // size
            except gdb.error:
                pass
            if k is None:  # i686 (GS is a selector here): whose stack is it on?
                sp = int(gdb.parse_and_eval("$sp"))
                for i in range(n):
                    top = int(_cpu(i, False)["kstack_top"])
                    if top and top - kstack <= sp < top:
                        k = i
                if k is None and boot_top and boot_top - BOOT_STACK_SIZE <= sp < boot_top:
                    k = 0
            if k is not None:
                found.setdefault(k, th.num)
    finally:
        if before is not None:
            before.switch()
    return found


def _layout(cpu_type):
    """The header fields the trampoline reads (smpboot.inc CPU_*), with offsets."""
    parts = []
    for f in cpu_type.fields():
        if f.name is None:  # the anonymous union at offset 0: self / self_slot
            parts.append("self@%d" % (f.bitpos // 8))
        elif f.name in ("kstack_top", "gdtr", "boot_stage"):
            parts.append("%s@%d" % (f.name, f.bitpos // 8))
    return "struct Cpu: %d bytes; %s" % (cpu_type.sizeof, " ".join(parts))


class CohortCpus(gdb.Command):
    """Print the CPU table: one line per per-CPU block (cpus[], src/cpu.h).

Usage: cohort-cpus [--static]

Columns: kernel id, APIC id, APIC mode (none/xapic/x2apic, per CPU), online
flag, boot stage (smpboot.h BootStage), runlevel (runlevel.h), top of the
kernel stack, and the gdb thread (QEMU vCPU) running that block.
--static (or no machine attached): the values in the ELF image, before boot."""

    def __init__(self):
        super().__init__("cohort-cpus", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        static = "--static" in arg.split() or not _live()
        n = _cpu_count(static)
        threads = {} if static else _threads_by_cpu(n)
        if static:
            gdb.write("static: cpus[] as the ELF image holds it (before boot)\n")
            gdb.write(_layout(_cpus_symbol().type.target()) + "\n")
        gdb.write("%-4s %-8s %-7s %-6s %-16s %-13s %-18s %s\n" %
                  ("kid", "apic_id", "mode", "online", "boot_stage", "runlevel", "kstack_top", "thread"))
        blocks = [_cpu(k, static) for k in range(n)]
        for k, c in enumerate(blocks):
            stage = int(c["boot_stage"])
            rl = int(c["runlevel"])
            gdb.write("%-4d %-8d %-7s %-6d %-16s %-13s 0x%-16x %s\n" % (
                k,
                int(c["apic_id"]), _mode_name(c["apic_mode"]), int(c["online"]),
                "%d %s" % (stage, _enum_name("BootStage", stage).replace("Stage", "")),
                "%d %s" % (rl, _enum_name("Runlevel", rl)),
                int(c["kstack_top"]), threads.get(k, "-")))
        for k, c in enumerate(blocks):
            if int(c["self"]) and int(c["id"]) != k:
                gdb.write("note: cpus[%d].id is %d: the block and its index disagree\n" % (k, int(c["id"])))


class CohortCpu(gdb.Command):
    """Print one CPU's block (cpus[N], src/cpu.h) by kernel id.

Usage: cohort-cpu N [--static]"""

    def __init__(self):
        super().__init__("cohort-cpu", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        args = arg.split()
        static = "--static" in args or not _live()
        args = [a for a in args if a != "--static"]
        if len(args) != 1:
            raise gdb.GdbError("usage: cohort-cpu N   (N = kernel CPU id, 0 = the BSP)")
        k = int(gdb.parse_and_eval(args[0]))
        cap = _cpu_capacity()
        if not 0 <= k < cap:
            raise gdb.GdbError("cohort-cpu: %d is outside cpus[0..%d]" % (k, cap - 1))
        c = _cpu(k, static)
        f = c["features"]
        stage = int(c["boot_stage"])
        rl = int(c["runlevel"])
        rows = [
            ("block", "cpus[%d] at 0x%x (self 0x%x)" % (
                k, int(_cpus_symbol().value()[k].address), int(c["self"]))),
            ("id / apic_id", "%d / %d" % (int(c["id"]), int(c["apic_id"]))),
            ("apic_mode", _mode_name(c["apic_mode"])),
            ("online / halted", "%d / %d" % (int(c["online"]), int(c["halted"]) if _has(c, "halted") else 0)),
            ("boot_stage", "%d %s" % (stage, _enum_name("BootStage", stage).replace("Stage", ""))),
            ("runlevel", "%d %s" % (rl, _enum_name("Runlevel", rl))),
            ("kstack_top / dfstack_top", "0x%x / 0x%x" % (int(c["kstack_top"]), int(c["dfstack_top"]))),
            ("gdtr", "base 0x%x limit %d" % (int(c["gdtr"]["base"]), int(c["gdtr"]["limit"]))),
            ("irq_count / nmi_count", "%d / %d" % (int(c["irq_count"]), int(c["nmi_count"]))),
            ("sipi_tsc / online_tsc", "%d / %d" % (int(c["sipi_tsc"]), int(c["online_tsc"]))),
            ("current", _thread_text(c["current"])),
            ("need_resched", str(int(c["need_resched"])) if _has(c, "need_resched") else "-"),
            ("cpuid", "%s family %d model %d stepping %d" % (
                f["vendor_string"].string() or "?", int(f["family"]), int(f["model"]), int(f["stepping"]))),
        ]
        for name, text in rows:
            gdb.write("%-26s %s\n" % (name, text))
        gdb.write("(everything: print cpus[%d]; the descriptor tables: print cpus[%d].arch)\n" % (k, k))


def _thread_text(ptr):
    """The running thread (Cpu::current, a void*) by name, when the kernel
    has a struct Thread (proc.h)."""
    addr = int(ptr.cast(gdb.lookup_type("unsigned long")))
    if addr == 0:
        return "none"
    try:
        t = ptr.cast(gdb.lookup_type("Thread").pointer()).dereference()
        return "0x%x thread %d \"%s\" (%s)" % (addr, int(t["tid"]), t["name"].string(),
                                             str(t["state"]).split("::")[-1])
    except (gdb.error, gdb.MemoryError, UnicodeDecodeError):
        return "0x%x" % addr


def _has(value, field):
    return any(f.name == field for f in value.type.fields())


class CohortDisas(gdb.Command):
    """Disassemble target memory as 16- or 32-bit x86 code.

Usage: cohort-disas 16|32 [ADDR [COUNT]]     (default: $pc, 16 instructions)

While gdb debugs the amd64 kernel it decodes every byte as 64-bit code, and
QEMU's stub does not let it switch to i386 (the stub always describes the
64-bit registers). This reads the bytes from the target and hands them to
objdump with -m i8086 or -m i386: for boot.asm before long mode, and for the
AP trampoline (real mode, then protected mode) at its low page."""

    def __init__(self):
        super().__init__("cohort-disas", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if not args or args[0] not in ("16", "32"):
            raise gdb.GdbError("usage: cohort-disas 16|32 [ADDR [COUNT]]")
        addr = int(gdb.parse_and_eval(args[1] if len(args) > 1 else "$pc"))
        count = int(args[2]) if len(args) > 2 else 16
        data = bytes(gdb.selected_inferior().read_memory(addr, count * 8))
        machine = "i8086" if args[0] == "16" else "i386"
        with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as f:
            f.write(data)
            path = f.name
        try:
            out = subprocess.run(["objdump", "-D", "-b", "binary", "-m", machine,
                                  "--adjust-vma=0x%x" % addr, path],
                                 capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            raise gdb.GdbError("cohort-disas: objdump failed: %s" % e)
        finally:
            os.unlink(path)
        lines = [l for l in out.splitlines() if l.strip().endswith(":") is False and ":\t" in l]
        for l in lines[:count]:
            gdb.write(l + "\n")


CohortCpus()
CohortCpu()
CohortDisas()
