/// @file kalloc.cpp
/// The physical frame allocator (see kalloc.h): a bitmap of free frames.
#include "kalloc.h"
#include "log.h"

namespace {

constexpr uint32_t kLowFrames = uint32_t(FrameAllocator::kLowLimit >> kFrameShift);
constexpr uint32_t kLowPoolFirst = uint32_t(FrameAllocator::kLowPoolStart >> kFrameShift);
constexpr uint32_t kLowPoolEnd = uint32_t(FrameAllocator::kLowPoolEnd >> kFrameShift);

/// Set bits of @p v (SWAR), so the kernel needs no libgcc helper for it.
uint32_t popcount32(uint32_t v) {
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    return (((v + (v >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
}

/// One past the last byte of [base, base + len), saturating instead of wrapping.
uint64_t end_of(uint64_t base, uint64_t len) { return len > ~base ? ~uint64_t(0) : base + len; }

/// Frames fully inside [base, end), clipped to @p limit: [*first, *last).
void inner_frames(uint64_t base, uint64_t end, uint64_t limit, uint32_t& first, uint32_t& last) {
    if (end > limit) end = limit;
    if (base >= end) { first = last = 0; return; }
    first = uint32_t(align_up(base, kFrameSize) >> kFrameShift);
    last = uint32_t(align_down(end, kFrameSize) >> kFrameShift);
    if (last < first) last = first;
}

/// Frames touched by [base, end), clipped to @p limit.
void outer_frames(uint64_t base, uint64_t end, uint64_t limit, uint32_t& first, uint32_t& last) {
    if (end > limit) end = limit;
    if (base >= end) { first = last = 0; return; }
    first = uint32_t(base >> kFrameShift);
    last = uint32_t(align_up(end, kFrameSize) >> kFrameShift);
}

}  // namespace

void FrameAllocator::mark(uint32_t f, uint32_t end, bool free) {
    while (f < end) {
        if ((f & 31) == 0 && end - f >= 32) {
            bits_[f >> 5] = free ? ~0u : 0u;
            f += 32;
            continue;
        }
        if (free) bits_[f >> 5] |= 1u << (f & 31);
        else bits_[f >> 5] &= ~(1u << (f & 31));
        ++f;
    }
}

size_t FrameAllocator::count_free(uint32_t f, uint32_t end) const {
    size_t n = 0;
    for (; f < end; ++f) {
        if ((f & 31) == 0 && end - f >= 32) {
            n += popcount32(bits_[f >> 5]);
            f += 31;
            continue;
        }
        n += bit(f);
    }
    return n;
}

void FrameAllocator::init(const Mb2MemRegion* map, size_t n, const PhysRange* reserved,
                          size_t nres, uint64_t max_phys) {
    mark(0, kFrames, false);
    nranges_ = nlow_ = 0;
    uint64_t limit = align_down(max_phys < kMaxPhys ? max_phys : kMaxPhys, kFrameSize);
    uint32_t first, last;
    // Available entries first, then everything that must not be used on top,
    // so the order of the map does not matter and reserved wins an overlap.
    for (size_t i = 0; i < n; ++i) {
        if (map[i].type != kMb2MemAvailable) continue;
        inner_frames(map[i].base, end_of(map[i].base, map[i].len), limit, first, last);
        mark(first, last, true);
    }
    for (size_t i = 0; i < n; ++i) {
        if (map[i].type == kMb2MemAvailable) continue;
        outer_frames(map[i].base, end_of(map[i].base, map[i].len), limit, first, last);
        mark(first, last, false);
    }
    for (size_t i = 0; i < nres; ++i) {
        outer_frames(reserved[i].base, end_of(reserved[i].base, reserved[i].len), limit, first, last);
        mark(first, last, false);
    }
    mark(0, kLowPoolFirst, false);
    mark(kLowPoolEnd, kLowFrames, false);

    uint32_t top = uint32_t(limit >> kFrameShift);
    build_ranges(top);
    top_ = nranges_ ? uint32_t(end_of(ranges_[nranges_ - 1].base, ranges_[nranges_ - 1].len) >> kFrameShift) : 0;
    total_ = free_ = top_ > kLowFrames ? count_free(kLowFrames, top_) : 0;
    low_total_ = low_free_ = count_free(0, kLowFrames);
    hint_ = kLowFrames;
}

/// Records the runs of free frames as the usable ranges. A map so fragmented
/// that the runs do not fit loses the excess runs, so that every free frame
/// lies in a recorded range and can be given back.
void FrameAllocator::build_ranges(uint32_t top) {
    size_t dropped = 0;
    for (uint32_t f = 0; f < top;) {
        if ((f & 31) == 0 && bits_[f >> 5] == 0) { f += 32; continue; }
        if (!bit(f)) { ++f; continue; }
        uint32_t start = f;
        while (f < top && bit(f)) ++f;
        if (nranges_ == kMaxRanges) {
            mark(start, f, false);
            dropped += f - start;
            continue;
        }
        ranges_[nranges_++] = {uint64_t(start) << kFrameShift, uint64_t(f - start) << kFrameShift};
    }
    if (dropped)
        log_warn("kalloc: memory map splits into more than %zu ranges; %zu frames left unused",
                 kMaxRanges, dropped);
}

bool FrameAllocator::find_run(uint32_t lo, uint32_t hi, uint32_t n, uint32_t& start,
                              uint32_t& first_free) const {
    uint32_t run = 0;
    first_free = hi;
    for (uint32_t f = lo; f < hi;) {
        uint32_t w = bits_[f >> 5];
        if ((f & 31) == 0 && (w == 0 || w == ~0u) && hi - f >= 32) {
            if (w == 0) { run = 0; f += 32; continue; }
            if (first_free == hi) first_free = f;
            if (run == 0) start = f;
            run += 32;
            f += 32;
        } else {
            if ((w >> (f & 31)) & 1) {
                if (first_free == hi) first_free = f;
                if (run++ == 0) start = f;
            } else {
                run = 0;
            }
            ++f;
        }
        if (run >= n) return true;
    }
    return false;
}

uint64_t FrameAllocator::alloc(size_t nframes) { return alloc_within(nframes, 0, kMaxPhys); }

uint64_t FrameAllocator::alloc_within(size_t nframes, uint64_t lo, uint64_t hi) {
    if (nframes == 0 || nframes > free_ || lo >= hi) return 0;
    uint32_t first = lo >= (uint64_t(top_) << kFrameShift) ? top_ : uint32_t(align_up(lo, kFrameSize) >> kFrameShift);
    uint32_t end = hi >= (uint64_t(top_) << kFrameShift) ? top_ : uint32_t(hi >> kFrameShift);
    // No free frame at or above 1 MiB lies below hint_: start there if the
    // range does, and move the hint only after such a search.
    bool from_hint = first <= hint_;
    if (from_hint) first = hint_;
    if (first >= end) return 0;
    uint32_t n = uint32_t(nframes), start = 0, first_free = 0;
    bool found = find_run(first, end, n, start, first_free);
    // Frames below the first free one seen stay taken; if the run begins
    // there, its own frames are now taken too.
    if (from_hint) hint_ = found && start == first_free ? start + n : first_free;
    if (!found) return 0;
    mark(start, start + n, false);
    free_ -= n;
    return uint64_t(start) << kFrameShift;
}

bool FrameAllocator::in_one_range(uint32_t f, uint32_t n) const {
    uint64_t base = uint64_t(f) << kFrameShift, len = uint64_t(n) << kFrameShift;
    for (size_t i = 0; i < nranges_; ++i)
        if (base >= ranges_[i].base && base - ranges_[i].base <= ranges_[i].len &&
            len <= ranges_[i].len - (base - ranges_[i].base))
            return true;
    return false;
}

void FrameAllocator::free(uint64_t phys, size_t nframes) {
    const char* why = nullptr;
    uint32_t f = uint32_t(phys >> kFrameShift), n = uint32_t(nframes);
    if (nframes == 0) return;
    if (phys % kFrameSize != 0) why = "not frame-aligned";
    else if (phys < kLowLimit) why = "below 1 MiB, where frames are reserved by name for good";
    else if (phys >= kMaxPhys || nframes > kFrames || !in_one_range(f, n)) why = "never usable";
    else {
        for (uint32_t i = f; i < f + n && !why; ++i)
            if (bit(i)) why = "already free (double free)";
    }
    if (why) {
        log_warn("kalloc: free(0x%llx, %zu): %s; ignored", (unsigned long long)phys, nframes, why);
        return;
    }
    mark(f, f + n, true);
    free_ += n;
    if (f < hint_) hint_ = f;
}

uint64_t FrameAllocator::reserve_low(const char* name, size_t nframes) {
    uint32_t start = 0, first_free = 0;
    if (nlow_ == kMaxLowReservations) {
        log_warn("kalloc: reserve_low(%s): all %zu reservation slots taken", name, kMaxLowReservations);
        return 0;
    }
    if (nframes == 0 || nframes > low_free_ ||
        !find_run(kLowPoolFirst, kLowPoolEnd, uint32_t(nframes), start, first_free)) {
        log_warn("kalloc: reserve_low(%s): no run of %zu free frames below 0xA0000 (%zu free there)",
                 name, nframes, low_free_);
        return 0;
    }
    mark(start, start + uint32_t(nframes), false);
    low_free_ -= nframes;
    LowReservation& r = low_[nlow_++];
    size_t i = 0;
    for (; name && name[i] && i < LowReservation::kNameMax; ++i) r.name[i] = name[i];
    r.name[i] = '\0';
    r.base = uint64_t(start) << kFrameShift;
    r.nframes = nframes;
    return r.base;
}

bool FrameAllocator::is_free(uint64_t phys) const {
    return phys < kMaxPhys && bit(uint32_t(phys >> kFrameShift));
}
