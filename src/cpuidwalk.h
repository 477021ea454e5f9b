/* @file cpuidwalk.h
 * Which CPUID (leaf, subleaf) pairs a dump records, in C so that both
 * recorders use it: tools/cpuid-dump.c under QEMU user mode (one CPU) and
 * the kernel's `test=cpuid_dump` under qemu-system (any -smp shape). Both
 * then write the same lines, the format of tests/data/cpuid/.
 *
 * Only leaves up to the reported maximum are asked for (leaf 0 EAX, leaf
 * 0x80000000 EAX): out of range, Intel CPUs answer with the data of the
 * highest basic leaf (SDM Vol. 2A, CPUID, "If a value entered for CPUID.EAX
 * is higher than the maximum input value..."), which is not worth recording. */
#pragma once
#include <stdint.h>

/* Execute CPUID (leaf, sub) into r[0..3] = EAX, EBX, ECX, EDX. */
typedef void (*cpuidwalk_query)(uint32_t leaf, uint32_t sub, uint32_t r[4], void* ctx);
/* Record one answer. */
typedef void (*cpuidwalk_put)(uint32_t leaf, uint32_t sub, const uint32_t r[4], void* ctx);

/* One leaf, and the subleaves that carry data (SDM Vol. 2A, CPUID). */
static inline void cpuidwalk_leaf(cpuidwalk_query q, cpuidwalk_put put, void* ctx, uint32_t leaf) {
    uint32_t r0[4], r[4], prev[4];
    uint32_t s;
    q(leaf, 0, r0, ctx);
    put(leaf, 0, r0, ctx);
    switch (leaf) {
    case 4: case 0x8000001d:          /* cache parameters: until type == 0 */
        for (s = 1; s < 16; s++) {
            q(leaf, s - 1, prev, ctx);
            if ((prev[0] & 0x1f) == 0) break;
            q(leaf, s, r, ctx);
            put(leaf, s, r, ctx);
        }
        break;
    case 7: case 0x14: case 0x17: case 0x18: case 0x1d:  /* EAX of subleaf 0 = max subleaf */
        for (s = 1; s <= r0[0] && s < 32; s++) {
            q(leaf, s, r, ctx);
            put(leaf, s, r, ctx);
        }
        break;
    case 0xb: case 0x1f:              /* topology levels: until level type == 0 */
        for (s = 1; s < 8; s++) {
            q(leaf, s - 1, prev, ctx);
            if (((prev[2] >> 8) & 0xff) == 0) break;
            q(leaf, s, r, ctx);
            put(leaf, s, r, ctx);
        }
        break;
    case 0xd: {                       /* XSAVE: subleaf 1, then each component present */
        uint32_t r1[4];
        q(leaf, 1, r1, ctx);
        put(leaf, 1, r1, ctx);
        uint64_t mask = (((uint64_t)r0[3] << 32) | r0[0]) | (((uint64_t)r1[3] << 32) | r1[2]);
        for (s = 2; s < 64; s++)
            if ((mask >> s) & 1) {
                q(leaf, s, r, ctx);
                put(leaf, s, r, ctx);
            }
        break;
    }
    default:
        break;
    }
}

/* Every basic leaf up to the maximum, leaf 0x80000000 always (its EAX tells
 * whether any extended leaf exists at all: < 0x80000000 means none), then the
 * extended leaves up to theirs. The caller has checked that CPUID exists. */
static inline void cpuidwalk(cpuidwalk_query q, cpuidwalk_put put, void* ctx) {
    uint32_t r[4], l;
    q(0, 0, r, ctx);
    uint32_t max = r[0];
    for (l = 0; l <= max && l < 0x100; l++) cpuidwalk_leaf(q, put, ctx, l);
    q(0x80000000u, 0, r, ctx);
    put(0x80000000u, 0, r, ctx);
    uint32_t ext = r[0];
    if (ext > 0x80000000u && ext < 0x80000100u)
        for (l = 0x80000001u; l <= ext; l++) cpuidwalk_leaf(q, put, ctx, l);
}
