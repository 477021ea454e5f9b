/// @file mem.h
/// The kernel's memory: physical frames from the Multiboot2 map (kalloc.h),
/// served from the caller's NUMA node first (numa.h), kernel stacks with guard
/// pages, and the named low-memory reservations.
#pragma once
#include "kalloc.h"
#include "multiboot2.h"
#include "types.h"

/// Build the frame allocator from the map in @p mb, holding back the kernel
/// image, the boot information [@p info, @p info + @p info_len), the modules,
/// the ELF symbol sections and everything below 1 MiB. Logs the result.
void mem_init(const Mb2Info& mb, uintptr_t info, size_t info_len);
/// Allocate @p n contiguous frames (0 when none are left), from the calling
/// CPU's NUMA node when it has them, else from the nearest node that does.
uint64_t frame_alloc(size_t n = 1);
/// Allocate @p n contiguous frames from @p node first, then from the other
/// nodes nearest first (numa_by_distance()), then from memory of no node.
uint64_t frame_alloc_node(size_t n, uint32_t node);
/// How many frames touching [@p base, @p base + @p len) are free now: 0 for
/// memory mem_init() held back (a boot module must give 0).
size_t frames_free_in(uint64_t base, uint64_t len);
/// Free frames now, all nodes (the user self-tests compare it before and after).
size_t frames_free_count();
/// Free @p n frames at @p phys.
void frame_free(uint64_t phys, size_t n = 1);
/// Reserve @p n frames below 1 MiB for good, recorded under @p name (the AP
/// trampoline lives in one). 0 when none are left.
uint64_t frame_reserve_low(const char* name, size_t n = 1);
/// A kernel stack of @p size bytes with an unmapped guard page below it, from
/// NUMA node @p node first (-1: the calling CPU's node, as frame_alloc()).
/// Returns the top (the initial stack pointer), or 0 when out of memory.
uintptr_t stack_alloc(size_t size, int node = -1);
/// Unmap the 4 KiB page at @p va on every online CPU (vm_set_guard() here,
/// a TLB shootdown to the others): what stack_alloc() puts under a stack.
bool guard_page(uintptr_t va);
/// Free a stack stack_alloc() returned.
void stack_free(uintptr_t top, size_t size);
/// Frames held by freed stacks kept for reuse (stack_free()): not in the
/// allocator, but no one's either.
size_t stack_cache_frames();
/// Print the usable ranges and the low reservations.
void mem_dump();

/// Allocate @p n bytes of kernel heap (16-byte aligned), growing the heap from
/// the frame allocator as needed. Null when memory is exhausted.
void* kmalloc(size_t n);
/// Free a block from kmalloc().
void kfree(void* p);
