/// @file acpi.cpp
/// RSDP, RSDT/XSDT and MADT parsing (ACPI 6.5 5.2.5-5.2.8, 5.2.12).
#include "acpi.h"
#include "kstring.h"
#include "labs.h"
#include "log.h"

namespace {

constexpr size_t RSDP_V1_LEN = 20;   // ACPI 6.5 Table 5.3: through RsdtAddress
constexpr size_t RSDP_V2_LEN = 36;
constexpr size_t SDT_HEADER_LEN = 36; // ACPI 6.5 Table 5.4
constexpr size_t MADT_ENTRIES = 44;   // header + Local Interrupt Controller Address + Flags
// No real root table or MADT comes near this; a larger length is corrupt.
constexpr uint32_t MAX_TABLE_LEN = 1u << 20;

/// Map and verify a whole system description table: readable header, the
/// expected signature (if any), a sane length and a valid checksum.
const uint8_t* map_table(const PhysMem& mem, uint64_t phys, const char* sig, uint32_t* len) {
    const uint8_t* h = mem.map(phys, SDT_HEADER_LEN);
    if (h == nullptr) {
        log_warn("acpi: table at 0x%llx is outside readable memory; skipped", (unsigned long long)phys);
        return nullptr;
    }
    if (sig != nullptr && memcmp(h, sig, 4) != 0) return nullptr;
    uint32_t n = load_le32(h + 4);
    if (n < SDT_HEADER_LEN || n > MAX_TABLE_LEN) {
        log_warn("acpi: %.4s at 0x%llx has a bad length %u; skipped", (const char*)h,
                 (unsigned long long)phys, n);
        return nullptr;
    }
    const uint8_t* t = mem.map(phys, n);
    if (t == nullptr) {
        log_warn("acpi: %.4s at 0x%llx (%u bytes) runs outside readable memory; skipped",
                 (const char*)h, (unsigned long long)phys, n);
        return nullptr;
    }
    if (!checksum_ok(t, n)) {
        log_warn("acpi: %.4s at 0x%llx has a bad checksum; skipped", (const char*)h,
                 (unsigned long long)phys);
        return nullptr;
    }
    *len = n;
    return t;
}

/// Count a problem and say what was done about it.
#define MADT_WARN(out, ...) do { ++(out)->problems; log_warn(__VA_ARGS__); } while (0)

void add_cpu(MadtInfo* out, uint32_t apic, uint32_t uid, uint32_t flags, bool x2, uint32_t off) {
    ++out->cpu_entries;
    bool enabled = flags & 1;
    // 0xFF (xAPIC) and 0xFFFFFFFF (x2APIC) are broadcast ids, never a CPU's.
    if (apic == (x2 ? 0xFFFFFFFFu : 0xFFu)) {
        if (enabled) MADT_WARN(out, "madt: entry at offset %u has the broadcast APIC id 0x%x; dropped", off, apic);
        return;
    }
    // Online Capable exists from MADT revision 5 (ACPI 6.3); before, bit 1 is reserved.
    MadtCpu cpu{apic, uid, enabled, !enabled && out->revision >= 5 && (flags & 2), x2};
    // An entry neither enabled nor online capable names no CPU that can ever
    // run (ACPI 6.5 Table 5.23): firmware lists such placeholders, ids and
    // all. It takes no part in finding duplicates: a placeholder after a
    // real entry is dropped without a word, a real entry after a placeholder
    // takes its place.
    bool usable = cpu.enabled || cpu.online_capable;
    for (uint32_t i = 0; i < out->ncpus; ++i) {
        if (out->cpus[i].apic_id != apic) continue;
        if (!usable) return;
        if (!out->cpus[i].enabled && !out->cpus[i].online_capable) {
            out->cpus[i] = cpu;
            return;
        }
        MADT_WARN(out, "madt: duplicate APIC id %u (entry at offset %u); dropped", apic, off);
        return;
    }
    if (out->ncpus == COHORT_MAX_CPUS) return;  // counted; one warning at the end
    out->cpus[out->ncpus++] = cpu;
}

/// Minimum length of each known entry type (ACPI 6.5 Tables 5.22-5.43).
uint8_t madt_min_len(uint8_t type) {
    switch (type) {
    case 0: return 8;    // Processor Local APIC
    case 1: return 12;   // I/O APIC
    case 2: return 10;   // Interrupt Source Override
    case 3: return 8;    // NMI Source
    case 4: return 6;    // Local APIC NMI
    case 5: return 12;   // Local APIC Address Override
    case 9: return 16;   // Processor Local x2APIC
    case 0xA: return 12; // Local x2APIC NMI
    default: return 2;
    }
}

/// [madt entry]
void madt_entry(MadtInfo* out, const uint8_t* e, uint32_t off) {
    switch (e[0]) {
    // LAB 03 BEGIN: Processor Local APIC (type 0) and Processor Local x2APIC (type 9): APIC id, UID, flags
    case 0: add_cpu(out, e[3], e[2], load_le32(e + 4), false, off); break;
    case 9: add_cpu(out, load_le32(e + 4), load_le32(e + 12), load_le32(e + 8), true, off); break;
    // LAB 03 STUB: case 0: case 9: lab_todo(3, "the processor entries in madt_entry()"); (void)add_cpu; break;
    // LAB 03 LATER: case 0: case 9: lab_later(3, "the MADT's processor entries are skipped"); (void)add_cpu; break;
    // LAB 03 END
    case 1:
        if (out->nioapics == MAX_IOAPICS) { MADT_WARN(out, "madt: more than %u IOAPICs; id %u dropped", MAX_IOAPICS, e[2]); break; }
        out->ioapics[out->nioapics++] = IoApicInfo{e[2], load_le32(e + 4), load_le32(e + 8)};
        break;
    case 2:
        if (out->noverrides == MAX_IRQ_OVERRIDES) { MADT_WARN(out, "madt: more than %u interrupt overrides; irq %u dropped", MAX_IRQ_OVERRIDES, e[3]); break; }
        out->overrides[out->noverrides++] = IrqOverride{e[2], e[3], load_le32(e + 4), load_le16(e + 8)};
        break;
    case 3:
        if (out->nnmi_sources == MAX_NMI_ENTRIES) { MADT_WARN(out, "madt: more than %u NMI sources; dropped", MAX_NMI_ENTRIES); break; }
        out->nmi_sources[out->nnmi_sources++] = NmiSource{load_le16(e + 2), load_le32(e + 4)};
        break;
    case 4:
    case 0xA: {
        if (out->nlapic_nmis == MAX_NMI_ENTRIES) { MADT_WARN(out, "madt: more than %u local APIC NMI entries; dropped", MAX_NMI_ENTRIES); break; }
        bool x2 = e[0] == 0xA;
        uint32_t uid = x2 ? load_le32(e + 4) : (e[2] == 0xFF ? LAPIC_NMI_ALL : e[2]);
        out->lapic_nmis[out->nlapic_nmis++] = LapicNmi{uid, load_le16(e + (x2 ? 2 : 3)), e[x2 ? 8 : 5]};
        break;
    }
    case 5: out->lapic_addr = load_le64(e + 4); break;
    default: log_debug("madt: entry type %u at offset %u skipped", e[0], off); break;
    }
}
/// [madt entry]

}  // namespace

bool acpi_parse_rsdp(const uint8_t* b, size_t len, Rsdp* out, bool quiet) {
    if (b == nullptr || len < RSDP_V1_LEN || memcmp(b, "RSD PTR ", 8) != 0) {
        if (!quiet) log_warn("acpi: RSDP: no \"RSD PTR \" signature in %zu bytes", len);
        return false;
    }
    if (!checksum_ok(b, RSDP_V1_LEN)) {
        if (!quiet) log_warn("acpi: RSDP: bad checksum (first 20 bytes)");
        return false;
    }
    Rsdp r{};
    r.revision = b[15];
    r.rsdt = load_le32(b + 16);
    memcpy(r.oem_id, b + 9, 6);
    if (r.revision >= 2) {
        uint32_t n = len >= RSDP_V2_LEN ? load_le32(b + 20) : 0;
        if (n < RSDP_V2_LEN || n > len) {
            if (!quiet) log_warn("acpi: RSDP revision %u: bad length %u (%zu bytes given)", r.revision, n, len);
            return false;
        }
        if (!checksum_ok(b, n)) {
            if (!quiet) log_warn("acpi: RSDP revision %u: bad extended checksum", r.revision);
            return false;
        }
        r.xsdt = load_le64(b + 24);
    }
    *out = r;
    return true;
}

bool acpi_scan_rsdp(const PhysMem& mem, Rsdp* out) {
    // ACPI 6.5 5.2.5.1: the EBDA's first KiB, then the BIOS read-only area.
    uint64_t areas[2][2] = {{0, 0}, {0xE0000, 0x20000}};
    if (const uint8_t* w = mem.map(0x40E, 2)) areas[0][0] = uint64_t(load_le16(w)) << 4;
    if (areas[0][0] != 0) areas[0][1] = 1024;
    for (auto& a : areas) {
        // One mapping for the whole area where it can be had (always in the
        // kernel); probe by probe only where it cannot (a host test's window).
        const uint8_t* whole = a[1] ? mem.map(a[0], a[1]) : nullptr;
        for (uint64_t p = a[0]; p + RSDP_V1_LEN <= a[0] + a[1]; p += 16) {
            const uint8_t* b = whole ? whole + (p - a[0]) : mem.map(p, RSDP_V1_LEN);
            if (b == nullptr || b[0] != 'R' || memcmp(b, "RSD PTR ", 8) != 0) continue;
            const uint8_t* b2 = mem.map(p, RSDP_V2_LEN);
            if (acpi_parse_rsdp(b2 ? b2 : b, b2 ? RSDP_V2_LEN : RSDP_V1_LEN, out, true)) {
                out->phys = p;
                return true;
            }
            log_warn("acpi: RSDP candidate at 0x%llx fails its checksum; skipped", (unsigned long long)p);
        }
    }
    return false;
}

namespace {
/// The first table with signature @p sig and a valid checksum in the order
/// the root table lists them; with @p second, the walk goes on to the next.
bool find_table(const PhysMem& mem, const Rsdp& rsdp, const char* sig, AcpiTableRef* out, AcpiTableRef* second) {
    uint32_t len = 0;
    const uint8_t* root = nullptr;
    unsigned width = 8;
    if (rsdp.revision >= 2 && rsdp.xsdt != 0) {
        root = map_table(mem, rsdp.xsdt, nullptr, &len);
        if (root != nullptr && memcmp(root, "XSDT", 4) != 0) root = nullptr;
        if (root == nullptr) log_warn("acpi: XSDT at 0x%llx unusable; using the RSDT", (unsigned long long)rsdp.xsdt);
    }
    if (root == nullptr) {
        width = 4;
        root = map_table(mem, rsdp.rsdt, nullptr, &len);
        if (root != nullptr && memcmp(root, "RSDT", 4) != 0) {
            log_warn("acpi: no RSDT at 0x%x", rsdp.rsdt);
            root = nullptr;
        }
        if (root == nullptr) return false;
    }
    if ((len - SDT_HEADER_LEN) % width != 0)
        log_warn("acpi: %.4s length %u leaves a partial entry; ignored", (const char*)root, len);
    bool found = false;
    for (uint32_t off = SDT_HEADER_LEN; off + width <= len; off += width) {
        uint64_t phys = width == 8 ? load_le64(root + off) : load_le32(root + off);
        const uint8_t* h = mem.map(phys, SDT_HEADER_LEN);
        if (h == nullptr) {
            log_warn("acpi: %.4s entry %u (0x%llx) is outside readable memory; skipped",
                     (const char*)root, (off - (uint32_t)SDT_HEADER_LEN) / width, (unsigned long long)phys);
            continue;
        }
        uint32_t n = 0;
        if (memcmp(h, sig, 4) != 0 || map_table(mem, phys, sig, &n) == nullptr) continue;
        *(found ? second : out) = AcpiTableRef{phys, n};
        if (found || second == nullptr) return true;
        found = true;
    }
    return found;
}
}  // namespace

bool acpi_find_table(const PhysMem& mem, const Rsdp& rsdp, const char* sig, AcpiTableRef* out) {
    return find_table(mem, rsdp, sig, out, nullptr);
}

bool madt_parse(const uint8_t* t, size_t len, MadtInfo* out) {
    memset(out, 0, sizeof *out);
    out->lapic_addr = LAPIC_DEFAULT_ADDR;
    uint32_t n = (t != nullptr && len >= MADT_ENTRIES) ? load_le32(t + 4) : 0;
    if (const char* why = table_problem(t, len, "APIC", MADT_ENTRIES, n)) {
        MADT_WARN(out, "madt: %s (length %u, %zu bytes available); ignored", why, n, len);
        return false;
    }
    out->found = true;
    out->revision = t[8];
    out->lapic_addr = load_le32(t + 36);
    out->flags = load_le32(t + 40);
    // LAB 03 BEGIN: walk the entries (type, length) to the table's end; stop at a length that cannot be trusted
    for (uint32_t off = MADT_ENTRIES; off < n;) {
        if (n - off < 2) {
            MADT_WARN(out, "madt: %u stray byte(s) at offset %u; walk stopped", n - off, off);
            break;
        }
        const uint8_t* e = t + off;
        if (e[1] < 2) {
            MADT_WARN(out, "madt: entry at offset %u has length %u; walk stopped", off, e[1]);
            break;
        }
        if (e[1] > n - off) {
            MADT_WARN(out, "madt: entry at offset %u (type %u, length %u) runs past the table end; walk stopped", off, e[0], e[1]);
            break;
        }
        if (e[1] < madt_min_len(e[0]))
            MADT_WARN(out, "madt: entry at offset %u (type %u) is %u bytes, too short; skipped", off, e[0], e[1]);
        else
            madt_entry(out, e, off);
        off += e[1];
    }
    // LAB 03 STUB: lab_todo(3, "the entry walk in madt_parse()");
    // LAB 03 STUB: (void)madt_entry; (void)madt_min_len;
    // LAB 03 LATER: lab_later(3, "the MADT's entries are not read: the boot CPU runs alone, without IOAPIC");
    // LAB 03 LATER: (void)madt_entry; (void)madt_min_len;
    // LAB 03 END
    if (out->cpu_entries > out->ncpus && out->ncpus == COHORT_MAX_CPUS)
        MADT_WARN(out, "madt: %u processor entries but COHORT_MAX_CPUS is %u; keeping the first %u",
                  out->cpu_entries, (unsigned)COHORT_MAX_CPUS, (unsigned)COHORT_MAX_CPUS);
    return true;
}

bool acpi_discover(const PhysMem& mem, const AcpiRsdpTags& tags, MadtInfo* out, Rsdp* rsdp_out) {
    memset(out, 0, sizeof *out);
    out->lapic_addr = LAPIC_DEFAULT_ADDR;
    Rsdp rsdp{};
    bool have = (tags.v2 && acpi_parse_rsdp(tags.v2, tags.v2_len, &rsdp)) ||
                (tags.v1 && acpi_parse_rsdp(tags.v1, tags.v1_len, &rsdp));
    if (!have && !acpi_scan_rsdp(mem, &rsdp)) {
        log_info("acpi: no RSDP found");
        return false;
    }
    log_info("acpi: RSDP revision %u (%s) at 0x%llx: RSDT 0x%x XSDT 0x%llx", rsdp.revision,
             rsdp.oem_id, (unsigned long long)rsdp.phys, rsdp.rsdt, (unsigned long long)rsdp.xsdt);
    if (rsdp_out != nullptr) *rsdp_out = rsdp;
    AcpiTableRef ref{}, more{};
    if (!find_table(mem, rsdp, "APIC", &ref, &more)) {
        log_warn("acpi: no valid MADT (\"APIC\" table)");
        return false;
    }
    // Which MADT: the firmware's, or one a boot loader put in its place
    // (GRUB's `acpi` command; docs/testing.md), by its OEM fields (Table 5.4).
    const uint8_t* h = mem.map(ref.phys, SDT_HEADER_LEN);
    log_info("acpi: MADT revision %u (%.6s %.8s) at 0x%llx, %u bytes", h[8], (const char*)h + 10,
             (const char*)h + 16, (unsigned long long)ref.phys, ref.len);
    // A second MADT describes the machine a second time, perhaps otherwise
    // (GRUB's `acpi` without --exclude=APIC lists its table before the
    // firmware's): the first listed is read, the second named.
    if (more.len != 0) {
        const uint8_t* m = mem.map(more.phys, SDT_HEADER_LEN);
        log_warn("acpi: a second MADT (%.6s %.8s) at 0x%llx; only the first is read", (const char*)m + 10,
                 (const char*)m + 16, (unsigned long long)more.phys);
    }
    return madt_parse(mem.map(ref.phys, ref.len), ref.len, out);
}
