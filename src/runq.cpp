/// @file runq.cpp
/// Per-CPU run queues (see runq.h): intrusive FIFOs by priority with a
/// bitmap of the non-empty ones.
#include "runq.h"
#include "log.h"
#include "labs.h"

static_assert(runq_levels <= 32, "the non-empty bitmap is one 32-bit word");

namespace {

void set_count(RunQueue& q, uint32_t n) { __atomic_store_n(&q.count, n, __ATOMIC_RELAXED); }

void unlink(RunQueue& q, RunqNode* n) {
    RunqLevel& l = q.level[n->prio];
    (n->prev ? n->prev->next : l.head) = n->next;
    (n->next ? n->next->prev : l.tail) = n->prev;
    if (!l.head) q.nonempty &= ~(1u << n->prio);
    n->next = n->prev = nullptr;
    n->queue = nullptr;
    set_count(q, q.count - 1);
}

}  // namespace

RunqHooks runq_hooks;

void runq_init(RunQueue& q, uint32_t cpu) { q = RunQueue(cpu); }

bool runq_enqueue(RunQueue& q, RunqNode* n) {
    if (n->queue) {
        // Being queued twice would let two CPUs run one thread at once.
        log_error("runq: node %p is already on cpu%u's queue; not queued on cpu%u", static_cast<void*>(n),
                  n->queue->cpu, q.cpu);
        return false;
    }
    if (n->prio >= runq_levels) {
        log_warn("runq: priority %u is above %u; queued at %u", n->prio, runq_levels - 1, runq_levels - 1);
        n->prio = runq_levels - 1;
    }
    // LAB 07 BEGIN: append n to the tail of its priority's FIFO; mark it queued here; set the level's bit; count it
    RunqLevel& l = q.level[n->prio];
    n->next = nullptr;
    n->prev = l.tail;
    (l.tail ? l.tail->next : l.head) = n;
    l.tail = n;
    n->queue = &q;
    q.nonempty |= 1u << n->prio;
    set_count(q, q.count + 1);
    // LAB 07 STUB: lab_todo(7, "appending to a priority FIFO in runq_enqueue()");
    // LAB 07 LATER: lab_later(7, "run queues are stacks: the newest thread of a priority runs first");
    // LAB 07 LATER: RunqLevel& top = q.level[n->prio]; n->prev = nullptr; n->next = top.head;
    // LAB 07 LATER: if (top.head) top.head->prev = n; else top.tail = n;
    // LAB 07 LATER: top.head = n; n->queue = &q; q.nonempty |= 1u << n->prio; set_count(q, q.count + 1);
    // LAB 07 END
    return true;
}

RunqNode* runq_dequeue(RunQueue& q) {
    // LAB 07 BEGIN: the head of the highest non-empty priority, found from the bitmap, unlinked
    if (!q.nonempty) return nullptr;
    RunqNode* n = q.level[31 - __builtin_clz(q.nonempty)].head;
    unlink(q, n);
    return n;
    // LAB 07 STUB: lab_todo(7, "taking the next node in runq_dequeue()");
    // LAB 07 STUB: (void)q; return nullptr;
    // LAB 07 LATER: lab_later(7, "priorities are not looked at: the lowest non-empty level runs first");
    // LAB 07 LATER: for (uint32_t lv = 0; lv < runq_levels; ++lv) if (RunqNode* h = q.level[lv].head) { unlink(q, h); return h; }
    // LAB 07 LATER: return nullptr;
    // LAB 07 END
}

bool runq_remove(RunQueue& q, RunqNode* n) {
    if (n->queue != &q) return false;
    unlink(q, n);
    return true;
}

RunqNode* runq_take_for(RunQueue& q, uint32_t cpu, RunqFilter ok, void* ctx) {
    for (uint32_t bits = q.nonempty; bits; bits &= ~(1u << (31 - __builtin_clz(bits)))) {
        for (RunqNode* n = q.level[31 - __builtin_clz(bits)].tail; n; n = n->prev) {
            if (ok && !ok(n, cpu, ctx)) continue;
            unlink(q, n);
            return n;
        }
    }
    return nullptr;
}

uint32_t runq_count(const RunQueue& q) { return __atomic_load_n(&q.count, __ATOMIC_RELAXED); }

RunQueue* runq_busiest(RunQueue* const* queues, size_t n, const RunQueue* self) {
    RunQueue* best = nullptr;
    uint32_t most = 0;
    for (size_t i = 0; i < n; ++i) {
        uint32_t c = runq_count(*queues[i]);
        if (queues[i] != self && c > most) {
            best = queues[i];
            most = c;
        }
    }
    return best;
}
