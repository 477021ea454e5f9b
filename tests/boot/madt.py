#!/usr/bin/env python3
"""Hand-made MADTs (ACPI 6.5 5.2.12) for boot tests of tables no QEMU machine builds.

Each table describes QEMU's `-machine pc` as its own MADT does (one local APIC
entry per CPU, uid = APIC id = 0..n-1; the IOAPIC, id 0, at 0xFEC00000 from
GSI 0; ISA IRQ 0 on GSI 2 and the PCI IRQs 5, 9, 10, 11 level-triggered,
active high) and then changes one thing. tools/mkiso puts the file on the ISO
and GRUB's `acpi --exclude=APIC` loads it in place of QEMU's (docs/testing.md).

    tests/boot/madt.py VARIANT N OUT      write variant VARIANT for N CPUs to OUT
    tests/boot/madt.py --list             the variants, one a line
"""
import struct
import sys

LAPIC_ADDR = 0xFEE00000
IOAPIC_ADDR = 0xFEC00000
PCAT_COMPAT = 1          # MADT flags bit 0: dual 8259s present (5.2.12)
ENABLED = 1              # Local APIC flags bit 0 (5.2.12.2)
LEVEL_HIGH = 0x000D      # MPS INTI flags: trigger 3 (level), polarity 1 (high) (5.2.12.5)
ACTIVE_LOW = 0x0003      # polarity 3 (low), trigger 0 (bus default: edge for NMI)


def lapic(uid, apic_id, flags):
    """Processor Local APIC, type 0 (5.2.12.2)."""
    return struct.pack("<BBBBI", 0, 8, uid, apic_id, flags)


def ioapic(ioapic_id, addr, gsi_base):
    """I/O APIC, type 1 (5.2.12.3)."""
    return struct.pack("<BBBBII", 1, 12, ioapic_id, 0, addr, gsi_base)


def override(irq, gsi, flags):
    """Interrupt Source Override, type 2, bus 0 = ISA (5.2.12.5)."""
    return struct.pack("<BBBBIH", 2, 10, 0, irq, gsi, flags)


def lapic_nmi(uid, lint, flags=0):
    """Local APIC NMI, type 4 (5.2.12.7): uid 0xFF means every processor."""
    return struct.pack("<BBBHB", 4, 6, uid, flags, lint)


def x2apic_nmi(uid, lint, flags=0):
    """Local x2APIC NMI, type 0xA (5.2.12.13): uid 0xFFFFFFFF means every processor."""
    return struct.pack("<BBHIB3x", 0xA, 12, flags, uid, lint)


def madt(entries, revision=6):
    """The whole table: the 36-byte header (5.2.6, Table 5.4; revision 6 is ACPI
    6.5's MADT), the local APIC address and flags, @p entries; the checksum
    makes the bytes sum to 0."""
    body = struct.pack("<II", LAPIC_ADDR, PCAT_COMPAT) + b"".join(entries)
    length = 36 + len(body)
    head = struct.pack("<4sIBB6s8sI4sI", b"APIC", length, revision, 0, b"COHORT", b"TESTMADT",
                       1, b"CHRT", 1)
    raw = bytearray(head + body)
    raw[9] = (-sum(raw)) & 0xFF
    return bytes(raw)


def machine(n, cpu_flags=ENABLED):
    """QEMU pc's entries for @p n CPUs, without its LAPIC NMI entry."""
    out = [lapic(i, i, cpu_flags) for i in range(n)]
    out.append(ioapic(0, IOAPIC_ADDR, 0))
    out.append(override(0, 2, 0))
    out += [override(irq, irq, LEVEL_HIGH) for irq in (5, 9, 10, 11)]
    return out


def like_qemu(n):
    """QEMU pc's MADT in substance, its LAPIC NMI entry (all processors, LINT1) included."""
    return madt(machine(n) + [lapic_nmi(0xFF, 1)])


def no_enabled_cpu(n):
    """Every processor entry has flags 0 (neither enabled nor online capable): the
    kernel must take its CPUs from the MP table (issue 7)."""
    return madt(machine(n, cpu_flags=0) + [lapic_nmi(0xFF, 1)])


def per_cpu_nmi(n):
    """No all-processors entry: LINT1 is NMI on even uids, LINT0 (active low) on
    odd ones; and an x2APIC NMI entry for uid 255, a processor that does not
    exist here, on LINT0: taken for "all", it would wire LINT0 on every CPU (issue 11)."""
    nmis = [lapic_nmi(i, 1) if i % 2 == 0 else lapic_nmi(i, 0, ACTIVE_LOW) for i in range(n)]
    return madt(machine(n) + nmis + [x2apic_nmi(0xFF, 0)])


VARIANTS = {"like-qemu": like_qemu, "no-enabled-cpu": no_enabled_cpu, "per-cpu-nmi": per_cpu_nmi}


def main(argv):
    if argv[1:] == ["--list"]:
        print("\n".join(VARIANTS))
        return 0
    if len(argv) != 4 or argv[1] not in VARIANTS or not argv[2].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[3], "wb") as f:
        f.write(VARIANTS[argv[1]](int(argv[2])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
