// CPUID decoding: vendor, brand, signature, feature flags, APIC ids and
// topology, from an injected CPUID source (see cpuid.h).
#include "cpuid.h"
#include "format.h"
#include "kstring.h"
#include "labs.h"
#include "log.h"

namespace {

enum class Reg : uint8_t { Eax, Ebx, Ecx, Edx };

/// One feature flag: its name and where CPUID reports it (subleaf 0).
struct FlagRow {
    CpuFlag flag;
    const char* name;
    uint32_t leaf;
    Reg reg;
    uint8_t bit;
};

// Names as Linux prints them in /proc/cpuinfo, so they can be compared.
// Adding a flag: one enumerator in cpuid.h, one row here, in the same place.
constexpr FlagRow kFlags[] = {
    {CpuFlag::Fpu, "fpu", 1, Reg::Edx, 0},
    {CpuFlag::Vme, "vme", 1, Reg::Edx, 1},
    {CpuFlag::De, "de", 1, Reg::Edx, 2},
    {CpuFlag::Pse, "pse", 1, Reg::Edx, 3},
    {CpuFlag::Tsc, "tsc", 1, Reg::Edx, 4},
    {CpuFlag::Msr, "msr", 1, Reg::Edx, 5},
    {CpuFlag::Pae, "pae", 1, Reg::Edx, 6},
    {CpuFlag::Mce, "mce", 1, Reg::Edx, 7},
    {CpuFlag::Cx8, "cx8", 1, Reg::Edx, 8},
    {CpuFlag::Apic, "apic", 1, Reg::Edx, 9},
    {CpuFlag::Sep, "sep", 1, Reg::Edx, 11},
    {CpuFlag::Mtrr, "mtrr", 1, Reg::Edx, 12},
    {CpuFlag::Pge, "pge", 1, Reg::Edx, 13},
    {CpuFlag::Mca, "mca", 1, Reg::Edx, 14},
    {CpuFlag::Cmov, "cmov", 1, Reg::Edx, 15},
    {CpuFlag::Pat, "pat", 1, Reg::Edx, 16},
    {CpuFlag::Pse36, "pse36", 1, Reg::Edx, 17},
    {CpuFlag::Clflush, "clflush", 1, Reg::Edx, 19},
    {CpuFlag::Mmx, "mmx", 1, Reg::Edx, 23},
    {CpuFlag::Fxsr, "fxsr", 1, Reg::Edx, 24},
    {CpuFlag::Sse, "sse", 1, Reg::Edx, 25},
    {CpuFlag::Sse2, "sse2", 1, Reg::Edx, 26},
    {CpuFlag::Htt, "ht", 1, Reg::Edx, 28},
    {CpuFlag::Sse3, "pni", 1, Reg::Ecx, 0},
    {CpuFlag::Monitor, "monitor", 1, Reg::Ecx, 3},
    {CpuFlag::Vmx, "vmx", 1, Reg::Ecx, 5},
    {CpuFlag::Ssse3, "ssse3", 1, Reg::Ecx, 9},
    {CpuFlag::Cx16, "cx16", 1, Reg::Ecx, 13},
    {CpuFlag::Pcid, "pcid", 1, Reg::Ecx, 17},
    {CpuFlag::Sse41, "sse4_1", 1, Reg::Ecx, 19},
    {CpuFlag::Sse42, "sse4_2", 1, Reg::Ecx, 20},
    {CpuFlag::X2apic, "x2apic", 1, Reg::Ecx, 21},
    {CpuFlag::Popcnt, "popcnt", 1, Reg::Ecx, 23},
    {CpuFlag::TscDeadline, "tsc_deadline_timer", 1, Reg::Ecx, 24},
    {CpuFlag::Xsave, "xsave", 1, Reg::Ecx, 26},
    {CpuFlag::Avx, "avx", 1, Reg::Ecx, 28},
    {CpuFlag::Rdrand, "rdrand", 1, Reg::Ecx, 30},
    {CpuFlag::Hypervisor, "hypervisor", 1, Reg::Ecx, 31},
    {CpuFlag::Syscall, "syscall", 0x80000001, Reg::Edx, 11},
    {CpuFlag::Nx, "nx", 0x80000001, Reg::Edx, 20},
    {CpuFlag::Page1gb, "pdpe1gb", 0x80000001, Reg::Edx, 26},
    {CpuFlag::Rdtscp, "rdtscp", 0x80000001, Reg::Edx, 27},
    {CpuFlag::Lm, "lm", 0x80000001, Reg::Edx, 29},
    {CpuFlag::LahfLm, "lahf_lm", 0x80000001, Reg::Ecx, 0},
    {CpuFlag::Svm, "svm", 0x80000001, Reg::Ecx, 2},
    {CpuFlag::Arat, "arat", 6, Reg::Eax, 2},
    {CpuFlag::Fsgsbase, "fsgsbase", 7, Reg::Ebx, 0},
    {CpuFlag::Avx2, "avx2", 7, Reg::Ebx, 5},
    {CpuFlag::Smep, "smep", 7, Reg::Ebx, 7},
    {CpuFlag::Invpcid, "invpcid", 7, Reg::Ebx, 10},
    {CpuFlag::Smap, "smap", 7, Reg::Ebx, 20},
    {CpuFlag::Umip, "umip", 7, Reg::Ecx, 2},
    {CpuFlag::La57, "la57", 7, Reg::Ecx, 16},
    {CpuFlag::HybridCpu, "hybrid_cpu", 7, Reg::Edx, 15},
    {CpuFlag::InvariantTsc, "invariant_tsc", 0x80000007, Reg::Edx, 8},
};

constexpr bool rows_in_enum_order() {
    for (size_t i = 0; i < array_size(kFlags); i++)
        if (static_cast<size_t>(kFlags[i].flag) != i || kFlags[i].bit > 31) return false;
    return true;
}
static_assert(array_size(kFlags) == static_cast<size_t>(CpuFlag::Count), "one row per CpuFlag");
static_assert(rows_in_enum_order(), "kFlags rows must follow the CpuFlag order");

constexpr uint32_t kExtBase = 0x80000000u;

/// [leaf guard]
/// The injected source, guarded: leaves above the reported maxima read as zero
/// without being asked for, and subleaf-0 answers are cached for the flag table.
struct Source {
    CpuidFn fn;
    void* ctx;
    uint32_t max_basic = 0;
    uint32_t max_ext = 0;
    uint32_t cached_leaf[8] = {};
    CpuidRegs cached[8] = {};
    size_t ncached = 0;

    bool has(uint32_t leaf) const {
        return leaf < kExtBase ? leaf <= max_basic : max_ext != 0 && leaf <= max_ext;
    }
    CpuidRegs get(uint32_t leaf, uint32_t subleaf) const {
        return has(leaf) ? fn(leaf, subleaf, ctx) : CpuidRegs{};
    }
    CpuidRegs get0(uint32_t leaf) {
        for (size_t i = 0; i < ncached; i++)
            if (cached_leaf[i] == leaf) return cached[i];
        CpuidRegs r = get(leaf, 0);
        if (ncached < array_size(cached)) {
            cached_leaf[ncached] = leaf;
            cached[ncached++] = r;
        }
        return r;
    }
};
/// [leaf guard]

uint32_t reg_of(const CpuidRegs& r, Reg reg) {
    switch (reg) {
    case Reg::Eax: return r.eax;
    case Reg::Ebx: return r.ebx;
    case Reg::Ecx: return r.ecx;
    default: return r.edx;
    }
}

void set_flag(CpuFeatures& f, CpuFlag flag) {
    size_t i = static_cast<size_t>(flag);
    f.flags[i / 32] |= 1u << (i % 32);
}

void decode_vendor(const CpuidRegs& r0, CpuFeatures& out) {
    // LAB 02 BEGIN: the 12-byte vendor string from EBX, EDX, ECX (in that order), NUL-terminated
    memcpy(out.vendor_string + 0, &r0.ebx, 4);
    memcpy(out.vendor_string + 4, &r0.edx, 4);
    memcpy(out.vendor_string + 8, &r0.ecx, 4);
    out.vendor_string[12] = '\0';
    // LAB 02 STUB: lab_todo(2, "the vendor string in decode_vendor()");
    // LAB 02 STUB: (void)r0;
    // LAB 02 LATER: lab_later(2, "the vendor string is not read");
    // LAB 02 LATER: memcpy(out.vendor_string, "unknown", 8); (void)r0;
    // LAB 02 END
    if (strcmp(out.vendor_string, "GenuineIntel") == 0)
        out.vendor = CpuVendor::Intel;
    else if (strcmp(out.vendor_string, "AuthenticAMD") == 0 || strcmp(out.vendor_string, "AMDisbetter!") == 0)
        out.vendor = CpuVendor::Amd;
    else
        out.vendor = CpuVendor::Other;
}

// SDM Vol. 2A, CPUID, Figure 3-6 and the display family/model rule after it;
// AMD APM Vol. 3, CPUID Fn0000_0001_EAX: AMD adds the extended model only
// for base family 0xF (Intel also for family 6).
void decode_signature(const CpuidRegs& r1, CpuFeatures& out) {
    // LAB 02 BEGIN: signature, stepping, and the display family and model (extended fields by vendor)
    uint32_t base_family = (r1.eax >> 8) & 0xF, base_model = (r1.eax >> 4) & 0xF;
    uint32_t ext_family = (r1.eax >> 20) & 0xFF, ext_model = (r1.eax >> 16) & 0xF;
    out.signature = r1.eax;
    out.stepping = r1.eax & 0xF;
    out.family = base_family == 0xF ? base_family + ext_family : base_family;
    bool with_ext_model = out.vendor == CpuVendor::Amd ? base_family == 0xF
                                                       : base_family == 0x6 || base_family == 0xF;
    out.model = with_ext_model ? (ext_model << 4) + base_model : base_model;
    // LAB 02 STUB: lab_todo(2, "family, model and stepping in decode_signature()");
    // LAB 02 LATER: lab_later(2, "family, model and stepping are not decoded");
    // LAB 02 LATER: out.signature = r1.eax;
    // LAB 02 END
    out.initial_apic_id = r1.ebx >> 24;
    bool htt = (r1.edx >> 28) & 1;
    out.leaf1_logical = htt && ((r1.ebx >> 16) & 0xFF) != 0 ? (r1.ebx >> 16) & 0xFF : 1;
}

// Leaves 0x80000002-4 hold 48 bytes of text. Intel right-justifies it with
// leading spaces (SDM Vol. 2A, CPUID, "Processor Brand String").
void decode_brand(Source& s, CpuFeatures& out) {
    if (!s.has(0x80000004)) return;
    char raw[49];
    for (uint32_t i = 0; i < 3; i++) {
        CpuidRegs r = s.get(0x80000002 + i, 0);
        memcpy(raw + 16 * i + 0, &r.eax, 4);
        memcpy(raw + 16 * i + 4, &r.ebx, 4);
        memcpy(raw + 16 * i + 8, &r.ecx, 4);
        memcpy(raw + 16 * i + 12, &r.edx, 4);
    }
    raw[48] = '\0';
    size_t len = strlen(raw), start = 0;
    while (start < len && raw[start] == ' ') start++;
    while (len > start && raw[len - 1] == ' ') len--;
    for (size_t i = start; i < len; i++)
        out.brand[i - start] = raw[i] >= 0x20 && raw[i] < 0x7f ? raw[i] : '?';
    out.brand[len - start] = '\0';
    out.has_brand = len > start;
}

// Leaf 0xB: SDM Vol. 3A 8.9.4 and Vol. 2A, CPUID leaf 0BH. Valid only when
// subleaf 0 reports a non-zero EBX[15:0]; its levels run until a level type 0.
bool decode_leaf_b(Source& s, CpuFeatures& out) {
    if (!s.has(0xB)) return false;
    CpuidRegs r0 = s.get(0xB, 0);
    if ((r0.ebx & 0xFFFF) == 0) return false;
    CpuTopology& t = out.topology;
    out.has_x2apic_id = true;
    out.x2apic_id = r0.edx;
    t.source = CpuTopologySource::Leaf0B;
    // LAB 02 BEGIN: walk the levels until type 0: the SMT level's shift and count, the last level spans the package
    for (uint32_t sub = 0; sub < 8; sub++) {
        CpuidRegs r = sub == 0 ? r0 : s.get(0xB, sub);
        uint32_t type = (r.ecx >> 8) & 0xFF;
        if (type == 0) break;
        uint8_t shift = r.eax & 0x1F;
        uint16_t count = r.ebx & 0xFFFF;
        if (type == 1) {  // SMT
            t.smt_shift = shift;
            t.threads_per_core = count;
        }
        // The highest level reported spans the package.
        t.package_shift = shift;
        t.logical_per_package = count;
    }
    // LAB 02 STUB: lab_todo(2, "the topology levels of leaf 0xB in decode_leaf_b()");
    // LAB 02 LATER: lab_later(2, "the topology levels of leaf 0xB are not read: one thread per core, one CPU per package");
    // LAB 02 END
    return true;
}

// Before leaf 0xB: Intel's leaf 4 EAX[31:26] (max core ids per package - 1,
// SDM Vol. 3A 8.9.1 example), AMD's 0x80000008 ECX (APM Vol. 3, ApicIdSize
// and NC) with 0x8000001E EBX[15:8] for threads per core when TOPOEXT is set.
void decode_legacy_topology(Source& s, CpuFeatures& out) {
    CpuTopology& t = out.topology;
    uint32_t logical = out.leaf1_logical;
    t.package_shift = cpuid_id_bits(logical);
    if (out.vendor == CpuVendor::Amd && s.has(0x80000008)) {
        uint32_t ecx = s.get(0x80000008, 0).ecx;
        uint32_t size = (ecx >> 12) & 0xF;
        t.package_shift = size != 0 ? size : cpuid_id_bits((ecx & 0xFF) + 1);
        bool topoext = (s.get0(0x80000001).ecx >> 22) & 1;
        if (topoext && s.has(0x8000001E)) t.smt_shift = cpuid_id_bits(((s.get(0x8000001E, 0).ebx >> 8) & 0xFF) + 1);
        t.source = CpuTopologySource::Ext8;
    } else if (uint32_t l4 = s.get(4, 0).eax; out.vendor != CpuVendor::Amd && (l4 & 0x1F) != 0) {
        // Both counts are rounded up to powers of two before they are divided
        // (SDM Vol. 3A 8.9.1 example, SMT_Mask_Width): 6 logical CPUs over
        // 3 cores, reported as 4 addressable core ids, are 8 / 4 = 2 threads.
        uint32_t cores = ((l4 >> 26) & 0x3F) + 1;
        uint8_t logical_bits = cpuid_id_bits(logical), core_bits = cpuid_id_bits(cores);
        t.smt_shift = logical_bits > core_bits ? uint8_t(logical_bits - core_bits) : 0;
        t.source = CpuTopologySource::Leaf4;
    } else if (logical > 1) {
        t.source = CpuTopologySource::Leaf1;
    }
    t.threads_per_core = static_cast<uint16_t>(1u << t.smt_shift);
    t.logical_per_package = static_cast<uint16_t>(logical);
}

const char* topology_source_name(CpuTopologySource s) {
    switch (s) {
    case CpuTopologySource::Leaf1: return "leaf 1";
    case CpuTopologySource::Leaf4: return "leaf 4";
    case CpuTopologySource::Ext8: return "leaf 0x80000008";
    case CpuTopologySource::Leaf0B: return "leaf 0xb";
    default: return "none";
    }
}

}  // namespace

uint8_t cpuid_id_bits(uint32_t n) {
    uint8_t b = 0;
    while (b < 32 && (1ull << b) < n) b++;
    return b;
}

uint32_t CpuFeatures::logical_per_package() const {
    return topology.logical_per_package != 0 ? topology.logical_per_package : 1;
}

bool cpu_has(const CpuFeatures& f, CpuFlag flag) {
    size_t i = static_cast<size_t>(flag);
    return i < static_cast<size_t>(CpuFlag::Count) && ((f.flags[i / 32] >> (i % 32)) & 1) != 0;
}

const char* cpu_flag_name(CpuFlag flag) {
    size_t i = static_cast<size_t>(flag);
    return i < array_size(kFlags) ? kFlags[i].name : "?";
}

/// [probe]
void cpuid_probe(CpuidFn fn, void* ctx, bool has_cpuid, CpuFeatures& out) {
    memset(&out, 0, sizeof out);
    out.topology.threads_per_core = 1;
    out.topology.logical_per_package = 1;
    out.leaf1_logical = 1;
    if (!has_cpuid || fn == nullptr) {
        log_warn("cpuid: no CPUID instruction (i486 or older): vendor, features and APIC ids unknown");
        return;
    }
    out.has_cpuid = true;
    Source s{fn, ctx};
    CpuidRegs r0 = fn(0, 0, ctx);
    s.max_basic = out.max_basic_leaf = r0.eax;
    decode_vendor(r0, out);
    // A CPU without extended leaves answers 0x80000000 with some basic leaf's
    // data; only 0x8000xxxx in EAX means the range exists.
    uint32_t ext = fn(kExtBase, 0, ctx).eax;
    s.max_ext = out.max_ext_leaf = (ext & 0xFFFF0000u) == kExtBase ? ext : 0;

    if (s.has(1)) decode_signature(s.get0(1), out);
    // LAB 02 BEGIN: set every flag of kFlags whose bit is set in its leaf's register
    for (const FlagRow& row : kFlags)
        if ((reg_of(s.get0(row.leaf), row.reg) >> row.bit) & 1) set_flag(out, row.flag);
    // LAB 02 STUB: lab_todo(2, "the feature flags of kFlags in cpuid_probe()");
    // LAB 02 STUB: (void)reg_of; (void)set_flag;
    // LAB 02 LATER: lab_later(2, "of the feature flags only apic and tsc are read (no x2APIC)");
    // LAB 02 LATER: CpuidRegs l1 = s.get0(1); (void)reg_of;
    // LAB 02 LATER: if (l1.edx & (1u << 9)) set_flag(out, CpuFlag::Apic);
    // LAB 02 LATER: if (l1.edx & (1u << 4)) set_flag(out, CpuFlag::Tsc);
    // LAB 02 END
    decode_brand(s, out);
    if (!decode_leaf_b(s, out)) decode_legacy_topology(s, out);
    if (s.has(0x15)) {
        CpuidRegs r = s.get(0x15, 0);
        out.tsc_ratio_den = r.eax;
        out.tsc_ratio_num = r.ebx;
        out.crystal_hz = r.ecx;
    }
    if (s.has(0x16)) {
        CpuidRegs r = s.get(0x16, 0);
        out.base_mhz = r.eax & 0xFFFF;
        out.max_mhz = r.ebx & 0xFFFF;
        out.bus_mhz = r.ecx & 0xFFFF;
    }
    // The timing leaf VMware defined and KVM offers (QEMU -cpu ...,vmware-cpuid-freq=on
    // with a fixed TSC; not under TCG): only where the hypervisor range says it exists,
    // as without the hypervisor bit leaf 0x40000000 may answer with a basic leaf's data.
    if (cpu_has(out, CpuFlag::Hypervisor) && fn(0x40000000, 0, ctx).eax >= 0x40000010) {
        CpuidRegs r = fn(0x40000010, 0, ctx);
        out.hv_tsc_khz = r.eax;
        out.hv_bus_khz = r.ebx;
    }
}
/// [probe]

void cpuid_print(const CpuFeatures& f, int kernel_cpu_id) {
    if (!f.has_cpuid) log_info("cpuid: cpu %d has no CPUID instruction", kernel_cpu_id);
    else log_info("cpuid: cpu %d signature 0x%08x", kernel_cpu_id, f.signature);
    log_info("cpuid: vendor %s family %u model %u stepping %u",
             f.has_cpuid ? f.vendor_string : "unknown", f.family, f.model, f.stepping);
    log_info("cpuid: brand %s", f.has_brand ? f.brand : "(none)");
    log_info("cpuid: max leaf 0x%x ext 0x%x", f.max_basic_leaf, f.max_ext_leaf);
    char apic[12], x2apic[12];
    ksnprintf(apic, sizeof apic, "%u", f.initial_apic_id);
    ksnprintf(x2apic, sizeof x2apic, "%u", f.x2apic_id);
    log_info("cpuid: apic id %s x2apic id %s logical/package %u", f.has_cpuid ? apic : "unknown",
             f.has_x2apic_id ? x2apic : "none", f.logical_per_package());
    const CpuTopology& t = f.topology;
    log_info("cpuid: topology smt shift %u package shift %u threads/core %u (%s)", t.smt_shift,
             t.package_shift, t.threads_per_core, topology_source_name(t.source));
    if (f.max_basic_leaf >= 0x15 && f.has_cpuid)
        log_info("cpuid: tsc/crystal %u/%u crystal %u Hz base %u MHz max %u MHz bus %u MHz",
                 f.tsc_ratio_num, f.tsc_ratio_den, f.crystal_hz, f.base_mhz, f.max_mhz, f.bus_mhz);

    // At most 100 characters a line, each line starting "cpuid: features".
    static constexpr char kPrefix[] = "cpuid: features";
    char line[104];
    size_t len = 0;
    bool any = false;
    for (const FlagRow& row : kFlags) {
        if (!cpu_has(f, row.flag)) continue;
        size_t n = strlen(row.name);
        if (len != 0 && len + 1 + n > 100) {
            log_info("%s", line);
            len = 0;
        }
        if (len == 0) len = ksnprintf(line, sizeof line, "%s", kPrefix);
        len += ksnprintf(line + len, sizeof line - len, " %s", row.name);
        any = true;
    }
    if (len != 0) log_info("%s", line);
    if (!any) log_info("%s (none)", kPrefix);
}
