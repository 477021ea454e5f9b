/// @file cpuid.h
/// The CPUID feature probe: who made this CPU, what it can do, where it sits.
///
/// The decoder never executes `cpuid` itself. It is handed a function that
/// answers one (leaf, subleaf) query: the kernel passes one that runs the real
/// instruction (x86.h), the host tests one that replays a dump recorded from a
/// QEMU CPU model (tests/data/cpuid/). So the same file decodes a real CPU at
/// boot and a recorded one in a unit test.
///
/// Only leaves up to the maxima that leaf 0 and leaf 0x80000000 report are
/// ever asked for: Intel CPUs answer an out-of-range leaf with the data of the
/// highest basic leaf (SDM Vol. 2A, CPUID, "INPUT EAX = 0"), which would look
/// like a valid but wrong answer.
#pragma once
#include "types.h"

/// The four registers one CPUID execution returns.
struct CpuidRegs {
    uint32_t eax;  ///< EAX after CPUID
    uint32_t ebx;  ///< EBX after CPUID
    uint32_t ecx;  ///< ECX after CPUID
    uint32_t edx;  ///< EDX after CPUID
};

/// A CPUID source: the registers for @p leaf (EAX input) and @p subleaf
/// (ECX input). @p ctx is passed through from cpuid_probe() unchanged.
using CpuidFn = CpuidRegs (*)(uint32_t leaf, uint32_t subleaf, void* ctx);

/// The maker, from the leaf 0 vendor string.
enum class CpuVendor : uint8_t {
    Unknown,  ///< no CPUID: nothing is known
    Intel,    ///< "GenuineIntel"
    Amd,      ///< "AuthenticAMD" (and the early K5 "AMDisbetter!")
    Other,    ///< any other string (Hygon, VIA, Zhaoxin, hypervisors' own)
};

/// The feature flags the probe decodes, in the order they are printed.
/// cpuid.cpp's flag table gives each its CPUID leaf, register and bit.
enum class CpuFlag : uint8_t {
    // Leaf 1 EDX (SDM Vol. 2A Table 3-11)
    Fpu,           ///< x87 FPU on chip
    Vme,           ///< virtual-8086 mode extensions
    De,            ///< debugging extensions (CR4.DE)
    Pse,           ///< 4 MiB pages
    Tsc,           ///< time stamp counter (RDTSC)
    Msr,           ///< RDMSR/WRMSR
    Pae,           ///< physical address extension
    Mce,           ///< machine check exception
    Cx8,           ///< CMPXCHG8B
    Apic,          ///< on-chip local APIC (may be disabled in IA32_APIC_BASE)
    Sep,           ///< SYSENTER/SYSEXIT
    Mtrr,          ///< memory type range registers
    Pge,           ///< global pages (CR4.PGE)
    Mca,           ///< machine check architecture
    Cmov,          ///< CMOVcc
    Pat,           ///< page attribute table
    Pse36,         ///< 36-bit physical addresses in 4 MiB pages
    Clflush,       ///< CLFLUSH
    Mmx,           ///< MMX
    Fxsr,          ///< FXSAVE/FXRSTOR
    Sse,           ///< SSE
    Sse2,          ///< SSE2
    Htt,           ///< leaf 1 EBX[23:16] is valid (several logical CPUs per package possible)
    // Leaf 1 ECX (SDM Vol. 2A Table 3-10)
    Sse3,          ///< SSE3 (Linux: "pni")
    Monitor,       ///< MONITOR/MWAIT
    Vmx,           ///< VMX
    Ssse3,         ///< SSSE3
    Cx16,          ///< CMPXCHG16B
    Pcid,          ///< process-context identifiers (CR4.PCIDE)
    Sse41,         ///< SSE4.1
    Sse42,         ///< SSE4.2
    X2apic,        ///< the local APIC can run in x2APIC mode (SDM Vol. 3A 10.12)
    Popcnt,        ///< POPCNT
    TscDeadline,   ///< LAPIC timer TSC-deadline mode (SDM Vol. 3A 10.5.4.1)
    Xsave,         ///< XSAVE/XRSTOR, XCR0
    Avx,           ///< AVX
    Rdrand,        ///< RDRAND
    Hypervisor,    ///< running under a hypervisor (set by hypervisors, never by silicon)
    // Leaf 0x80000001 EDX and ECX (SDM Vol. 2A Table 3-8; AMD APM Vol. 3 E.4.2)
    Syscall,       ///< SYSCALL/SYSRET
    Nx,            ///< execute-disable page bit (EFER.NXE)
    Page1gb,       ///< 1 GiB pages
    Rdtscp,        ///< RDTSCP and IA32_TSC_AUX
    Lm,            ///< long mode (Intel 64 / AMD64)
    LahfLm,        ///< LAHF/SAHF in 64-bit mode
    Svm,           ///< AMD secure virtual machine
    // Leaf 6 EAX
    Arat,          ///< the LAPIC timer keeps running in deep C-states
    // Leaf 7 subleaf 0 EBX, ECX, EDX (SDM Vol. 2A Table 3-8)
    Fsgsbase,      ///< RDFSBASE and friends (CR4.FSGSBASE)
    Avx2,          ///< AVX2
    Smep,          ///< supervisor-mode execution prevention
    Invpcid,       ///< INVPCID
    Smap,          ///< supervisor-mode access prevention
    Umip,          ///< user-mode instruction prevention
    La57,          ///< 5-level paging
    HybridCpu,     ///< hybrid part: cores of different types in one package
    // Leaf 0x80000007 EDX
    InvariantTsc,  ///< the TSC ticks at a constant rate in every P-, C- and T-state
    Count          ///< number of flags (not a flag)
};

/// Where the topology fields of CpuFeatures came from.
enum class CpuTopologySource : uint8_t {
    None,     ///< nothing usable: one logical CPU per package assumed
    Leaf1,    ///< leaf 1 EBX[23:16] only (HTT, no core count)
    Leaf4,    ///< Intel leaf 1 + leaf 4 EAX[31:26] (pre-leaf-0xB CPUs)
    Ext8,     ///< AMD leaf 0x80000008 ECX (ApicIdSize / NC)
    Leaf0B,   ///< leaf 0xB extended topology (SDM Vol. 3A 8.9.4)
};

/// How APIC ids split into SMT, core and package fields (SDM Vol. 3A 8.9.1).
struct CpuTopology {
    CpuTopologySource source;    ///< where the numbers below came from
    uint8_t smt_shift;           ///< APIC id >> smt_shift = core-unique id
    uint8_t package_shift;       ///< APIC id >> package_shift = package id
    uint16_t threads_per_core;   ///< logical CPUs per core (leaf 0xB: as reported; else 1 << smt_shift)
    uint16_t logical_per_package; ///< logical CPUs per package (leaf 0xB: as reported; else addressable ids)
};

/// Number of 32-bit words in CpuFeatures::flags.
constexpr size_t kCpuFlagWords = (static_cast<size_t>(CpuFlag::Count) + 31) / 32;

/// Everything the probe learned about one CPU. A plain value: no pointers,
/// so it can be copied into a per-CPU block and compared between CPUs.
struct CpuFeatures {
    bool has_cpuid;               ///< false: the CPU has no CPUID (i486 and older); all else is zero
    CpuVendor vendor;             ///< maker, from vendor_string
    char vendor_string[13];       ///< leaf 0 EBX, EDX, ECX as text, NUL-terminated
    bool has_brand;               ///< brand is present (leaves 0x80000002-4 exist and are not blank)
    char brand[49];               ///< leaves 0x80000002-4, leading and trailing spaces trimmed
    uint32_t max_basic_leaf;      ///< leaf 0 EAX
    uint32_t max_ext_leaf;        ///< leaf 0x80000000 EAX, 0 when no extended leaf exists
    uint32_t signature;           ///< leaf 1 EAX as returned (stepping, model, family fields)
    uint32_t family;              ///< display family (base + extended when base is 0xF)
    uint32_t model;               ///< display model (with extended model where the vendor's rule says)
    uint32_t stepping;            ///< stepping id
    uint32_t initial_apic_id;     ///< leaf 1 EBX[31:24]: low 8 bits of the APIC id at reset
    uint32_t leaf1_logical;       ///< leaf 1 EBX[23:16] when HTT is set, else 1
    bool has_x2apic_id;           ///< x2apic_id is valid (leaf 0xB exists and is valid)
    uint32_t x2apic_id;           ///< leaf 0xB subleaf 0 EDX: the full 32-bit x2APIC id
    CpuTopology topology;         ///< APIC id layout
    uint32_t tsc_ratio_den;       ///< leaf 0x15 EAX: TSC/crystal ratio denominator (0: unknown)
    uint32_t tsc_ratio_num;       ///< leaf 0x15 EBX: TSC/crystal ratio numerator (0: unknown)
    uint32_t crystal_hz;          ///< leaf 0x15 ECX: core crystal clock in Hz (0: unknown)
    uint32_t base_mhz;            ///< leaf 0x16 EAX: base frequency in MHz (0: unknown)
    uint32_t max_mhz;             ///< leaf 0x16 EBX: maximum frequency in MHz (0: unknown)
    uint32_t bus_mhz;             ///< leaf 0x16 ECX: bus (reference) frequency in MHz (0: unknown)
    uint32_t hv_tsc_khz;          ///< hypervisor timing leaf 0x40000010 EAX: TSC in kHz (0: no such leaf)
    uint32_t hv_bus_khz;          ///< leaf 0x40000010 EBX: LAPIC timer input clock in kHz (0: unknown)
    uint32_t flags[kCpuFlagWords]; ///< one bit per CpuFlag; read with cpu_has()

    /// Logical CPUs per package, at least 1: the leaf 0xB count when present,
    /// else leaf 1 EBX[23:16] when HTT is set. A hint for the MP-table code,
    /// which on old firmware lists only one entry per package.
    uint32_t logical_per_package() const;
};

/// Fill @p out from the CPUID source @p fn (called with @p ctx). When
/// @p has_cpuid is false (or @p fn is null) @p fn is never called, @p out
/// says "unknown" everywhere and one warning is logged.
void cpuid_probe(CpuidFn fn, void* ctx, bool has_cpuid, CpuFeatures& out);

/// Bits of an APIC id needed to number @p n items: 0 for 0 or 1, else
/// ceil(log2(n)) (SDM Vol. 3A 8.9.1: fields are as wide as the largest count).
uint8_t cpuid_id_bits(uint32_t n);

/// True when the probe found @p flag set on the CPU described by @p f.
bool cpu_has(const CpuFeatures& f, CpuFlag flag);

/// The lowercase /proc/cpuinfo-style name of @p flag ("fpu", "x2apic",
/// "tsc_deadline_timer", ...), or "?" for a value out of range.
const char* cpu_flag_name(CpuFlag flag);

/// Log @p f as a readable table through log_info(). The lines tests rely on:
/// `cpuid: vendor V family F model M stepping S` (decimal),
/// `cpuid: brand B`, `cpuid: max leaf 0xN ext 0xN`,
/// `cpuid: apic id N x2apic id N|none logical/package N`, and one or more
/// `cpuid: features a b c` lines of at most 100 characters, in flag order.
/// @param f the decoded CPU
/// @param kernel_cpu_id the CPU's dense kernel id, named in the first line
void cpuid_print(const CpuFeatures& f, int kernel_cpu_id);
