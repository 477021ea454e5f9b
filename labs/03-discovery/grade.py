"""Lab 03, finding the CPUs: graded tests (tools/grade --lab 03).

In this lab's tree the APs are never started (that is lab 05), so the boots
judge what discovery found: the CPU table the kernel prints (`cpus: found`,
one `cpu K: apic A ...` line per entry, IOAPICs and overrides), printed by
code outside the holes. Every boot runs the boot CPU alone, without -icount:
nothing here depends on time. What QEMU's tables never contain (lengths of 0,
entries running past the end, unknown types, a count that disagrees with the
length) is graded on hand-made tables by the host tests in tests/unit/.
"""
from labgrade import boot, passed, test, unit

madt4 = boot("amd64-madt-4cpus", arch="amd64", smp="4", cmdline="test=boot")
gaps = boot("i686-madt-gaps", arch="i686", smp="6,sockets=2,cores=3", cmdline="test=boot")
hotplug = boot("amd64-madt-hotplug", arch="amd64", smp="2,maxcpus=4", cmdline="test=boot")
# A second CPU with APIC id 256: QEMU describes it with a Processor Local x2APIC entry.
x2 = boot("amd64-madt-x2apic", arch="amd64", machine="q35", cpu="qemu64,+x2apic",
          smp="1,sockets=2,cores=256,maxcpus=512",
          qemu_args=["-device", "qemu64-x86_64-cpu,socket-id=1,core-id=0,thread-id=0"], cmdline="test=boot")
mp4 = boot("amd64-mp-4cpus", arch="amd64", machine="pc,acpi=off", smp="4,sockets=4,cores=1", cmdline="test=boot")
mp_off = boot("i686-mp-acpi-off", arch="i686", smp="4,sockets=4,cores=1", cmdline="acpi=off test=boot")


def cpus(pairs):
    return [rf"cpu {k}: apic {a} enabled (bsp|ap) will start$" for k, a in pairs]


test("madt_cpus", madt4, 10, what="4 Processor Local APIC entries, kernel ids 0-3",
     expect=[r"cpus: found 4 \(source=acpi\)$"] + cpus([(0, 0), (1, 1), (2, 2), (3, 3)]) + [passed("boot")],
     count={r"cpu \d+: apic \d+ ": 4})
test("madt_ioapic_overrides", madt4, 10, what="the IOAPIC and interrupt source override entries",
     expect=[r"ioapic 0: addr 0xfec00000 gsi 0$", r"override: irq 0 -> gsi 2 high edge$",
             r"override: irq 9 -> gsi 9 high level$"])
test("madt_apic_gaps_i686", gaps, 10, what="2 sockets of 3 cores: APIC ids 0-2 and 4-6 get kernel ids 0-5",
     expect=[r"cpus: found 6 \(source=acpi\)$"] + cpus([(0, 0), (1, 1), (2, 2), (3, 4), (4, 5), (5, 6)]),
     forbid=[r"apic 3 "])
test("madt_disabled", hotplug, 10, what="entries of absent CPUs (-smp 2,maxcpus=4) are listed, not usable",
     expect=[r"cpus: found 2 \(source=acpi\)$"] + cpus([(0, 0), (1, 1)])
     + [r"cpu -: apic 2 disabled ap not usable$", r"cpu -: apic 3 disabled ap not usable$"],
     forbid=[r"cpu [23]: apic"])
test("madt_x2apic", x2, 10, what="a Processor Local x2APIC entry: APIC id 256",
     expect=[r"cpus: found 2 \(source=acpi\)$", r"cpu 0: apic 0 enabled bsp will start$",
             r"cpu 1: apic 256 enabled ap will start$"])
test("mp_cpus", mp4, 10, what="no ACPI: processor, IOAPIC and interrupt entries of the MP table",
     expect=[r"cpus: found 4 \(source=mp\)$"] + cpus([(0, 0), (1, 1), (2, 2), (3, 3)])
     + [r"ioapic 0: addr 0xfec00000 gsi 0$", r"override: irq 0 -> gsi 2 "])
test("mp_acpi_off_i686", mp_off, 5, what="acpi=off: the MP table even where ACPI exists (i686)",
     expect=[r"discover: acpi=off", r"cpus: found 4 \(source=mp\)$"] + cpus([(0, 0), (3, 3)]))
unit("madt_walk_unit", 15, what="MADT walk on hand-made tables: length 0 or 1, past the end, last byte, unknown types",
     cases=["acpi/lab03_walk_zero_length_ends", "acpi/lab03_walk_entry_past_the_end",
            "acpi/lab03_walk_reaches_the_last_byte", "acpi/lab03_walk_skips_unknown_and_short"])
unit("madt_entries_unit", 10, what="processor entries: APIC id, UID, enabled, online capable, x2APIC fields",
     cases=["acpi/lab03_processor_entry_fields", "acpi/lab03_enabled_and_online_capable",
            "acpi/x2apic_ids_above_255", "cputable/recorded_machines"])
unit("mp_walk_unit", 10, what="MP walk: entry sizes, an unknown type ends it, count and length bound it",
     cases=["mp/lab03_entry_sizes", "mp/lab03_unknown_type_ends_the_walk",
            "mp/lab03_count_and_length_bound_the_walk", "mp/recorded_seabios_tables"])
