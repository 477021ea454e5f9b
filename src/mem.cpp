/// @file mem.cpp
/// Kernel glue around the portable frame allocator: what to hold back at
/// boot, a lock for SMP, and guarded stacks.
#include "mem.h"
#include "cpu.h"
#include "cpumask.h"
#include "ipi.h"
#include "log.h"
#include "numa.h"
#include "physmem.h"
#include "spinlock.h"
#include "symbols.h"
#include "user_arch.h"
#include "vm.h"

extern "C" char __kernel_start[], __kernel_end[];

namespace {
FrameAllocator frames;
SpinLock lock("frames");

/// The ELF section headers GRUB passed (tag 9, checked by mb2_parse(): every
/// header lies inside the tag): hand them to the symbolizer, and hold back
/// every loaded non-alloc section (the symbol and string tables).
size_t add_elf_sections(const Mb2Info& mb, PhysRange* out, size_t cap) {
    if (!mb.elf_sections) return 0;
    symbols_init(mb.elf_sections, mb.elf_num, mb.elf_entsize);
    size_t n = 0;
    for (uint32_t i = 0; i < mb.elf_num && n < cap; ++i) {
        const uint8_t* h = mb.elf_sections + i * mb.elf_entsize;
        uint64_t addr, size, flags;
        if (mb.elf_entsize == 64) {
            flags = load_le64(h + 8); addr = load_le64(h + 16); size = load_le64(h + 32);
        } else {
            flags = load_le32(h + 8); addr = load_le32(h + 12); size = load_le32(h + 20);
        }
        if (addr && size && !(flags & 2 /* SHF_ALLOC */)) out[n++] = PhysRange{addr, size};
    }
    return n;
}
}  // namespace

/// [mem_init]
void mem_init(const Mb2Info& mb, uintptr_t info, size_t info_len) {
    PhysRange res[48];
    size_t n = 0;
    res[n++] = PhysRange{(uintptr_t)__kernel_start, (uint64_t)(__kernel_end - __kernel_start)};
    res[n++] = PhysRange{info, info_len};
    for (size_t i = 0; i < mb.module_count && n < 20; ++i)
        res[n++] = PhysRange{mb.modules[i].start, mb.modules[i].end - mb.modules[i].start};
    n += add_elf_sections(mb, res + n, array_size(res) - n);
#if COHORT_ARCH_i686
    // User space is [1 GiB, 2 GiB) of every process's page directory
    // (user_arch.h): while one is loaded the kernel cannot reach frames there
    // at their identity address, so none is ever handed out.
    res[n++] = PhysRange{USER_BASE, USER_END - USER_BASE};
    uint64_t lost = 0;
    for (size_t i = 0; i < mb.mmap_count; ++i) {
        const Mb2MemRegion& r = mb.mmap[i];
        uint64_t lo = r.base > USER_BASE ? r.base : USER_BASE;
        uint64_t hi = r.base + r.len < USER_END ? r.base + r.len : USER_END;
        if (r.type == kMb2MemAvailable && lo < hi) lost += hi - lo;
    }
    log_info("mem: i686: %llu MiB of RAM in [1 GiB, 2 GiB) left out of the allocator (user space)",
             (unsigned long long)(lost >> 20));
#endif
    frames.init(mb.mmap, mb.mmap_count, res, n);
    log_info("mem: %zu MiB usable above 1 MiB (%zu frames), %zu low frames, kernel %p-%p",
             frames.total_frames() / 256, frames.total_frames(), frames.low_total_frames(),
             (void*)__kernel_start, (void*)__kernel_end);
}
/// [mem_init]

/// [frame_alloc_node]
uint64_t frame_alloc_node(size_t n, uint32_t node) {
    IrqSpinGuard g(lock);
    // One node (or not known yet): any frame is as near as any other.
    if (numa_info.nodes > 1) {
        uint32_t order[MAX_NUMA_NODES];
        uint32_t count = numa_by_distance(numa_info, node, order);
        for (uint32_t i = 0; i < count; ++i) {
            for (uint32_t r = 0; r < numa_info.nranges; ++r) {
                const NumaRange& m = numa_info.ranges[r];
                if (m.node != order[i]) continue;
                if (uint64_t p = frames.alloc_within(n, m.base, m.base + m.len)) return p;
            }
        }
    }
    // Memory the SRAT names no node for, or a run no single node can hold.
    return frames.alloc(n);
}
/// [frame_alloc_node]

uint64_t frame_alloc(size_t n) {
    // The caller may move to another CPU right after this read; the frames
    // are then one node away, which is slower, never wrong.
    return frame_alloc_node(n, numa_node_of_cpu(cpu_number()));
}

void frame_free(uint64_t phys, size_t n) {
    IrqSpinGuard g(lock);
    frames.free(phys, n);
}

size_t frames_free_count() {
    IrqSpinGuard g(lock);
    return frames.free_frames();
}

size_t frames_free_in(uint64_t base, uint64_t len) {
    IrqSpinGuard g(lock);
    size_t n = 0;
    for (uint64_t a = align_down(base, kFrameSize); a < base + len; a += kFrameSize) n += frames.is_free(a);
    return n;
}

uint64_t frame_reserve_low(const char* name, size_t n) {
    IrqSpinGuard g(lock);
    return frames.reserve_low(name, n);
}

SpinLock vm_lock("page-tables");

/// [guard page]
bool guard_page(uintptr_t va) {
    if (!vm_set_guard(va)) return false;
    // Every other CPU may still hold a translation of this page: a 4 KiB one,
    // or the large page it was split from (INVLPG drops either, SDM Vol. 3A
    // 4.10.4.1). Without the shootdown a stack overflowing into its guard
    // faults on this CPU only, and writes on into the next frame elsewhere.
    CpuMask others = cpu_online_mask;
    others.clear(cpu_number());
    if (others.count() && !tlb_shootdown(others, va, 1))
        log_warn("mem: guard page %p: the shootdown was not confirmed by every CPU", (void*)va);
    return true;
}
/// [guard page]

namespace {
/// A freed stack, kept for the next stack_alloc() of its size: its guard
/// stays unmapped, and a page that is not present is in no CPU's TLB, so
/// reusing it needs no shootdown. The record lives at the stack's top.
struct FreeStack {
    FreeStack* next;
    size_t size;
};
FreeStack* stack_cache = nullptr;
SpinLock stack_cache_lock("stack-cache");

uintptr_t cached_stack(size_t size, int node) {
    IrqSpinGuard g(stack_cache_lock);
    for (FreeStack** p = &stack_cache; *p; p = &(*p)->next) {
        FreeStack* s = *p;
        if (s->size != size || (node >= 0 && numa_node_of(numa_info, (uintptr_t)s) != node)) continue;
        *p = s->next;
        return (uintptr_t)s + sizeof(FreeStack);
    }
    return 0;
}
}  // namespace

/// [stack_alloc]
uintptr_t stack_alloc(size_t size, int node) {
    if (uintptr_t top = cached_stack(size, node)) return top;
    size_t pages = (size + 4095) / 4096 + 1;  // one more for the guard
    uint64_t base = node < 0 ? frame_alloc(pages) : frame_alloc_node(pages, uint32_t(node));
    if (!base) return 0;
    guard_page((uintptr_t)base);
    return (uintptr_t)(base + pages * 4096);
}
/// [stack_alloc]

void stack_free(uintptr_t top, size_t size) {
    // Kept, guard and all, for the next stack of this size: a guard made
    // afresh costs a shootdown to every other CPU (guard_page()).
    FreeStack* s = (FreeStack*)(top - sizeof(FreeStack));
    s->size = size;
    IrqSpinGuard g(stack_cache_lock);
    s->next = stack_cache;
    stack_cache = s;
}

size_t stack_cache_frames() {
    IrqSpinGuard g(stack_cache_lock);
    size_t n = 0;
    for (FreeStack* s = stack_cache; s; s = s->next) n += (s->size + 4095) / 4096 + 1;
    return n;
}

void mem_dump() {
    for (size_t i = 0; i < frames.usable_range_count(); ++i) {
        PhysRange r = frames.usable_range(i);
        log_info("mem: usable 0x%llx-0x%llx", (unsigned long long)r.base,
                 (unsigned long long)(r.base + r.len));
    }
    for (size_t i = 0; i < frames.low_reservation_count(); ++i) {
        const LowReservation& r = frames.low_reservation(i);
        log_info("mem: low reservation %s at 0x%llx, %zu frame(s)", r.name,
                 (unsigned long long)r.base, r.nframes);
    }
}

// ---- The kernel heap: the portable Heap core, grown in 64 KiB steps ---------

#include "heap.h"

namespace {
Heap heap;
SpinLock heap_lock("heap");
bool heap_ready = false;
constexpr size_t kGrowFrames = 16;
}  // namespace

void* kmalloc(size_t n) {
    IrqSpinGuard g(heap_lock);
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (heap_ready) {
            if (void* p = heap.alloc(n)) return p;
        }
        size_t frames_needed = (n + 4096 + 64) / 4096;
        if (frames_needed < kGrowFrames) frames_needed = kGrowFrames;
        uint64_t more = frame_alloc(frames_needed);  // lock order: heap, then frames
        if (!more) return nullptr;
        if (!heap_ready) {
            heap.init((void*)(uintptr_t)more, frames_needed * 4096);
            heap_ready = true;
        } else if (!heap.grow((void*)(uintptr_t)more, frames_needed * 4096)) {
            return nullptr;
        }
    }
    return nullptr;
}

void kfree(void* p) {
    if (!p) return;
    IrqSpinGuard g(heap_lock);
    heap.free(p);
}

void* operator new(size_t n) { return kmalloc(n); }
void* operator new[](size_t n) { return kmalloc(n); }
void operator delete(void* p) noexcept { kfree(p); }
void operator delete[](void* p) noexcept { kfree(p); }
void operator delete(void* p, size_t) noexcept { kfree(p); }
void operator delete[](void* p, size_t) noexcept { kfree(p); }
