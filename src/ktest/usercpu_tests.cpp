/// @file usercpu_tests.cpp
/// Self-test of the per-CPU half of user mode on amd64 (docs/usermode.md,
/// lab 09): on every online CPU, what arch_user_cpu_init() left in the
/// system-call registers, and whether arch_set_kernel_stack() gave each
/// switched-to thread its own stack in the TSS (rsp0) and in the SYSCALL slot.
/// The user programs themselves are test=user (user_tests.cpp).
#if defined(__x86_64__)
#include "archcpu.h"
#include "cpu.h"
#include "cpumask.h"
#include "ktest.h"
#include "log.h"
#include "panic.h"
#include "proc.h"
#include "x86.h"

extern "C" void syscall_entry();

namespace {

constexpr uint32_t MSR_STAR = 0xC0000081, MSR_LSTAR = 0xC0000082, MSR_FMASK = 0xC0000084;
constexpr uint32_t SWITCHES = 40;  ///< yields per thread; each one a switch to its partner

/// What one CPU showed: its registers, and its stack slots after each switch.
struct Seen {
    uint64_t efer, star, lstar, fmask;
    uint32_t switches, rsp0_ok, slot_ok, moved;
    bool read;
};
Seen seen[COHORT_MAX_CPUS];

/// Two of these run pinned to one CPU and yield to each other: after every
/// switch back, this CPU's rsp0 and SYSCALL slot must be the running
/// thread's own stack top (SDM Vol. 3A 6.14.4, 7.7). Interrupts off while
/// looking, so that nothing switches in between.
void stacks(void* arg) {
    uint32_t cpu = (uint32_t)(uintptr_t)arg;
    Seen& s = seen[cpu];
    for (uint32_t i = 0; i < SWITCHES; ++i) {
        thread_yield();
        uintptr_t f = read_flags();
        cli();
        Cpu* c = this_cpu();
        uintptr_t top = current_thread()->kstack_top;
        if (c->id != cpu) {
            __atomic_fetch_add(&s.moved, 1, __ATOMIC_RELAXED);
        } else {
            __atomic_fetch_add(&s.switches, 1, __ATOMIC_RELAXED);
            if (c->arch.tss.rsp[0] == top) __atomic_fetch_add(&s.rsp0_ok, 1, __ATOMIC_RELAXED);
            if (c->entry_kstack == top) __atomic_fetch_add(&s.slot_ok, 1, __ATOMIC_RELAXED);
        }
        if (!s.read && c->id == cpu) {
            s.efer = rdmsr(MSR_EFER);
            s.star = rdmsr(MSR_STAR);
            s.lstar = rdmsr(MSR_LSTAR);
            s.fmask = rdmsr(MSR_FMASK);
            s.read = true;
        }
        write_flags(f);
    }
}

const char* cleared(uint64_t fmask, uint32_t bit) { return fmask >> bit & 1 ? "cleared" : "KEPT"; }

}  // namespace

KTEST(usercpu, -1, "every CPU's SYSCALL registers, and rsp0 and the SYSCALL stack after every switch (by name)") {
    uint32_t n = 0, bad = 0, fatal = 0;
    Thread* ts[2 * COHORT_MAX_CPUS];
    for_each_cpu(k, cpu_online_mask) {
        seen[k] = Seen{};
        CpuMask only;
        only.set(k);
        for (int j = 0; j < 2; ++j)
            ts[n++] = thread_create(j ? "usercpu-b" : "usercpu-a", stacks, (void*)(uintptr_t)k, 1, &only);
    }
    for (uint32_t i = 0; i < n; ++i)
        if (ts[i]) thread_join(ts[i]);
        else ++bad;
    uint32_t cpus = 0;
    for_each_cpu(k, cpu_online_mask) {
        const Seen& s = seen[k];
        ++cpus;
        if (!s.read) {
            log_error("usercpu: cpu %u: its threads never ran there", k);
            ++bad;
            continue;
        }
        // SYSCALL: CS = STAR[47:32], SS = that + 8. SYSRET to 64-bit mode:
        // CS = STAR[63:48] + 16, SS = STAR[63:48] + 8, both with RPL 3
        // (SDM Vol. 2B SYSCALL, SYSRET; Vol. 3A 5.8.8).
        uint32_t kcs = (uint32_t)(s.star >> 32 & 0xFFFF), ubase = (uint32_t)(s.star >> 48 & 0xFFFF);
        bool sce = s.efer & 1, lstar = s.lstar == (uint64_t)(uintptr_t)&syscall_entry;
        bool star = kcs == SEL_KCODE && kcs + 8 == SEL_KDATA && (ubase + 16) == SEL_UCODE && (ubase + 8) == SEL_UDATA;
        bool fmask = (s.fmask >> 9 & 1) && (s.fmask >> 10 & 1) && (s.fmask >> 8 & 1);
        bool stacks_ok = s.rsp0_ok == s.switches && s.slot_ok == s.switches && s.switches > 0;
        if (lstar)
            log_info("usercpu: cpu %u: EFER.SCE %s, LSTAR syscall_entry", k, sce ? "on" : "OFF");
        else
            log_info("usercpu: cpu %u: EFER.SCE %s, LSTAR 0x%llx, not syscall_entry", k, sce ? "on" : "OFF",
                     (unsigned long long)s.lstar);
        log_info("usercpu: cpu %u: STAR: syscall cs 0x%x ss 0x%x, sysret cs 0x%x ss 0x%x", k, kcs, kcs + 8,
                 (ubase + 16) | 3, (ubase + 8) | 3);
        log_info("usercpu: cpu %u: FMASK 0x%llx: IF %s, DF %s, TF %s, NT %s", k, (unsigned long long)s.fmask,
                 cleared(s.fmask, 9), cleared(s.fmask, 10), cleared(s.fmask, 8), cleared(s.fmask, 14));
        log_info("usercpu: cpu %u: %u switches: rsp0 its thread's after %u, the SYSCALL stack after %u", k, s.switches,
                 s.rsp0_ok, s.slot_ok);
        if (s.moved) log_error("usercpu: cpu %u: a pinned thread ran elsewhere %u time(s)", k, s.moved);
        bad += !sce + !lstar + !star + !fmask + !stacks_ok + (s.moved != 0);
        fatal += !sce || !lstar || !stacks_ok;
    }
    // A syscall that cannot reach syscall_entry jumps elsewhere in ring 0 on
    // the user's stack, and an entry on another thread's stack overwrites
    // that thread's frames: the ring-3 tests after this one would end in a
    // double fault or a hang, far from the cause. Stop here, saying why.
    if (fatal)
        panic("usercpu: %u cpu(s) would enter the kernel from ring 3 at the wrong place or on the wrong stack "
              "(lines above): stopping here", fatal);
    ktest_detail("%u cpus, %u wrong", cpus, bad);
    return bad == 0;
}
#endif
