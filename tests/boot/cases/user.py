"""User programs as Multiboot2 modules (docs/userprog.md): every ISO carries
build/user-<arch>/*, and the kernel checks each with elf_check() at boot and
logs its segments. A bad module is refused with its reason and skipped; the
boot goes on. Nothing runs in ring 3 yet."""
import os

from bootcase import case

BOOT_PASSED = [r"ktest: boot \.\.\. PASS", r"ktest: 1 passed, 0 failed"]
# Where each arch links its programs (src/arch/<arch>/user_arch.h, user/user.ld).
BASE = {"i686": 0x40000000, "amd64": 0x8000000000}
# The programs of user/, each a module on every ISO.
PROGRAMS = ("badptr", "cpus", "fault", "hello", "spin")
REFUSED = r"user: module \S+: \d+ bytes, refused"


def accepted(arch):
    """Each program has the three segments of user/user.ld, on pages of their
    own: headers and constants, text (crt0's _start first: the entry), data."""
    b = BASE[arch]
    return [rf"user: module {name}: \d+ bytes, entry 0x{b + 0x1000:x}, 3 segments \(r-- 0x{b:x}-0x[0-9a-f]+, "
            rf"r-x 0x{b + 0x1000:x}-0x[0-9a-f]+, rw- 0x{b + 0x2000:x}-0x[0-9a-f]+\)$" for name in PROGRAMS]


for arch in ("i686", "amd64"):
    case(f"{arch}.user.modules", arch=arch, cmdline="test=boot",
         expect=[rf"user: {len(PROGRAMS)} module\(s\)"] + accepted(arch) + BOOT_PASSED,
         forbid=[REFUSED], timeout=30)


def program(arch, cut=None):
    """A function of the build folder: the built hello of @p arch, its first @p cut bytes."""
    def read(build_dir):
        with open(os.path.join(build_dir, f"user-{arch}", "hello"), "rb") as f:
            return f.read()[:cut]
    return read


# The i686 program on the amd64 kernel, and an amd64 one cut after its ELF
# header: each refused with the field that failed, the good ones still listed.
case("amd64.user.bad-modules", arch="amd64", cmdline="test=boot",
     modules={"hello32": program("i686"), "cut": program("amd64", 100)},
     expect=[rf"user: {len(PROGRAMS) + 2} module\(s\)",
             r"WARN: elf: hello32: EI_CLASS is not this kernel's .*; not loaded",
             r"WARN: user: module hello32: \d+ bytes, refused; skipped",
             r"WARN: elf: cut: program headers outside the file .*; not loaded",
             r"WARN: user: module cut: 100 bytes, refused; skipped"] + accepted("amd64") + BOOT_PASSED,
     count={REFUSED: 2}, timeout=30)
