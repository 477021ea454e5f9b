/// @file kalloc.h
/// The physical frame allocator: 4 KiB frames from the Multiboot2 memory map.
///
/// Built once from the memory map and a list of ranges that are in use
/// already (kernel image, boot information, modules). What it hands out:
///
/// - alloc()/free(): runs of frames at or above 1 MiB and below max_phys
///   (4 GiB at most: the i686 kernel has no PAE, and the identity map of the
///   amd64 kernel covers the first 4 GiB).
/// - reserve_low(): frames between 4 KiB and 640 KiB (0xA0000), only by
///   name and never given back: the AP trampoline must sit below 1 MiB
///   because a SIPI vector names a page there (SDM Vol. 3A 8.4.4.1). Frame 0
///   holds the real-mode IVT and BDA and is never used.
///
/// The allocator does not lock: the kernel wraps it with a spinlock.
#pragma once
#include "multiboot2.h"
#include "types.h"

/// Size of a physical frame in bytes.
constexpr uint64_t kFrameSize = 4096;
/// log2(kFrameSize).
constexpr unsigned kFrameShift = 12;

/// A physical address range [base, base + len).
struct PhysRange {
    uint64_t base;  ///< First byte.
    uint64_t len;   ///< Length in bytes.
};

/// A named run of frames below 1 MiB, handed out by reserve_low().
struct LowReservation {
    /// Longest name kept; longer names are cut.
    static constexpr size_t kNameMax = 23;
    char name[kNameMax + 1];  ///< Who asked for it, e.g. "ap-trampoline".
    uint64_t base;            ///< Physical address of the first frame.
    size_t nframes;           ///< Number of frames.
};

/// Hands out physical frames; see the file comment for what it covers.
///
/// Storage is static and sized for the worst case, because this is the
/// allocator everything else gets memory from: a bitmap with one bit per
/// frame of the first 4 GiB (1 = free; 128 KiB), plus a list of the ranges
/// that were usable after init(), which tells a bad free() (of memory that was
/// never usable) from a good one. A bitmap rather than a free-range list
/// because free() then checks each frame exactly (a double free is a bit
/// already set) and the cost does not depend on fragmentation.
class FrameAllocator {
public:
    /// Highest limit of the allocator's memory; max_phys is clamped to it.
    static constexpr uint64_t kMaxPhys = 1ull << 32;
    /// Everything below this is held back from alloc() (the low pool is separate).
    static constexpr uint64_t kLowLimit = 0x100000;
    /// Start of the low pool: frame 0 holds the IVT and the BDA.
    static constexpr uint64_t kLowPoolStart = 0x1000;
    /// End of the low pool: 0xA0000..1 MiB is VGA memory and ROM.
    static constexpr uint64_t kLowPoolEnd = 0xA0000;
    /// Capacity of the usable range list; a map that splits into more is cut (with a warning).
    static constexpr size_t kMaxRanges = 256;
    /// Capacity of the low reservation list.
    static constexpr size_t kMaxLowReservations = 8;

    /// Build the free sets. A frame is usable when an available (type 1) entry
    /// of the map covers all of it and no other entry and no reserved range
    /// touches it: where entries overlap, the non-available one wins. Entries
    /// may come in any order. Calling init() again starts over.
    /// @param map      memory map entries, as in Mb2Info::mmap.
    /// @param n        number of entries in @p map.
    /// @param reserved ranges already in use (kernel, boot information, modules).
    /// @param nres     number of entries in @p reserved.
    /// @param max_phys frames at or above this address are not used (clamped to kMaxPhys).
    void init(const Mb2MemRegion* map, size_t n, const PhysRange* reserved, size_t nres,
              uint64_t max_phys = kMaxPhys);

    /// Allocate @p nframes physically contiguous frames at or above 1 MiB.
    /// @return the physical address of the first frame, or 0 when no such run
    ///         is free (or @p nframes is 0). Lowest address first.
    uint64_t alloc(size_t nframes = 1);

    /// Like alloc(), but only a run that lies inside [@p lo, @p hi): the
    /// memory of one NUMA node (numa.h), for node-first allocation.
    uint64_t alloc_within(size_t nframes, uint64_t lo, uint64_t hi);

    /// Give back @p nframes frames starting at @p phys. A call that frees
    /// memory that is free already, was never usable, lies below 1 MiB, or is
    /// not frame-aligned changes nothing and is reported with one warning.
    void free(uint64_t phys, size_t nframes = 1);

    /// Reserve @p nframes contiguous frames from the low pool (4 KiB..640 KiB)
    /// for @p name, for good. @return the physical address, or 0 (reported)
    /// when no such run is free or the reservation list is full.
    uint64_t reserve_low(const char* name, size_t nframes = 1);

    /// Frames at or above 1 MiB that are free now.
    size_t free_frames() const { return free_; }
    /// Frames at or above 1 MiB that init() found usable.
    size_t total_frames() const { return total_; }
    /// Frames of the low pool that are free now.
    size_t low_free_frames() const { return low_free_; }
    /// Frames of the low pool that init() found usable.
    size_t low_total_frames() const { return low_total_; }
    /// True when the frame holding @p phys is usable and free now.
    bool is_free(uint64_t phys) const;

    /// Number of reservations made by reserve_low().
    size_t low_reservation_count() const { return nlow_; }
    /// Reservation @p i (0 <= @p i < low_reservation_count()), in the order made.
    const LowReservation& low_reservation(size_t i) const { return low_[i]; }

    /// Number of usable ranges found by init() (low pool included).
    size_t usable_range_count() const { return nranges_; }
    /// Usable range @p i, ascending and disjoint; for the boot log.
    PhysRange usable_range(size_t i) const { return ranges_[i]; }

private:
    static constexpr uint32_t kFrames = uint32_t(kMaxPhys >> kFrameShift);

    bool bit(uint32_t f) const { return (bits_[f >> 5] >> (f & 31)) & 1; }
    void mark(uint32_t first, uint32_t end, bool free);
    size_t count_free(uint32_t first, uint32_t end) const;
    void build_ranges(uint32_t top);
    bool find_run(uint32_t lo, uint32_t hi, uint32_t n, uint32_t& start, uint32_t& first_free) const;
    bool in_one_range(uint32_t f, uint32_t n) const;

    uint32_t bits_[kFrames / 32] = {};  // one bit per frame, 1 = free
    PhysRange ranges_[kMaxRanges] = {};
    size_t nranges_ = 0;
    LowReservation low_[kMaxLowReservations] = {};
    size_t nlow_ = 0;
    uint32_t hint_ = 0;  // no frame at or above 1 MiB below it is free
    uint32_t top_ = 0;   // one past the highest usable frame
    size_t free_ = 0, total_ = 0, low_free_ = 0, low_total_ = 0;
};
