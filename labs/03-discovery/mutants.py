"""Lab 03: wrong walks and decodings that must lose points, right ones written otherwise that must not."""
from labgrade import edit, hole, mutant, variant

ACPI, MP = "src/acpi.cpp", "src/mp.cpp"

mutant("madt_trusts_length", breaks=["madt_walk_unit"],
       what="the MADT walk trusts an entry's length: an entry running past the table end is decoded",
       edits=[edit(ACPI, "if (e[1] > n - off) {", "if (false) {")])
mutant("madt_zero_length_loops", breaks=["madt_walk_unit"],
       what="no check for a length below 2: a length-0 entry loops forever",
       edits=[edit(ACPI, "if (e[1] < 2) {", "if (false) {")])
mutant("madt_last_entry_dropped", breaks=["madt_walk_unit"],
       what="off by one at the table end: an entry ending on the last byte is taken as running past it",
       edits=[edit(ACPI, "if (e[1] > n - off) {", "if (e[1] >= n - off) {")])
mutant("madt_stops_at_unknown_type", breaks=["madt_walk_unit"],
       what="the MADT walk stops at the first entry type it does not know",
       edits=[edit(ACPI, "        off += e[1];\n", "        if (e[0] > 0xA) break;\n        off += e[1];\n")])
mutant("madt_enabled_ignored", breaks=["madt_disabled", "madt_entries_unit"],
       what="every processor entry taken as enabled",
       edits=[edit(ACPI, "add_cpu(out, e[3], e[2], load_le32(e + 4), false, off)", "add_cpu(out, e[3], e[2], 1, false, off)"),
              edit(ACPI, "load_le32(e + 12), load_le32(e + 8), true, off)", "load_le32(e + 12), 1, true, off)")])
mutant("madt_online_capable_lost", breaks=["madt_entries_unit"],
       what="only the Enabled bit is passed on: Online Capable is lost",
       edits=[edit(ACPI, "add_cpu(out, e[3], e[2], load_le32(e + 4), false, off)",
                   "add_cpu(out, e[3], e[2], load_le32(e + 4) & 1, false, off)"),
              edit(ACPI, "load_le32(e + 12), load_le32(e + 8), true, off)", "load_le32(e + 12), load_le32(e + 8) & 1, true, off)")])
mutant("madt_uid_as_apic_id", breaks=["madt_apic_gaps_i686", "madt_entries_unit"],
       what="type 0: the ACPI processor UID (byte 2) taken for the APIC id (byte 3)",
       edits=[edit(ACPI, "add_cpu(out, e[3], e[2], load_le32(e + 4), false, off)",
                   "add_cpu(out, e[2], e[3], load_le32(e + 4), false, off)")])
mutant("x2apic_fields_misplaced", breaks=["madt_x2apic", "madt_entries_unit"],
       what="type 9 read without its 2 reserved bytes: x2APIC id, flags and UID taken 2 bytes early",
       edits=[edit(ACPI, "add_cpu(out, load_le32(e + 4), load_le32(e + 12), load_le32(e + 8), true, off)",
                   "add_cpu(out, load_le32(e + 2), load_le32(e + 10), load_le32(e + 6), true, off)")])
mutant("mp_processor_size_wrong", breaks=["mp_cpus", "mp_walk_unit"],
       what="MP processor entries taken as 8 bytes like the others",
       edits=[edit(MP, "size_t n = entry_len(t[off]);", "size_t n = t[off] == 0 ? 8 : entry_len(t[off]);")])
mutant("mp_unknown_type_skipped", breaks=["mp_walk_unit"],
       what="an unknown MP entry type stepped over as 8 bytes instead of ending the walk",
       edits=[edit(MP, "if (n == 0) {", "if (n == 0) n = 8;\n        if (false) {")])
mutant("mp_count_ignored", breaks=["mp_walk_unit"],
       what="the MP walk runs to the base table's length whatever the entry count says",
       edits=[edit(MP, "for (uint16_t i = 0; i < count && off < base_len; ++i) {",
                   "(void)count;\n    for (uint16_t i = 0; off < base_len; ++i) {")])
mutant("mp_trusts_count", breaks=["mp_walk_unit"],
       what="the MP walk trusts the count: entries past the base table's length are read",
       edits=[edit(MP, "for (uint16_t i = 0; i < count && off < base_len; ++i) {",
                   "for (uint16_t i = 0; i < count; ++i) {"),
              edit(MP, "if (n > base_len - off) {", "if (false) {")])

variant("madt_walk_with_pointers", what="the MADT walk with an end pointer and its own warnings",
        edits=[hole(ACPI, "walk the entries", """    const uint8_t* p = t + MADT_ENTRIES;
    const uint8_t* end = t + n;
    while (p != end) {
        uint32_t off = uint32_t(p - t);
        size_t left = size_t(end - p);
        if (left < 2 || p[1] < 2 || p[1] > left) {
            MADT_WARN(out, "madt: cannot trust the entry at offset %u (%zu bytes left); stopping", off, left);
            break;
        }
        if (p[1] >= madt_min_len(p[0])) madt_entry(out, p, off);
        else MADT_WARN(out, "madt: short entry of type %u at offset %u; skipping it", p[0], off);
        p += p[1];
    }
""")])
variant("madt_entries_by_shifts", what="the processor entries decoded by hand, flags masked to the two bits used",
        edits=[hole(ACPI, "Processor Local APIC (type 0)", """    case 0: {
        uint32_t flags = uint32_t(e[4]) & 3;
        add_cpu(out, e[3], e[2], flags, false, off);
        break;
    }
    case 9: {
        uint32_t id = uint32_t(e[4]) | uint32_t(e[5]) << 8 | uint32_t(e[6]) << 16 | uint32_t(e[7]) << 24;
        uint32_t uid = uint32_t(e[12]) | uint32_t(e[13]) << 8 | uint32_t(e[14]) << 16 | uint32_t(e[15]) << 24;
        add_cpu(out, id, uid, uint32_t(e[8]) & 3, true, off);
        break;
    }
""")])
variant("mp_walk_while", what="the MP walk as a while loop over the remaining count",
        edits=[hole(MP, "walk `count` entries", """    uint32_t off = HEADER_LEN, left = count;
    while (left-- > 0 && off != base_len) {
        uint8_t type = t[off];
        size_t size = entry_len(type);
        if (size == 0 || off + size > base_len) {
            MP_WARN(out, "mp: entry of type %u at offset %u cannot be read; stopping", type, off);
            break;
        }
        mp_entry(out, t + off, off);
        off += uint32_t(size);
    }
""")])
