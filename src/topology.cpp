// Topology decoding: CPUID levels -> APIC id fields -> package/die/core/SMT
// ids (see topology.h for the picture and the manual sections).
#include "topology.h"
#include "format.h"
#include "kstring.h"
#include "log.h"

namespace {

constexpr uint32_t kExtBase = 0x80000000u;

/// The injected source, asked only for leaves the probe found in range
/// (cpuid.h explains why an out-of-range leaf must never be asked).
struct Guard {
    CpuidFn fn;
    void* ctx;
    const CpuFeatures& f;

    bool has(uint32_t leaf) const {
        return leaf < kExtBase ? leaf <= f.max_basic_leaf : f.max_ext_leaf != 0 && leaf <= f.max_ext_leaf;
    }
    CpuidRegs get(uint32_t leaf, uint32_t sub) const { return has(leaf) ? fn(leaf, sub, ctx) : CpuidRegs{}; }
};

uint32_t low_bits(uint32_t value, uint32_t bits) { return bits >= 32 ? value : value & ((1u << bits) - 1); }

/// Leaf 0xB or 0x1F, subleaf by subleaf until a level of type 0 (SDM Vol. 2A,
/// CPUID leaf 1FH: "ECX[15:8] ... 0 = invalid"; subleaf 0 with EBX[15:0] = 0
/// means the leaf is not supported). False when the leaf is not valid.
bool read_levels(const Guard& g, uint32_t leaf, Topology& t) {
    if (!g.has(leaf)) return false;
    CpuidRegs r0 = g.get(leaf, 0);
    if ((r0.ebx & 0xFFFF) == 0 || ((r0.ecx >> 8) & 0xFF) == 0) return false;
    t.source = leaf == 0x1F ? TopoSource::Leaf1F : TopoSource::Leaf0B;
    for (uint32_t sub = 0; sub < 16; sub++) {
        CpuidRegs r = sub == 0 ? r0 : g.get(leaf, sub);
        uint8_t type = (r.ecx >> 8) & 0xFF;
        if (type == 0) break;
        if (t.nlevels == kTopoMaxLevels) {
            ksnprintf(t.note, sizeof t.note, "leaf 0x%x lists more than %u levels", leaf, kTopoMaxLevels);
            return true;  // fields_from_levels() refuses a leaf with a note
        }
        t.levels[t.nlevels++] = TopoLevel{type, uint8_t(r.eax & 0x1F), uint16_t(r.ebx & 0xFFFF)};
    }
    return true;
}

bool known_type(uint8_t type) { return type >= 1 && type <= uint8_t(TopoLevelType::Die); }

/// The four fields from the levels: the SMT level's shift, the shift of the
/// level below the die, the last level's shift. False (with a note) when the
/// levels cannot describe real hardware.
bool fields_from_levels(Topology& t) {
    if (t.note[0]) return false;  // too many levels
    uint8_t last_known = 0, below = 0;
    int die = -1;
    for (uint32_t i = 0; i < t.nlevels; i++) {
        const TopoLevel& l = t.levels[i];
        // Each level numbers at least what the one below does (SDM Vol. 3A 8.9.4).
        if (l.shift < below || (l.shift < 16 && l.count > (1u << l.shift))) {
            ksnprintf(t.note, sizeof t.note, "level %u (type %u) has shift %u and %u CPUs, below it shift %u", i,
                      l.type, l.shift, l.count, below);
            return false;
        }
        if (known_type(l.type)) {
            if (l.type <= last_known) {
                ksnprintf(t.note, sizeof t.note, "level %u has type %u after type %u", i, l.type, last_known);
                return false;
            }
            last_known = l.type;
            if (l.type == uint8_t(TopoLevelType::Smt)) {
                t.smt_shift = l.shift;
                t.threads_per_core = l.count;
            }
            if (l.type == uint8_t(TopoLevelType::Die)) die = int(i);
        } else if (!t.note[0]) {
            ksnprintf(t.note, sizeof t.note, "level %u has reserved type %u: its bits are counted into the level "
                      "below", i, l.type);
        }
        below = l.shift;
    }
    const TopoLevel& top = t.levels[t.nlevels - 1];
    t.package_shift = top.shift;
    t.logical_per_package = top.count;
    t.die_base = die > 0 ? t.levels[die - 1].shift : die == 0 ? 0 : t.package_shift;
    if (t.threads_per_core == 0) t.threads_per_core = 1;
    return true;
}

/// Before leaf 0xB: the probe's legacy widths (cpuid.cpp, leaf 1/4 or AMD
/// Fn8000_0008), and on AMD with TOPOEXT the nodes of Fn8000_001E ECX[10:8],
/// which split the package into dies (APM Vol. 3, Appendix E, CPUID
/// Fn8000_001E NodesPerProcessor; on multi-die parts such as the first EPYC
/// the node id is the top of the package's APIC id bits). Levels are made
/// up to match.
bool legacy_fields(const Guard& g, Topology& t) {
    const CpuTopology& c = g.f.topology;
    t.smt_shift = c.smt_shift;
    t.package_shift = c.package_shift;
    t.die_base = c.package_shift;
    t.threads_per_core = c.threads_per_core ? c.threads_per_core : 1;
    t.logical_per_package = c.logical_per_package ? c.logical_per_package : 1;
    switch (c.source) {
    case CpuTopologySource::Leaf1: t.source = TopoSource::Leaf1; break;
    case CpuTopologySource::Leaf4: t.source = TopoSource::Leaf4; break;
    case CpuTopologySource::Ext8: t.source = TopoSource::Amd8; break;
    default: t.source = TopoSource::None; break;
    }
    uint32_t nodes = 1;
    bool topoext = (g.get(0x80000001, 0).ecx >> 22) & 1;
    if (g.f.vendor == CpuVendor::Amd && topoext && g.has(0x8000001E)) {
        CpuidRegs r = g.get(0x8000001E, 0);
        t.source = TopoSource::Amd1E;
        t.amd_node = r.ecx & 0xFF;
        nodes = ((r.ecx >> 8) & 7) + 1;
        uint8_t node_bits = cpuid_id_bits(nodes);
        t.die_base = t.package_shift >= node_bits ? uint8_t(t.package_shift - node_bits) : 0;
    }
    if (t.smt_shift > t.die_base) {
        ksnprintf(t.note, sizeof t.note, "%s: smt shift %u above core bits ending at %u",
                  topology_source_name(t), t.smt_shift, t.die_base);
        return false;
    }
    t.levels[t.nlevels++] = TopoLevel{uint8_t(TopoLevelType::Smt), t.smt_shift, t.threads_per_core};
    t.levels[t.nlevels++] = TopoLevel{uint8_t(TopoLevelType::Core), t.die_base,
                                      uint16_t(t.logical_per_package / nodes)};
    if (nodes > 1) t.levels[t.nlevels++] = TopoLevel{uint8_t(TopoLevelType::Die), t.package_shift, t.logical_per_package};
    return true;
}

}  // namespace

void topology_fallback(Topology& out) {
    out.source = TopoSource::Fallback;
    out.nlevels = 1;
    out.levels[0] = TopoLevel{uint8_t(TopoLevelType::Core), 0, 1};
    out.smt_shift = out.die_base = out.package_shift = 0;
    out.threads_per_core = out.logical_per_package = 1;
}

/// [decode]
bool topology_decode(CpuidFn fn, void* ctx, const CpuFeatures& f, Topology& out) {
    memset(&out, 0, sizeof out);
    if (!f.has_cpuid || fn == nullptr) {
        topology_fallback(out);
        out.source = TopoSource::None;
        return true;
    }
    Guard g{fn, ctx, f};
    // Leaf 0x1F supersedes 0xB where both are valid (SDM Vol. 2A, CPUID leaf
    // 0BH: "Intel recommends first checking for the existence of Leaf 1FH").
    bool ok = read_levels(g, 0x1F, out) || read_levels(g, 0xB, out)
                  ? fields_from_levels(out)
                  : legacy_fields(g, out);
    if (!ok) topology_fallback(out);
    return ok;
}
/// [decode]

/// [ids]
TopoIds topology_ids(const Topology& t, uint32_t apic) {
    TopoIds ids;
    ids.smt = low_bits(apic, t.smt_shift);
    ids.core = low_bits(t.smt_shift >= 32 ? 0 : apic >> t.smt_shift, t.die_base - t.smt_shift);
    ids.die = low_bits(t.die_base >= 32 ? 0 : apic >> t.die_base, t.package_shift - t.die_base);
    ids.package = t.package_shift >= 32 ? 0 : apic >> t.package_shift;
    return ids;
}
/// [ids]

/// [fits]
bool topology_fits(const Topology& t, const uint32_t* apics, uint32_t n, char* why, size_t cap) {
    for (uint32_t i = 0; i < n; ++i) {
        TopoIds a = topology_ids(t, apics[i]);
        uint32_t in_core = 0, in_package = 0;
        for (uint32_t j = 0; j < n; ++j) {
            TopoIds b = topology_ids(t, apics[j]);
            in_package += a.package == b.package;
            in_core += a.package == b.package && a.die == b.die && a.core == b.core;
        }
        if (in_core > t.threads_per_core || in_package > t.logical_per_package) {
            ksnprintf(why, cap, "puts %u CPUs in the core and %u in the package of apic %u, CPUID says at most %u "
                      "and %u", in_core, in_package, apics[i], t.threads_per_core, t.logical_per_package);
            return false;
        }
    }
    return true;
}
/// [fits]

bool topology_same_layout(const Topology& a, const Topology& b) {
    return a.smt_shift == b.smt_shift && a.die_base == b.die_base && a.package_shift == b.package_shift;
}

const char* topology_level_name(uint8_t type, char* buf) {
    static const char* const names[] = {"invalid", "smt", "core", "module", "tile", "die"};
    if (type < array_size(names)) return names[type];
    ksnprintf(buf, 12, "type %u", type);
    return buf;
}

const char* topology_source_name(const Topology& t) {
    switch (t.source) {
    case TopoSource::Leaf1F: return "leaf 0x1f";
    case TopoSource::Leaf0B: return "leaf 0xb";
    case TopoSource::Amd1E: return "amd 0x8000001e";
    case TopoSource::Amd8: return "amd 0x80000008";
    case TopoSource::Leaf4: return "leaf 4";
    case TopoSource::Leaf1: return "leaf 1";
    case TopoSource::Fallback: return "fallback";
    default: return "none";
    }
}

void topology_print(const Topology& t, const char* prefix) {
    char buf[12];
    for (uint32_t i = 0; i < t.nlevels; i++)
        log_info("%slevel %u %s shift %u count %u", prefix, i, topology_level_name(t.levels[i].type, buf),
                 t.levels[i].shift, t.levels[i].count);
    log_info("%sfields smt %u core %u die %u bits, package from bit %u (%s)", prefix, t.smt_shift,
             t.die_base - t.smt_shift, t.package_shift - t.die_base, t.package_shift, topology_source_name(t));
}
