/// @file cpumask.h
/// A set of kernel CPU ids (0..COHORT_MAX_CPUS-1), safe to update from several
/// CPUs at once. The online set is one: code iterates it, never a count.
#pragma once
#include "config.h"
#include "types.h"

/// A bitmap of kernel CPU ids with atomic set and clear. 32-bit words: i686
/// has no plain 64-bit atomic read-modify-write.
struct CpuMask {
    static constexpr uint32_t kWords = (COHORT_MAX_CPUS + 31) / 32;  ///< 32-bit words
    uint32_t bits[kWords] = {};                                      ///< bit k = CPU k

    /// Add CPU @p k (atomic, release: what the CPU wrote before is visible to readers).
    void set(uint32_t k) { __atomic_fetch_or(&bits[k / 32], 1u << (k % 32), __ATOMIC_RELEASE); }
    /// Remove CPU @p k (atomic).
    void clear(uint32_t k) { __atomic_fetch_and(&bits[k / 32], ~(1u << (k % 32)), __ATOMIC_RELEASE); }
    /// True when CPU @p k is in the set.
    bool test(uint32_t k) const {
        return k < COHORT_MAX_CPUS && (__atomic_load_n(&bits[k / 32], __ATOMIC_ACQUIRE) >> (k % 32)) & 1;
    }
    /// Number of CPUs in the set.
    uint32_t count() const {
        uint32_t n = 0;
        for (uint32_t w = 0; w < kWords; ++w) n += (uint32_t)__builtin_popcount(__atomic_load_n(&bits[w], __ATOMIC_ACQUIRE));
        return n;
    }
    /// The lowest CPU id in the set at or after @p from, or COHORT_MAX_CPUS.
    /// A word at a time: for_each_cpu() on 8 CPUs would otherwise test the
    /// 504 ids above the last one, in the scheduler's every pass.
    uint32_t next(uint32_t from) const {
        if (from >= COHORT_MAX_CPUS) return COHORT_MAX_CPUS;
        uint32_t w = from / 32;
        uint32_t word = __atomic_load_n(&bits[w], __ATOMIC_ACQUIRE) & (~0u << (from % 32));
        while (!word) {
            if (++w == kWords) return COHORT_MAX_CPUS;
            word = __atomic_load_n(&bits[w], __ATOMIC_ACQUIRE);
        }
        uint32_t k = w * 32 + (uint32_t)__builtin_ctz(word);
        return k < COHORT_MAX_CPUS ? k : COHORT_MAX_CPUS;
    }
};

/// Loop over every CPU id @p k in mask @p m.
#define for_each_cpu(k, m) for (uint32_t k = (m).next(0); k < COHORT_MAX_CPUS; k = (m).next(k + 1))

/// CPUs that finished bring-up: their IDT and LAPIC are ready for IPIs.
extern CpuMask cpu_online_mask;
