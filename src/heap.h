/// @file heap.h
/// The kernel heap core: a first-fit free list over memory it is given.
///
/// Every block starts with a 16-byte header holding its size and a magic
/// number tied to that size; free blocks also hold the link to the next free
/// block, right after the header. The free list is kept in address order, so
/// free() finds both neighbours of a block and merges with them at once (the
/// K&R malloc of "The C Programming Language" 8.7, with headers checked).
///
/// The core neither locks nor finds memory itself: the kernel wraps it with a
/// spinlock and feeds it frames through grow(). Nothing here allocates.
#pragma once
#include "types.h"

/// A snapshot of a heap's bookkeeping.
struct HeapStats {
    size_t total;         ///< Bytes under management (all regions, after alignment).
    size_t used;          ///< Bytes in allocated blocks, headers included.
    size_t free;          ///< Bytes in free blocks, headers included.
    size_t free_blocks;   ///< Number of free blocks.
    size_t largest_free;  ///< Size of the largest free block, header included.
    size_t regions;       ///< Separate address ranges under management.
    size_t allocs;        ///< Successful alloc() calls so far.
    size_t frees;         ///< Successful free() calls so far.
    size_t failures;      ///< alloc() calls that returned nullptr.
};

/// A first-fit heap with splitting, coalescing and checked headers.
class Heap {
public:
    /// Default and minimum alignment of allocations; also the header size.
    static constexpr size_t kAlign = 16;
    /// How many separate address ranges grow() can add; adjacent ranges merge into one.
    static constexpr size_t kMaxRegions = 32;

    /// Forget everything and manage [@p base, @p base + @p len) (trimmed to 16-byte bounds).
    void init(void* base, size_t len);

    /// Allocate @p n bytes aligned to @p align (a power of two; below 16 means 16).
    /// @return the memory, or nullptr when no free block fits, @p n is 0, or
    ///         @p align is not a power of two (reported).
    void* alloc(size_t n, size_t align = kAlign);

    /// Give back memory from alloc(). nullptr is ignored. A pointer outside the
    /// heap, one whose header is not that of a live block, or a second free of
    /// the same block is reported with one warning and changes nothing.
    void free(void* p);

    /// Add [@p base, @p base + @p len) to the heap. A range that starts where
    /// a region ends (or ends where one starts) extends that region.
    /// @return false (reported) when the range overlaps the heap, is too small
    ///         to hold a block, or no region slot is left.
    bool grow(void* base, size_t len);

    /// Current numbers (walks the free list).
    HeapStats stats() const;

    /// Walk every region block by block and the free list, checking headers,
    /// order, sizes and totals. @return false, with a warning naming the first
    /// problem, when the heap is inconsistent. For tests and debugging.
    bool check() const;

private:
    struct Block;
    struct Region {
        uintptr_t base, end;
    };

    const Region* region_of(uintptr_t a) const;
    bool add_region(uintptr_t b, uintptr_t e);
    void insert_free(Block* b);

    Region regions_[kMaxRegions] = {};
    size_t nregions_ = 0;
    Block* head_ = nullptr;  // free list, ascending addresses
    size_t total_ = 0, free_bytes_ = 0;
    size_t allocs_ = 0, frees_ = 0, failures_ = 0;
};
