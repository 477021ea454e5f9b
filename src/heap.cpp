/// @file heap.cpp
/// The kernel heap core (see heap.h).
#include "heap.h"
#include "log.h"

/// A block header. The magic is XORed with the size, so a header whose size
/// was overwritten no longer looks valid.
struct alignas(Heap::kAlign) Heap::Block {
    size_t size;     // of the whole block, header included; a multiple of 16
    uint32_t magic;  // kUsed ^ size or kFree ^ size

    void set(size_t s, uint32_t kind) { size = s; magic = kind ^ uint32_t(s); }
    bool is(uint32_t kind) const { return magic == (kind ^ uint32_t(size)); }
    /// The next free block: kept in the first payload bytes of a free block.
    Block*& next() { return *reinterpret_cast<Block**>(this + 1); }
    uintptr_t addr() const { return reinterpret_cast<uintptr_t>(this); }
    uintptr_t end() const { return addr() + size; }
};

namespace {

constexpr uint32_t kUsed = 0xA110C8EDu;
constexpr uint32_t kFree = 0xF4EEB10Cu;
constexpr size_t kHeader = Heap::kAlign;
constexpr size_t kMinBlock = 2 * kHeader;  // a header and room for the free-list link

uintptr_t up16(uintptr_t v) { return (v + 15) & ~uintptr_t(15); }
uintptr_t down16(uintptr_t v) { return v & ~uintptr_t(15); }

}  // namespace

void Heap::init(void* base, size_t len) {
    static_assert(sizeof(Block) == kHeader, "payloads stay 16-byte aligned on both arches");
    nregions_ = 0;
    head_ = nullptr;
    total_ = free_bytes_ = allocs_ = frees_ = failures_ = 0;
    grow(base, len);
}

const Heap::Region* Heap::region_of(uintptr_t a) const {
    for (size_t i = 0; i < nregions_; ++i)
        if (a >= regions_[i].base && a < regions_[i].end) return &regions_[i];
    return nullptr;
}

/// Records [b, e) as heap memory, extending a region it touches (and merging
/// two regions it joins), so that adjacent free blocks always share a region.
bool Heap::add_region(uintptr_t b, uintptr_t e) {
    for (size_t i = 0; i < nregions_; ++i)
        if (b < regions_[i].end && regions_[i].base < e) {
            log_warn("heap: grow(0x%zx, %zu): overlaps the heap; ignored", size_t(b), size_t(e - b));
            return false;
        }
    Region* below = nullptr;
    Region* above = nullptr;
    for (size_t i = 0; i < nregions_; ++i) {
        if (regions_[i].end == b) below = &regions_[i];
        if (regions_[i].base == e) above = &regions_[i];
    }
    if (below && above) {
        below->end = above->end;
        *above = regions_[--nregions_];
    } else if (below) {
        below->end = e;
    } else if (above) {
        above->base = b;
    } else if (nregions_ == kMaxRegions) {
        log_warn("heap: grow(0x%zx, %zu): all %zu region slots in use; ignored", size_t(b),
                 size_t(e - b), kMaxRegions);
        return false;
    } else {
        regions_[nregions_++] = {b, e};
    }
    return true;
}

bool Heap::grow(void* base, size_t len) {
    uintptr_t a = reinterpret_cast<uintptr_t>(base);
    uintptr_t b = up16(a), e = down16(len > UINTPTR_MAX - a ? UINTPTR_MAX : a + len);
    if (!base || e <= b || e - b < kMinBlock) {
        log_warn("heap: grow(%p, %zu): too small for a block; ignored", base, len);
        return false;
    }
    if (!add_region(b, e)) return false;
    Block* blk = reinterpret_cast<Block*>(b);
    blk->size = e - b;
    total_ += blk->size;
    free_bytes_ += blk->size;
    insert_free(blk);
    return true;
}

/// Links @p u into the address-ordered free list and merges it with a free
/// neighbour on either side.
void Heap::insert_free(Block* u) {
    Block* prev = nullptr;
    Block* cur = head_;
    while (cur && cur->addr() < u->addr()) { prev = cur; cur = cur->next(); }
    u->set(u->size, kFree);
    u->next() = cur;
    if (prev) prev->next() = u;
    else head_ = u;
    if (cur && u->end() == cur->addr()) {
        u->set(u->size + cur->size, kFree);
        u->next() = cur->next();
    }
    if (prev && prev->end() == u->addr()) {
        prev->set(prev->size + u->size, kFree);
        prev->next() = u->next();
    }
}

void* Heap::alloc(size_t n, size_t align) {
    if (align < kAlign) align = kAlign;
    if (align & (align - 1)) {
        log_warn("heap: alloc(%zu, %zu): alignment is not a power of two", n, align);
        ++failures_;
        return nullptr;
    }
    if (n == 0 || n > SIZE_MAX / 4 || align > SIZE_MAX / 4) {
        ++failures_;
        return nullptr;
    }
    size_t need = up16(n) + kHeader;
    Block** link = &head_;
    for (Block* b = head_; b; link = &b->next(), b = b->next()) {
        // A gap in front of the aligned block must be able to stand as a free block.
        size_t mis = (b->addr() + kHeader) & (align - 1);
        size_t lead = mis ? align - mis : 0;
        if (lead != 0 && lead < kMinBlock) lead += align;
        if (lead > b->size || need > b->size - lead) continue;

        Block* next = b->next();
        size_t size = need, tail = b->size - lead - need;
        if (tail < kMinBlock) { size += tail; tail = 0; }
        Block* after = next;
        if (tail) {
            Block* t = reinterpret_cast<Block*>(b->addr() + lead + size);
            t->set(tail, kFree);
            t->next() = next;
            after = t;
        }
        if (lead) {
            b->set(lead, kFree);
            b->next() = after;
        } else {
            *link = after;
        }
        Block* u = reinterpret_cast<Block*>(b->addr() + lead);
        u->set(size, kUsed);
        free_bytes_ -= size;
        ++allocs_;
        return reinterpret_cast<void*>(u->addr() + kHeader);
    }
    ++failures_;
    return nullptr;
}

void Heap::free(void* p) {
    if (!p) return;
    uintptr_t a = reinterpret_cast<uintptr_t>(p);
    const Region* r = region_of(a);
    if (!r || a % kAlign != 0 || a - r->base < kHeader) {
        log_warn("heap: free(%p): not a heap pointer; ignored", p);
        return;
    }
    Block* u = reinterpret_cast<Block*>(a - kHeader);
    if (u->is(kFree)) {
        log_warn("heap: free(%p): already free (double free); ignored", p);
        return;
    }
    if (!u->is(kUsed) || u->size < kMinBlock || u->size % kAlign != 0 ||
        u->size > r->end - u->addr()) {
        log_warn("heap: free(%p): no valid block header (magic 0x%x, size %zu); ignored", p,
                 u->magic, u->size);
        return;
    }
    // A live block never overlaps a free one; if it does, the header is stale.
    Block* prev = nullptr;
    for (Block* cur = head_; cur && cur->addr() < u->end(); cur = cur->next()) prev = cur;
    if (prev && prev->end() > u->addr()) {
        log_warn("heap: free(%p): block lies inside free memory (stale pointer?); ignored", p);
        return;
    }
    free_bytes_ += u->size;
    ++frees_;
    insert_free(u);
}

HeapStats Heap::stats() const {
    HeapStats s{};
    s.total = total_;
    s.free = free_bytes_;
    s.used = total_ - free_bytes_;
    s.regions = nregions_;
    s.allocs = allocs_;
    s.frees = frees_;
    s.failures = failures_;
    for (Block* b = head_; b; b = b->next()) {
        ++s.free_blocks;
        if (b->size > s.largest_free) s.largest_free = b->size;
    }
    return s;
}

bool Heap::check() const {
    size_t sum = 0, free_sum = 0;
    Block* expect = head_;  // free blocks met in address order match the list
    for (size_t i = 0; i < nregions_; ++i) {
        const Region& r = regions_[i];
        uintptr_t p = r.base;
        while (p < r.end) {
            Block* b = reinterpret_cast<Block*>(p);
            bool is_free = b->is(kFree);
            if ((!is_free && !b->is(kUsed)) || b->size < kMinBlock || b->size % kAlign ||
                b->size > r.end - p) {
                log_warn("heap: check: bad header at 0x%zx (size %zu)", size_t(p), b->size);
                return false;
            }
            if (is_free) free_sum += b->size;
            p += b->size;
        }
        sum += r.end - r.base;
    }
    uintptr_t last_end = 0;
    size_t list_sum = 0;
    for (Block* b = expect; b; b = b->next()) {
        if (!b->is(kFree) || b->addr() < last_end || !region_of(b->addr())) {
            log_warn("heap: check: free list broken at 0x%zx", size_t(b->addr()));
            return false;
        }
        if (b->addr() == last_end) {
            log_warn("heap: check: free blocks at 0x%zx not merged", size_t(b->addr()));
            return false;
        }
        last_end = b->end();
        list_sum += b->size;
    }
    if (sum != total_ || free_sum != free_bytes_ || list_sum != free_bytes_) {
        log_warn("heap: check: totals differ (regions %zu/%zu, free %zu/%zu/%zu)", sum, total_,
                 free_sum, list_sum, free_bytes_);
        return false;
    }
    return true;
}
