/// @file ipi.cpp
/// IPIs on top of the local APIC: the handlers, call-function, shootdown, halt-all.
#include "ipi.h"
#include "cmdline.h"
#include "cpu.h"
#include "cputable.h"
#include "format.h"
#include "labs.h"
#include "lapic.h"
#include "log.h"
#include "panic.h"
#include "runlevel.h"
#include "timer.h"
#include "trap.h"
#include "wait.h"
#include <new>  // placement new
#include "x86.h"

namespace {

/// Each CPU's mailbox, in zeroed storage (.bss): as CallQueue objects
/// with their constructor's sequence numbers they were 1.3 MB of .data in
/// the kernel image, read from the ISO by GRUB at every boot. ipi_init()
/// builds each one in place before any CPU posts.
alignas(CallQueue) unsigned char mailbox_store[COHORT_MAX_CPUS][sizeof(CallQueue)];
CallQueue* const mailboxes = reinterpret_cast<CallQueue*>(mailbox_store);
volatile uint32_t halt_requested = 0;

/// [posting]
// The online mask is read by every call (the snapshot, then the posts) and
// written by a CPU going offline (ipi_cpu_leave()). A reader announces itself
// in posting[] for that short window; the one writer raises mask_writer,
// waits until no reader is inside, clears its bit and lowers the flag. So a
// request is either posted before the CPU's last drain, or not posted to it
// at all: none is left in the mailbox of a parked CPU, with its sender
// waiting for an answer that never comes. (Linux's percpu-rwsem, in small.)
volatile uint32_t posting[COHORT_MAX_CPUS];
volatile uint32_t mask_writer = 0;

/// Enter the reader side, interrupts off. While a CPU leaves, wait outside,
/// serving our own mailbox so that nobody waits on us meanwhile. The writer
/// lowers the flag within its own bounded wait (ipi_cpu_leave()); one that
/// has not after twice ipi_timeout_ms stopped halfway, parked or INITed
/// before leaving the mask, and no call can be posted safely again: a panic
/// that says so, not a hang with interrupts off.
void begin_posting(uint32_t me) {
    uint64_t limit = 0;
    for (;;) {
        __atomic_store_n(&posting[me], 1u, __ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&mask_writer, __ATOMIC_SEQ_CST)) return;
        __atomic_store_n(&posting[me], 0u, __ATOMIC_RELEASE);
        while (__atomic_load_n(&mask_writer, __ATOMIC_ACQUIRE)) {
            callq_drain(mailboxes[me]);
            cpu_relax();
            uint32_t ms = 2 * boot_options().ipi_timeout_ms;
            if (!limit) limit = rdtsc() + (uint64_t)ms * tsc_khz();
            else if (rdtsc() > limit)
                panic("ipi: cpu %u waited %u ms to post: a CPU leaving cpu_online_mask never lowered mask_writer "
                      "(did it park before leaving the mask?)", me, ms);
        }
    }
}

void end_posting(uint32_t me) { __atomic_store_n(&posting[me], 0u, __ATOMIC_RELEASE); }
/// [posting]

/// [on call]
void on_call(TrapFrame*) {
    // LAB 06 BEGIN: acknowledge the interrupt, then run what is in this CPU's mailbox
    // Every post sends its own IPI, and one that arrives while this vector is
    // in service waits in the IRR (SDM 10.8.4), so either order loses nothing.
    // EOI first, so that no request function runs with the vector in service,
    // holding this CPU's priority at class 14 (SDM 10.8.3.1).
    lapic_eoi();
    callq_drain(mailboxes[cpu_number()]);
    // LAB 06 STUB: lab_todo(6, "the call-function handler on_call()");
    // LAB 06 LATER: lab_later(6, "call-function requests are not served");
    // LAB 06 LATER: lapic_eoi();
    // LAB 06 END
}
/// [on call]

void on_reschedule(TrapFrame*) {
    lapic_eoi();  // the wake-up itself is the point; the scheduler looks at its queue
}

[[noreturn]] void stop_here() {
    Cpu* c = this_cpu();
    c->halted = 1;
    halt_forever();
}

void on_halt_all(TrapFrame*) { stop_here(); }

/// [nmi]
/// An NMI is taken whatever the CPU was doing, the logger's lock held
/// included: a line logged here could wait for a lock this very CPU holds.
/// So it is only counted, with where it hit; nmi_report_pending() says so
/// later, from an ordinary context.
void on_nmi(TrapFrame* tf) {
    Cpu* c = this_cpu();
    c->nmi_ip = (uintptr_t)tf->ip;
    __atomic_store_n(&c->nmi_count, c->nmi_count + 1, __ATOMIC_RELEASE);
    if (halt_requested) stop_here();
}
/// [nmi]

}  // namespace

void nmi_report_pending() {
    Cpu* c = this_cpu();
    uint32_t n = __atomic_load_n(&c->nmi_count, __ATOMIC_ACQUIRE);
    if (n == c->nmi_reported || halt_requested) return;
    uint32_t fresh = n - c->nmi_reported;
    c->nmi_reported = n;
    log_warn("nmi: cpu %u took %u NMI(s) that nobody asked for, the last at %p", c->id, fresh, (void*)c->nmi_ip);
}

namespace {

uint64_t deadline_after_ms(uint32_t ms) { return rdtsc() + (uint64_t)ms * tsc_khz(); }

/// Post @p r to every target but the caller and send the IPIs; returns how
/// many were posted. The caller's own share runs afterwards, directly.
uint32_t post_all(const CpuMask& targets, const CallReq& r, uint8_t vector, uint64_t deadline) {
    uint32_t me = cpu_number(), n = 0;
    CallQueue& own = mailboxes[me];
    // LAB 06 BEGIN: post to each online target but the caller, draining our own mailbox while the target's is full (until the deadline), then send it the IPI
    for_each_cpu(k, targets) {
        if (k == me || !cpu_online_mask.test(k)) continue;
        bool posted = callq_post_retry(mailboxes[k], r, own, [&] {
            cpu_relax();
            return rdtsc() < deadline;
        });
        if (!posted) {
            log_error("ipi: cpu %u's mailbox stayed full; request not posted", k);
            continue;
        }
        ipi_send(k, vector);
        ++n;
    }
    // LAB 06 STUB: lab_todo(6, "posting requests and sending the IPIs in post_all()");
    // LAB 06 STUB: (void)targets; (void)r; (void)vector; (void)deadline; (void)own; (void)me;
    // LAB 06 LATER: lab_later(6, "call-function runs on the calling CPU only: requests to the others are dropped");
    // LAB 06 LATER: (void)targets; (void)r; (void)vector; (void)deadline; (void)own; (void)me;
    // LAB 06 END
    return n;
}

/// The CPUs of @p targets (but the caller) that have not answered @p w, as " 3 5".
void slow_cpus(const CallWait& w, const CpuMask& targets, char* names, size_t cap) {
    size_t len = 0;
    names[0] = '\0';
    for_each_cpu(k, targets) {
        if (k == cpu_number() || callwait_answered(w, k)) continue;
        if (len < cap - 8) len += ksnprintf(names + len, cap - len, " %u", k);
    }
}

/// Wait until every target answered @p w. A posted request is never
/// abandoned: it points at @p w (and maybe at more of the caller's stack), so
/// returning before the last answer would let a late target write into a
/// dead frame. At the deadline the slow CPUs are named and the wait goes on,
/// for one more `ipi_timeout_ms=`; a target still silent then is taken for
/// dead, and that is a panic, not a return.
bool wait_for(CallWait& w, const CpuMask& targets, uint64_t deadline, const char* what) {
    // Spin, then halt (wait.h): the last target to answer wakes us, and an
    // IPI with new requests for our mailbox does too.
    CallQueue& own = mailboxes[cpu_number()];
    uint32_t ms = boot_options().ipi_timeout_ms;
    char names[160];
    for (uint32_t round = 0;; ++round) {
        Waiter waiter(deadline);
        bool ok = callq_wait(w, own, [&] {
            return waiter.pause([&] { return callwait_done(w) || callq_pending(own) != 0; });
        });
        if (ok) return true;
        slow_cpus(w, targets, names, sizeof names);
        if (round == 1)
            panic("ipi: %s: no answer within %u ms from cpu(s)%s; their requests still point at this stack",
                  what, 2 * ms, names);
        log_error("ipi: %s: no answer within %u ms from cpu(s)%s; still waiting", what, ms, names);
        deadline = deadline_after_ms(ms);
    }
}

/// [call]
bool call(const CpuMask& targets, CallFn fn, void* arg, bool wait, uint8_t vector, const char* what) {
    // No preemption until the last answer: a caller moved to another CPU
    // would run its own share there, and drain another CPU's mailbox.
    RunlevelGuard stay(Runlevel::Dispatch);
    uint32_t me = cpu_number();
    uint64_t deadline = deadline_after_ms(boot_options().ipi_timeout_ms);
    CallWait w;
    // One look at the online mask, for counting and for posting alike: a CPU
    // counted but not posted to would never answer, one posted to but not
    // counted could answer after we returned.
    // (The caller stays in the snapshot when it is a target: post_all() skips
    // it, and it runs its share directly below.)
    CpuMask to;
    uint32_t n = 0;
    uintptr_t flags = read_flags();
    cli();
    begin_posting(me);  // the mask stays as read until every post is in
    for_each_cpu(k, targets)
        if (cpu_online_mask.test(k)) { to.set(k); n += k != me; }
    callwait_init(w, n, wait_wake, me);
    CallReq r{fn, arg, wait ? &w : nullptr, 0};
    uint32_t posted = post_all(to, r, vector, deadline);
    end_posting(me);
    write_flags(flags);
    if (posted < n) callwait_forget(w, n - posted);  // requests that stayed unposted (said by post_all)
    if (targets.test(me)) fn(arg);
    // The wait's own bound starts now: a share of ours that ran longer than
    // ipi_timeout_ms= (the `logger` self-test's, at 64 CPUs on two host
    // cores) must not make the others look silent before we waited at all.
    bool answered = !wait || wait_for(w, to, deadline_after_ms(boot_options().ipi_timeout_ms), what);
    return answered && posted == n;
}
/// [call]

struct FlushRange {
    uintptr_t va;
    size_t pages;
};

/// [flush]
void flush_fn(void* p) {
    const FlushRange* f = (const FlushRange*)p;
    // LAB 06 BEGIN: drop this CPU's translations of the range: INVLPG page by page, or reload CR3 for many pages (or 0)
    if (f->pages == 0 || f->pages > 64) {
        write_cr3(read_cr3());
        return;
    }
    for (size_t i = 0; i < f->pages; ++i) invlpg(f->va + i * 4096);
    // LAB 06 STUB: lab_todo(6, "flushing the TLB in flush_fn()"); (void)f;
    // LAB 06 LATER: (void)f; write_cr3(read_cr3());  // a stand-in: the whole TLB
    // LAB 06 END
}
/// [flush]

}  // namespace



/// [leave]
uint32_t ipi_cpu_leave() {
    uint32_t me = cpu_number();
    CallQueue& own = mailboxes[me];
    uint32_t drained = 0;
    // LAB 08 BEGIN: raise mask_writer; wait until no other CPU is posting, serving our mailbox meanwhile (give up after ipi_timeout_ms, saying who); leave cpu_online_mask; lower the flag; drain
    __atomic_store_n(&mask_writer, 1u, __ATOMIC_SEQ_CST);
    uint64_t until = deadline_after_ms(boot_options().ipi_timeout_ms);
    for (uint32_t k = 0; k < cpu_table.usable; ++k) {
        // A reader inside may be posting to us, into a full mailbox: serve it.
        while (k != me && __atomic_load_n(&posting[k], __ATOMIC_SEQ_CST)) {
            drained += (uint32_t)callq_drain(own);
            cpu_relax();
            if (rdtsc() > until) {
                log_error("ipi: cpu %u leaving: cpu %u stayed inside a call's posts for %u ms; leaving anyway", me, k,
                          boot_options().ipi_timeout_ms);
                break;
            }
        }
    }
    cpu_online_mask.clear(me);  // from here no call counts this CPU
    __atomic_store_n(&mask_writer, 0u, __ATOMIC_RELEASE);
    drained += (uint32_t)callq_drain(own);  // the requests posted before: answered, none left behind
    // LAB 08 STUB: lab_todo(8, "leaving the online mask and answering the mailbox in ipi_cpu_leave()"); (void)own;
    // LAB 08 LATER: (void)own;
    // LAB 08 END
    return drained;
}
/// [leave]

bool ipi_post_self(CallFn fn, void* arg) { return callq_post(mailboxes[cpu_number()], CallReq{fn, arg, nullptr, 0}); }

uint32_t ipi_pending(uint32_t cpu) { return cpu < COHORT_MAX_CPUS ? callq_pending(mailboxes[cpu]) : 0; }

CpuMask online_cpus() { return cpu_online_mask; }

CpuMask other_cpus() {
    CpuMask m = cpu_online_mask;
    m.clear(cpu_number());
    return m;
}

void ipi_init() {
    // Only the CPUs the table numbered: kernel ids stop at cpu_table.usable
    // (hotplug too). Building all COHORT_MAX_CPUS (1.3 MiB) cost about 2 ms
    // of the INIT wait at 8 vCPUs; a mailbox never built is all zeros, which
    // ipi_pending() reads as empty.
    uint32_t n = cpu_table.usable < COHORT_MAX_CPUS ? cpu_table.usable : COHORT_MAX_CPUS;
    for (uint32_t k = 0; k < n; ++k) new (&mailboxes[k]) CallQueue(k);
    trap_set_handler(vec::call_function, on_call);
    trap_set_handler(vec::tlb_shootdown, on_call);
    trap_set_handler(vec::reschedule, on_reschedule);
    trap_set_handler(vec::halt_all, on_halt_all);
    trap_set_handler(2, on_nmi);
    panic_stop_others = ipi_halt_others;
}

bool ipi_send(uint32_t cpu, uint8_t vector) {
    return lapic_send(Icr::fixed(cpus[cpu].apic_id, vector));
}

void ipi_reschedule(uint32_t cpu) {
    if (cpu != cpu_number()) ipi_send(cpu, vec::reschedule);
}

bool ipi_call(const CpuMask& targets, CallFn fn, void* arg, bool wait) {
    return call(targets, fn, arg, wait, vec::call_function, "call-function");
}

bool ipi_call_one(uint32_t cpu, CallFn fn, void* arg, bool wait) {
    CpuMask m;
    m.set(cpu);
    return ipi_call(m, fn, arg, wait);
}

bool ipi_call_others(CallFn fn, void* arg, bool wait) { return ipi_call(other_cpus(), fn, arg, wait); }

/// [shootdown]
bool tlb_shootdown(const CpuMask& targets, uintptr_t va, size_t pages) {
    // LAB 06 BEGIN: run flush_fn on every target and on this CPU too, on the shootdown vector, and wait for all
    FlushRange f{va, pages};
    CpuMask all = targets;
    all.set(cpu_number());  // the initiator flushes too
    return call(all, flush_fn, &f, true, vec::tlb_shootdown, "tlb shootdown");
    // LAB 06 STUB: lab_todo(6, "the shootdown in tlb_shootdown()");
    // LAB 06 STUB: (void)targets; (void)va; (void)pages; (void)flush_fn; return false;
    // LAB 06 LATER: lab_later(6, "a TLB shootdown flushes the calling CPU only");
    // LAB 06 LATER: FlushRange mine{va, pages}; (void)targets; flush_fn(&mine); return true;
    // LAB 06 END
}
/// [shootdown]

void ipi_halt_others() {
    uint32_t me = cpu_number();
    halt_requested = 1;
    uint32_t others = 0;
    for_each_cpu(k, cpu_online_mask) others += (k != me);
    if (!others || this_cpu()->apic_mode == ApicMode::None) return;
    // The "all excluding self" shorthand reaches every CPU on the bus, also
    // those that are not online: one parked with interrupts off after its
    // bring-up was cancelled would take the interrupt the moment anything
    // woke it, on stacks that were freed. So the shorthand only when every
    // CPU the tables list is online; else one IPI per online CPU.
    if (cpu_online_mask.count() == cpu_table.usable) {
        lapic_send(Icr{}.vector(vec::halt_all).shorthand(Shorthand::AllExcludingSelf));
        // A self-IPI is in the IRR as soon as the ICR write is done. One here
        // means a shorthand that includes the sender: held back only while
        // interrupts are off, it would stop this CPU in the middle of its report.
        if (lapic_read(lapic_vector_reg(LapicReg::IrrBase, vec::halt_all)) & lapic_vector_bit(vec::halt_all))
            log_error("panic: the halt-all IPI came back to cpu %u, the one that sent it", me);
    } else {
        for_each_cpu(k, cpu_online_mask)
            if (k != me) lapic_send(Icr::fixed(cpus[k].apic_id, vec::halt_all));
    }
    uint64_t until = rdtsc() + 100 * tsc_khz();
    auto all_halted = [&] {
        for_each_cpu(k, cpu_online_mask)
            if (k != me && !cpus[k].halted) return false;
        return true;
    };
    while (!all_halted() && rdtsc() < until) cpu_relax();
    uint32_t by_ipi = 0, by_nmi = 0, stuck = 0;
    for_each_cpu(k, cpu_online_mask) {
        if (k == me) continue;
        if (cpus[k].halted) { ++by_ipi; continue; }
        lapic_send(Icr::nmi(cpus[k].apic_id));  // interrupts off or runlevel High: NMI gets through
    }
    until = rdtsc() + 100 * tsc_khz();
    while (!all_halted() && rdtsc() < until) cpu_relax();
    for_each_cpu(k, cpu_online_mask) {
        if (k == me) continue;
        if (!cpus[k].halted) ++stuck;
    }
    by_nmi = others - by_ipi - stuck;
    log_error("panic: stopped %u other cpu(s): %u by the halt-all IPI, %u by NMI, %u did not stop",
              others - stuck, by_ipi, by_nmi, stuck);
}
