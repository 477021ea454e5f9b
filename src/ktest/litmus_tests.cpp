/// @file litmus_tests.cpp
/// The store-buffering litmus test (SB), run on two CPUs at once: each stores 1
/// to its own variable, then loads the other's. Under x86-TSO both loads may
/// see 0, because a store waits in its CPU's store buffer while the later load
/// already reads memory (SDM Vol. 3A 8.2.3.4, "Loads May Be Reordered with
/// Earlier Stores to Different Locations"). A full fence between the store and
/// the load forbids that outcome (8.2.5). The page docs/memory_ordering.md
/// explains the figures this prints.
#include "cpu.h"
#include "cpumask.h"
#include "ipi.h"
#include "ktest.h"
#include "log.h"
#include "timer.h"
#include "x86.h"

namespace {

/// How the store and the load of one side are written.
enum class Sb : uint32_t {
    Plain,    ///< volatile store, volatile load: the compiler keeps their order, the CPU need not
    RelAcq,   ///< release store, acquire load: the same two MOVs on x86
    Mfence,   ///< volatile store, MFENCE, volatile load
    SeqCst,   ///< seq_cst store (XCHG) and seq_cst load
};

constexpr uint32_t kChunk = 256;               // iterations between two checks of the results
constexpr uint32_t kIterations = 400 * kChunk;  // per variant, at most
constexpr uint32_t kBudgetMs = 8000;            // per variant: no new chunk starts after it
constexpr uint32_t kStallMs = 4000;             // one wait longer than this: the other CPU is gone

// One line each, so that the two sides' stores to them do not share a line
// with the counters.
struct alignas(64) Line { volatile uint32_t v[16]; };
volatile uint32_t xs[kChunk] __attribute__((aligned(64)));  // side 0 stores here, side 1 loads
volatile uint32_t ys[kChunk] __attribute__((aligned(64)));  // side 1 stores here, side 0 loads
uint32_t r0[kChunk], r1[kChunk];  // what side 0 and side 1 loaded
Line arrive[2];                   // arrive[side].v[0]: the last step that side reached
volatile uint32_t aborted = 0;  // a side waited kStallMs for the other
volatile uint32_t more = 0;     // side 0's word at a chunk's start: run one more chunk
uint64_t budget_end = 0;

/// [sb sides]
/// One iteration's store and load, for one side in variant @p how.
/// Written so that the compiler emits exactly a store followed by a load (plus
/// the fence the variant names): GCC keeps volatile accesses in program order.
inline uint32_t store_then_load(Sb how, volatile uint32_t* mine, volatile uint32_t* theirs) {
    switch (how) {
    case Sb::Plain:
        *mine = 1;
        return *theirs;
    case Sb::RelAcq:
        __atomic_store_n(mine, 1u, __ATOMIC_RELEASE);
        return __atomic_load_n(theirs, __ATOMIC_ACQUIRE);
    case Sb::Mfence:
        *mine = 1;
        asm volatile("mfence" ::: "memory");
        return *theirs;
    case Sb::SeqCst:
        __atomic_store_n(mine, 1u, __ATOMIC_SEQ_CST);
        return __atomic_load_n(theirs, __ATOMIC_SEQ_CST);
    }
    return 0;
}
/// [sb sides]

/// Two-party barrier: publish that @p side reached @p step, wait until the
/// other side has too. Plain store, then loads: the other side's arrival is
/// seen at the latest when its store leaves its store buffer. On an
/// overcommitted host a wait lasts until the other vCPU's thread gets a core
/// again; false when it lasted kStallMs, or the other side gave up.
bool meet(uint32_t side, uint32_t step) {
    __atomic_store_n(&arrive[side].v[0], step, __ATOMIC_RELEASE);
    uint64_t since = 0;
    for (uint32_t spins = 1; __atomic_load_n(&arrive[1 - side].v[0], __ATOMIC_ACQUIRE) < step; ++spins) {
        if (aborted) return false;
        if ((spins & 1023) == 0) {
            uint64_t now = rdtsc();
            if (!since) since = now;
            else if (now - since > (uint64_t)kStallMs * tsc_khz()) {
                aborted = 1;
                return false;
            }
        }
    }
    return true;
}

struct Round {
    Sb how;
    uint32_t done;        ///< iterations both sides completed
    uint32_t both_zero;   ///< iterations in which both loads saw 0
};
Round round;
volatile uint32_t partner_done = 0;

/// [sb loop]
/// One side's loop over the round. Side 0 (the caller) resets the arrays,
/// decides whether another chunk runs, and counts the outcomes between
/// chunks; side 1 runs on the partner CPU.
void run_side(uint32_t side) {
    volatile uint32_t* mine = side == 0 ? xs : ys;
    volatile uint32_t* theirs = side == 0 ? ys : xs;
    uint32_t* result = side == 0 ? r0 : r1;
    uint32_t step = 0;
    for (;;) {
        if (side == 0) {
            more = round.done < kIterations && rdtsc() < budget_end;
            for (uint32_t i = 0; i < kChunk; ++i) {
                xs[i] = 0;
                ys[i] = 0;
            }
        }
        if (!meet(side, ++step)) return;  // `more` and the zeros are visible to side 1
        if (!more) return;
        for (uint32_t i = 0; i < kChunk; ++i) {
            if (!meet(side, ++step)) return;  // start together, so the two stores race
            result[i] = store_then_load(round.how, mine + i, theirs + i);
        }
        if (!meet(side, ++step)) return;  // both sides' results are written
        if (side == 0) {
            for (uint32_t i = 0; i < kChunk; ++i) round.both_zero += r0[i] == 0 && r1[i] == 0;
            round.done += kChunk;
        }
    }
}

/// [sb loop]

void partner_side(void*) {
    run_side(1);
    __atomic_store_n(&partner_done, 1u, __ATOMIC_RELEASE);
}

const char* sb_name(Sb how) {
    switch (how) {
    case Sb::Plain: return "plain";
    case Sb::RelAcq: return "release/acquire";
    case Sb::Mfence: return "mfence";
    case Sb::SeqCst: return "seq_cst";
    }
    return "?";
}

}  // namespace

/// Store buffering on two CPUs, without and with a fence. The figures without
/// a fence are reported, not asserted (they depend on the host and on the
/// emulator); with MFENCE or seq_cst accesses, both loads seeing 0 is forbidden
/// by the architecture and fails the test.
KTEST(litmus, -2, "store buffering (SB) on two CPUs: both loads 0 is counted, and never allowed with mfence") {
    uint32_t me = cpu_number(), partner = COHORT_MAX_CPUS;
    for_each_cpu(k, cpu_online_mask) if (k != me && partner == COHORT_MAX_CPUS) partner = k;
    if (partner == COHORT_MAX_CPUS) {
        ktest_detail("needs two online cpus");
        return false;
    }
    static constexpr Sb variants[] = {Sb::Plain, Sb::RelAcq, Sb::Mfence, Sb::SeqCst};
    uint32_t counts[4] = {}, dones[4] = {};
    bool ok = true;
    for (uint32_t v = 0; v < 4; ++v) {
        round = Round{variants[v], 0, 0};
        aborted = 0;
        partner_done = 0;
        arrive[0].v[0] = 0;
        arrive[1].v[0] = 0;
        budget_end = rdtsc() + (uint64_t)kBudgetMs * tsc_khz();
        if (!ipi_call_one(partner, partner_side, nullptr, false)) return false;
        uintptr_t f = read_flags();
        cli();  // no timer tick or thread switch on this side while the sides race
        run_side(0);
        write_flags(f);
        bool stalled = aborted;
        // Side 1 may still be waiting for a step side 0 gave up on; it must
        // be out of run_side() before the next variant resets the counters.
        aborted = 1;
        uint64_t until = rdtsc() + (uint64_t)kStallMs * tsc_khz();
        while (!__atomic_load_n(&partner_done, __ATOMIC_ACQUIRE) && rdtsc() < until) cpu_relax();
        if (!partner_done) {
            ktest_detail("cpu %u did not finish variant %s", partner, sb_name(variants[v]));
            return false;
        }
        counts[v] = round.both_zero;
        dones[v] = round.done;
        log_info("ktest: litmus: sb %s: both loads 0 in %u of %u iterations (cpus %u and %u)",
                 sb_name(variants[v]), round.both_zero, round.done, me, partner);
        if (stalled) {
            ktest_detail("variant %s: one cpu waited %u ms for the other", sb_name(variants[v]), kStallMs);
            ok = false;
        }
        if (round.done == 0) ok = false;  // the two sides never ran at once
    }
    ktest_detail("sb on cpus %u,%u, both loads 0: plain %u/%u, release/acquire %u/%u, mfence %u/%u, seq_cst %u/%u",
                 me, partner, counts[0], dones[0], counts[1], dones[1], counts[2], dones[2], counts[3], dones[3]);
    return ok && counts[2] == 0 && counts[3] == 0;
}
