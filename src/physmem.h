/// @file physmem.h
/// Reading firmware tables at physical addresses, the same way in the kernel
/// and in the host tests.
///
/// The table parsers (acpi.cpp, mp.cpp) never turn a physical address into a
/// pointer themselves: they ask a PhysMem for the bytes [phys, phys + len) and
/// get nullptr when that range is not readable. The kernel's resolver is an
/// identity mapping bounded to the first 4 GiB; the unit tests resolve into
/// memory recorded from QEMU (tests/unit/snapshot.h); the fuzz targets into
/// the fuzz input. A function pointer and a context, rather than a virtual
/// class, so the kernel needs no vtables or __cxa_pure_virtual for it.
#pragma once
#include "kstring.h"
#include "types.h"

/// A physical-memory resolver: maps a physical range to readable bytes.
struct PhysMem {
    /// Returns a pointer to @p len readable bytes at physical address @p phys,
    /// or nullptr when any byte of the range cannot be read.
    using MapFn = const uint8_t* (*)(const void* ctx, uint64_t phys, size_t len);
    MapFn fn = nullptr;       ///< The resolver; nullptr resolves nothing.
    const void* ctx = nullptr; ///< Passed to @ref fn unchanged.

    /// The bytes [@p phys, @p phys + @p len), or nullptr if not all readable.
    /// A range that wraps around the 64-bit address space is never readable.
    const uint8_t* map(uint64_t phys, size_t len) const {
        if (fn == nullptr || len == 0 || phys + len < phys) return nullptr;
        return fn(ctx, phys, len);
    }
};

/// One contiguous readable region: @p len bytes at @p bytes that live at
/// physical address @p base. Enough for the fuzz targets and simple tests.
struct PhysWindow {
    uint64_t base;        ///< Physical address of bytes[0].
    const uint8_t* bytes; ///< The region's contents.
    size_t len;           ///< Its length in bytes.
};

/// The resolver for a PhysWindow: ranges fully inside the window are readable.
inline const uint8_t* physwindow_map(const void* ctx, uint64_t phys, size_t len) {
    const PhysWindow* w = static_cast<const PhysWindow*>(ctx);
    if (phys < w->base || phys - w->base > w->len || len > w->len - (phys - w->base))
        return nullptr;
    return w->bytes + (phys - w->base);
}

/// A PhysMem reading only the window @p w (which must outlive it).
inline PhysMem physmem_window(const PhysWindow* w) { return PhysMem{physwindow_map, w}; }

/// Little-endian loads from bytes that may be unaligned (ACPI and MP fields
/// often are: XSDT entries sit at offset 36). Callers check bounds first.
inline uint16_t load_le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
/// @copydoc load_le16
inline uint32_t load_le32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
/// @copydoc load_le16
inline uint64_t load_le64(const uint8_t* p) {
    return uint64_t(load_le32(p)) | uint64_t(load_le32(p + 4)) << 32;
}

/// True when the bytes sum to zero modulo 256: the checksum rule of both ACPI
/// (ACPI 6.5 5.2.5.3, 5.2.6) and the MP tables (MP spec 1.4 4.1, 4.2).
inline bool checksum_ok(const uint8_t* p, size_t len) {
    uint8_t sum = 0;
    for (size_t i = 0; i < len; ++i) sum = uint8_t(sum + p[i]);
    return sum == 0;
}

/// Why a table cannot be used, or nullptr when it can: @p t must start with
/// the 4-character @p sig, its length field @p len must lie between @p min_len
/// and the @p avail bytes readable at @p t, and those @p len bytes must sum to
/// zero. The caller reads @p len only when avail >= min_len (else passes 0).
inline const char* table_problem(const uint8_t* t, size_t avail, const char* sig, size_t min_len, size_t len) {
    if (t == nullptr || avail < min_len || memcmp(t, sig, 4) != 0) return "signature missing";
    if (len < min_len || len > avail) return "length does not fit";
    if (!checksum_ok(t, len)) return "bad checksum";
    return nullptr;
}
