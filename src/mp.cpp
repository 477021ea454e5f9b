/// @file mp.cpp
/// MP floating pointer and configuration table parsing (MP spec 1.4, 4.1-4.3, 5).
#include "mp.h"
#include "kstring.h"
#include "labs.h"
#include "log.h"

namespace {

constexpr size_t FP_LEN = 16;     // MP spec 1.4 Table 4-1
constexpr size_t HEADER_LEN = 44; // Table 4-2
constexpr uint32_t IOAPIC_DEFAULT_ADDR = 0xFEC00000u;

/// Count a problem and say what was done about it.
#define MP_WARN(out, ...) do { ++(out)->problems; log_warn(__VA_ARGS__); } while (0)

/// Size of each base entry type (Table 4-3); 0 for an unknown type.
size_t entry_len(uint8_t type) {
    switch (type) {
    case 0: return 20;               // processor
    case 1: case 2: case 3: case 4: return 8; // bus, IOAPIC, I/O and local interrupt
    default: return 0;
    }
}

void add_cpu(MpInfo* out, uint8_t apic, uint8_t flags, uint32_t sig, uint32_t off) {
    ++out->cpu_entries;
    for (uint32_t i = 0; i < out->ncpus; ++i) {
        if (out->cpus[i].apic_id == apic) {
            MP_WARN(out, "mp: duplicate APIC id %u (entry at offset %u); dropped", apic, off);
            return;
        }
    }
    if (out->ncpus < COHORT_MAX_CPUS)
        out->cpus[out->ncpus++] = MpCpu{apic, (flags & 1) != 0, (flags & 2) != 0, sig};
}

void add_ioapic(MpInfo* out, uint8_t id, uint32_t addr) {
    if (out->nioapics == MAX_IOAPICS) {
        MP_WARN(out, "mp: more than %u IOAPICs; id %u dropped", MAX_IOAPICS, id);
        return;
    }
    // The MP table has no GSI numbering; by convention the first IOAPIC starts
    // at 0. Later ones need their pin counts, read from the IOAPIC itself.
    out->ioapics[out->nioapics] = IoApicInfo{id, addr, out->nioapics == 0 ? 0 : GSI_BASE_UNKNOWN};
    ++out->nioapics;
}

MpIrq irq_of(const uint8_t* e) { return MpIrq{e[1], load_le16(e + 2), e[4], e[5], e[6], e[7]}; }

/// [mp entry]
void mp_entry(MpInfo* out, const uint8_t* e, uint32_t off) {
    switch (e[0]) {
    case 0: add_cpu(out, e[1], e[3], load_le32(e + 4), off); break;
    case 1:
        if (out->nbuses == MP_MAX_BUSES) { MP_WARN(out, "mp: more than %u buses; bus %u dropped", MP_MAX_BUSES, e[1]); break; }
        out->buses[out->nbuses].id = e[1];
        memcpy(out->buses[out->nbuses].type, e + 2, 6);
        out->buses[out->nbuses++].type[6] = '\0';
        break;
    case 2:
        if (e[3] & 1) add_ioapic(out, e[1], load_le32(e + 4));
        else log_info("mp: IOAPIC %u is marked unusable; ignored", e[1]);
        break;
    case 3:
        if (out->nirqs == MP_MAX_IRQS) { MP_WARN(out, "mp: more than %u interrupt entries; dropped", MP_MAX_IRQS); break; }
        out->irqs[out->nirqs++] = irq_of(e);
        break;
    case 4:
        if (out->nlints == MP_MAX_LINTS) { MP_WARN(out, "mp: more than %u local interrupt entries; dropped", MP_MAX_LINTS); break; }
        out->lints[out->nlints++] = irq_of(e);
        break;
    }
}
/// [mp entry]

}  // namespace

bool mp_parse_config(const uint8_t* t, size_t len, MpInfo* out) {
    uint16_t base_len = (t != nullptr && len >= HEADER_LEN) ? load_le16(t + 4) : 0;
    if (const char* why = table_problem(t, len, "PCMP", HEADER_LEN, base_len)) {
        MP_WARN(out, "mp: configuration table: %s (length %u, %zu bytes available); ignored", why, base_len, len);
        return false;
    }
    out->found = true;
    out->lapic_addr = load_le32(t + 36);
    uint16_t count = load_le16(t + 34);
    // LAB 03 BEGIN: walk `count` entries after the header; each type has a fixed size and no length field
    uint32_t off = HEADER_LEN;
    for (uint16_t i = 0; i < count && off < base_len; ++i) {
        size_t n = entry_len(t[off]);
        if (n == 0) {
            // Entries carry no length (Table 4-3): nothing after this can be found.
            MP_WARN(out, "mp: unknown entry type %u at offset %u; walk stopped", t[off], off);
            break;
        }
        if (n > base_len - off) {
            MP_WARN(out, "mp: entry at offset %u (type %u) runs past the table end; walk stopped", off, t[off]);
            break;
        }
        mp_entry(out, t + off, off);
        off += n;
    }
    // LAB 03 STUB: lab_todo(3, "the entry walk in mp_parse_config()");
    // LAB 03 STUB: (void)count; (void)entry_len; (void)mp_entry;
    // LAB 03 LATER: lab_later(3, "the MP table's entries are not read");
    // LAB 03 LATER: (void)count; (void)entry_len; (void)mp_entry;
    // LAB 03 END
    // The extended entries (MP spec 1.4 4.4) describe bus hierarchies only:
    // skipped by their length. Their checksum is optional in practice.
    uint16_t ext_len = load_le16(t + 40);
    if (ext_len != 0 && size_t(base_len) + ext_len <= len) {
        uint8_t sum = t[42];
        for (size_t k = 0; k < ext_len; ++k) sum = uint8_t(sum + t[base_len + k]);
        if (sum != 0) log_debug("mp: extended table checksum mismatch (ignored)");
    }
    if (out->cpu_entries > out->ncpus && out->ncpus == COHORT_MAX_CPUS)
        MP_WARN(out, "mp: %u processor entries but COHORT_MAX_CPUS is %u; keeping the first %u",
                out->cpu_entries, (unsigned)COHORT_MAX_CPUS, (unsigned)COHORT_MAX_CPUS);
    return true;
}

bool mp_default_config(uint8_t type, MpInfo* out) {
    if (type < 1 || type > 7) {
        MP_WARN(out, "mp: undefined default configuration %u", type);
        return false;
    }
    // MP spec 1.4 chapter 5: two processors with APIC ids 0 and 1, one IOAPIC
    // (id 2) at the standard address. The tables name no BSP; id 0 is marked
    // for the log, and the policy trusts the APIC id the BSP reads itself.
    out->found = true;
    out->default_config = type;
    out->lapic_addr = uint32_t(LAPIC_DEFAULT_ADDR);
    add_cpu(out, 0, 3, 0, 0);
    add_cpu(out, 1, 1, 0, 0);
    add_ioapic(out, 2, IOAPIC_DEFAULT_ADDR);
    log_info("mp: default configuration %u (MP spec 1.4 chapter 5): 2 CPUs, APIC ids 0 and 1, "
             "IOAPIC 2 at 0x%x", type, IOAPIC_DEFAULT_ADDR);
    return true;
}

bool mp_discover(const PhysMem& mem, MpInfo* out) {
    memset(out, 0, sizeof *out);
    // BDA 0x40E: EBDA segment; 0x413: base memory size in KiB (MP spec 1.4 4.1).
    uint64_t ebda = 0, base_kib = 640;
    if (const uint8_t* w = mem.map(0x40E, 2)) ebda = uint64_t(load_le16(w)) << 4;
    if (const uint8_t* w = mem.map(0x413, 2)) base_kib = load_le16(w);
    if (base_kib < 1 || base_kib > 640) base_kib = 640;
    const uint64_t areas[3][2] = {{ebda, ebda ? 1024u : 0u}, {(base_kib - 1) * 1024, 1024}, {0xF0000, 0x10000}};
    for (const auto& a : areas) {
        // One mapping for the whole area where it can be had (always in the
        // kernel); probe by probe only where it cannot (a host test's window).
        const uint8_t* area = a[1] ? mem.map(a[0], a[1]) : nullptr;
        for (uint64_t p = a[0]; p + FP_LEN <= a[0] + a[1]; p += 16) {
            const uint8_t* fp = area ? area + (p - a[0]) : mem.map(p, FP_LEN);
            if (fp == nullptr || fp[0] != '_' || memcmp(fp, "_MP_", 4) != 0) continue;
            const uint8_t* whole = fp[8] ? mem.map(p, FP_LEN * fp[8]) : nullptr;
            if (whole == nullptr || !checksum_ok(whole, FP_LEN * fp[8])) {
                MP_WARN(out, "mp: floating pointer at 0x%llx: bad length %u or checksum; skipped",
                        (unsigned long long)p, fp[8]);
                continue;
            }
            out->fp_phys = p;
            out->imcr = fp[12] & 0x80;
            if (fp[11] != 0) return mp_default_config(fp[11], out);
            out->table_phys = load_le32(fp + 4);
            const uint8_t* h = mem.map(out->table_phys, HEADER_LEN);
            if (h == nullptr) {
                MP_WARN(out, "mp: configuration table at 0x%x is outside readable memory; ignored", out->table_phys);
                return false;
            }
            // Base and extended table together when readable (for the extended
            // checksum), else the base table alone.
            size_t base = load_le16(h + 4), n = base + load_le16(h + 40);
            const uint8_t* t = mem.map(out->table_phys, n);
            if (t == nullptr) t = mem.map(out->table_phys, n = base);
            if (t == nullptr && base >= HEADER_LEN) {
                MP_WARN(out, "mp: configuration table at 0x%x (%zu bytes) runs outside readable memory; ignored",
                        out->table_phys, base);
                return false;
            }
            // A base length below the header size is reported by the parser.
            return mp_parse_config(t ? t : h, t ? n : HEADER_LEN, out);
        }
    }
    return false;
}
