/// @file topology.h
/// Where a logical CPU sits: its package, die, core and SMT (thread) ids.
///
/// An APIC id is not a number but a set of bit fields, lowest first: the
/// thread within its core, the core, then (on newer parts) module, tile and
/// die, and above them all the package (SDM Vol. 3A 8.9.1, "Hierarchical
/// Mapping of Shared Resources"). The widths of the fields are not in the
/// APIC id: CPUID gives them, as a "shift" per level, the number of low APIC
/// id bits that the level and everything below it use:
///
///   - leaf 0x1F (V2 extended topology, SMT/core/module/tile/die) where it is
///     valid, else leaf 0xB (SMT/core): SDM Vol. 2A, CPUID, leaves 0BH and 1FH;
///     Vol. 3A 8.9.4 and 8.9.5 ("Identifying Topological Relationships");
///   - AMD without them: Fn8000_0008 ECX ApicIdSize for the package and, with
///     TOPOEXT, Fn8000_001E for threads per core and nodes (dies) per package
///     (AMD APM Vol. 3, Appendix E, CPUID Fn8000_0008 and Fn8000_001E);
///   - older Intel CPUs: the arithmetic of leaf 1 EBX[23:16] and leaf 4
///     EAX[31:26] (SDM Vol. 3A 8.9.1 example, "Programming Considerations for
///     Hardware Multi-Threading Capable Processors").
///
/// Cohort keeps four ids. Module and tile bits belong to the core id (a core
/// id is then unique within its die), so the fields are:
///
///     apic id:  | package ... | die | core (+module, tile) | smt |
///                ^package_shift ^die_base                 ^smt_shift
///
/// The decoder reads the injected CPUID source of cpuid.h, so the host tests
/// replay recorded dumps (tests/data/cpuid/) through the same code as a boot.
#pragma once
#include "cpuid.h"
#include "types.h"

/// Where a Topology came from, best first.
enum class TopoSource : uint8_t {
    None,     ///< nothing usable: every CPU is its own package
    Leaf1,    ///< leaf 1 EBX[23:16] alone (threads/cores not told apart)
    Leaf4,    ///< Intel leaf 1 + leaf 4 (before leaf 0xB)
    Amd8,     ///< AMD Fn8000_0008 ECX alone (package width, no thread count)
    Amd1E,    ///< AMD Fn8000_0008 with Fn8000_001E (TOPOEXT): threads per core, nodes
    Leaf0B,   ///< leaf 0xB: SMT and core levels
    Leaf1F,   ///< leaf 0x1F: SMT, core, module, tile, die
    Fallback, ///< the CPUID layout could not be believed: flat, one thread per package
};

/// CPUID's level type numbers (leaf 0xB/0x1F ECX[15:8]); others are reserved.
enum class TopoLevelType : uint8_t { Invalid = 0, Smt = 1, Core = 2, Module = 3, Tile = 4, Die = 5 };

/// One level as CPUID reports it, lowest first.
struct TopoLevel {
    uint8_t type;   ///< TopoLevelType value, or the reserved number as reported
    uint8_t shift;  ///< APIC id >> shift = the id of the next level up
    uint16_t count; ///< logical CPUs at this level (leaf 0xB/0x1F EBX[15:0]; derived otherwise)
};

/// Capacity of Topology::levels: leaf 0x1F defines five types; two spare.
constexpr uint32_t kTopoMaxLevels = 7;

/// How APIC ids split into package, die, core and SMT fields.
struct Topology {
    TopoSource source;                ///< where it came from
    uint8_t nlevels;                  ///< entries in @ref levels
    TopoLevel levels[kTopoMaxLevels]; ///< the levels, lowest first; the last spans the package
    uint8_t smt_shift;                ///< bits of the SMT id: APIC id bits [0, smt_shift)
    uint8_t die_base;                 ///< the core id is bits [smt_shift, die_base)
    uint8_t package_shift;            ///< the die id is bits [die_base, package_shift); above: package
    uint16_t threads_per_core;        ///< as reported (leaf 0xB/0x1F count) or 1 << smt_shift
    uint16_t logical_per_package;     ///< as reported, or 1 << package_shift
    uint32_t amd_node;                ///< AMD Fn8000_001E ECX[7:0] NodeId; 0 elsewhere
    char note[112];                   ///< why the layout was not believed, or what was odd; "" if nothing
};

/// The ids of one logical CPU. Each is unique within the level above it;
/// the package id is unique in the machine.
struct TopoIds {
    uint32_t package; ///< APIC id >> package_shift
    uint32_t die;     ///< die within the package (0 without a die level)
    uint32_t core;    ///< core within the die (module and tile bits included)
    uint32_t smt;     ///< thread within the core
};

/// Decode the topology of the CPU that @p fn answers for, already probed
/// into @p f (cpuid_probe() with the same source). Always fills @p out and
/// never logs (every CPU runs it; the caller says things once): a layout that
/// cannot be right (shifts that shrink going up, a count beyond what its
/// shift can number, too many levels) is replaced by TopoSource::Fallback,
/// the reason in Topology::note, and false returned. A reserved level type
/// is kept, its bits counted into the known level below it, and named in
/// the note; that still returns true.
bool topology_decode(CpuidFn fn, void* ctx, const CpuFeatures& f, Topology& out);

/// The flat layout used when nothing better is known: every APIC id is a
/// package of one core of one thread.
void topology_fallback(Topology& out);

/// The ids of the CPU with APIC id @p apic under @p t.
TopoIds topology_ids(const Topology& t, uint32_t apic);

/// True when the @p n APIC ids @p apics (the CPUs a firmware table lists) fit
/// @p t: no core holds more of them than CPUID's threads per core, no
/// package more than its logical CPUs per package. The counts are the ones
/// the CPU was configured with (SDM Vol. 3A 8.9.4): fewer CPUs listed is
/// normal (disabled, maxcpus), more means the layout is wrong. When it does
/// not fit, false and the first CPU that does not in @p why ("puts ...").
bool topology_fits(const Topology& t, const uint32_t* apics, uint32_t n, char* why, size_t cap);

/// True when @p a and @p b split APIC ids the same way (same shifts).
bool topology_same_layout(const Topology& a, const Topology& b);

/// "smt", "core", "module", "tile", "die", or "type N" for a reserved type
/// (written into @p buf, which must hold 12 bytes).
const char* topology_level_name(uint8_t type, char* buf);

/// "leaf 0x1f", "leaf 0xb", "amd 0x8000001e", "amd 0x80000008", "leaf 4",
/// "leaf 1", "fallback" or "none".
const char* topology_source_name(const Topology& t);

/// Log @p t through log_info(), every line starting with @p prefix:
/// `<prefix>level <i> <name> shift <s> count <n>` per level, then
/// `<prefix>fields smt <a> core <b> die <c> bits, package from bit <d> (<source>)`.
void topology_print(const Topology& t, const char* prefix);
