/// @file process.cpp
/// Processes: loading, running, exiting and reaping (process.h).
#include "process.h"
#include "cpu.h"
#include "format.h"
#include "futex.h"
#include "ipi.h"
#include "kstring.h"
#include "labs.h"
#include "lapic.h"
#include "log.h"
#include "mem.h"
#include "multiboot2.h"
#include "proc.h"
#include "ratelimit.h"
#include "runlevel.h"
#include "sync.h"
#include "syscalls.h"
#include "timer.h"
#include "trap.h"
#include "uentry.h"
#include "user.h"
#include "user_arch.h"
#include "usercopy.h"
#include "x86.h"
#include "../user/lib/sysnum.h"

const Mb2Info& boot_info();

/// The IRETQ that returns to ring 3 (amd64 trapentry.asm); absent elsewhere.
extern "C" const char user_iretq[] __attribute__((weak));

namespace {

constexpr uintptr_t PAGE = 4096;
constexpr uint8_t USER_PRIO = 0;
/// Where mmap() areas start: above any program, below the stacks.
constexpr uintptr_t MMAP_BASE = USER_BASE + 0x20000000;

SpinLock table_lock("processes");
Process table[PROC_MAX];
int next_pid = 1;
uint32_t user_threads = 0;  // under table_lock
// Refused spawns and threads, which a program can cause in a loop: at most
// REFUSALS_BURST warnings per 10 s (ratelimit.h), under table_lock.
RateLimit refusals;
constexpr uint32_t REFUSALS_BURST = 5;
constexpr uint64_t REFUSALS_WINDOW_NS = 10000000000ull;
/// Whether a refusal is said now: nullptr when it is left out, else the end
/// of its line: "", or " (N more since, not shown)" after N left out. Under table_lock.
const char* refusal_note() {
    static char note[48];
    uint32_t skipped = 0;
    if (!refusals.allow(now_ns(), REFUSALS_BURST, REFUSALS_WINDOW_NS, &skipped)) return nullptr;
    if (!skipped) return "";
    ksnprintf(note, sizeof note, " (%u more since, not shown)", skipped);
    return note;
}
WaitQueue ended;            // woken whenever a process becomes a zombie
WaitQueue joins[PROC_MAX];  // by slot: woken whenever one of its threads exits
// Guards every process's page tables and region lists: two threads of one
// process may map or unmap at once on two CPUs.
SpinLock mm_lock("user-mm");
Process* active_on[COHORT_MAX_CPUS];  // whose tables each CPU has loaded (null: the kernel's)
uint32_t cr3_loads = 0;               // switches that wrote CR3 (process_switch())
uint32_t lazy_keeps = 0;              // switches to a kernel thread that kept a process's tables

uint32_t slot_of(const Process* p) { return (uint32_t)(p - table); }

const Mb2Module* find_module(const char* name) {
    const Mb2Info& mb = boot_info();
    for (size_t i = 0; i < mb.module_count; ++i)
        if (mb.modules[i].cmdline && !strcmp(mb.modules[i].cmdline, name)) return &mb.modules[i];
    return nullptr;
}

Process* find(int pid) {  // under table_lock
    for (Process& p : table)
        if (p.state != ProcState::Free && p.pid == pid) return &p;
    return nullptr;
}

/// Map [@p lo, @p hi) page by page into fresh zeroed frames with @p rights,
/// and copy @p filesz bytes of @p src to @p vaddr. False when out of frames.
bool map_region(Process& p, uintptr_t lo, uintptr_t hi, unsigned rights, uintptr_t vaddr, const uint8_t* src,
                size_t filesz) {
    if (p.nregions >= PROC_REGIONS) return false;
    p.lo[p.nregions] = lo;
    p.hi[p.nregions] = lo;  // grows as pages are mapped, so a failure frees what was
    ++p.nregions;
    for (uintptr_t va = lo; va < hi; va += PAGE) {
        uint64_t f = frame_alloc(1);
        if (!f) return false;
        uint8_t* page = (uint8_t*)(uintptr_t)f;  // identity map: the kernel reaches every frame
        memset(page, 0, PAGE);
        // The part of [vaddr, vaddr + filesz) that falls into this page.
        uintptr_t a = va > vaddr ? va : vaddr, b = va + PAGE < vaddr + filesz ? va + PAGE : vaddr + filesz;
        if (a < b) memcpy(page + (a - va), src + (a - vaddr), b - a);
        if (!uvm_map(p.root, va, f, rights)) {
            frame_free(f);
            return false;
        }
        ++p.frames;
        p.hi[p.nregions - 1] = va + PAGE;
    }
    return true;
}

/// Give back every frame @p p mapped and its page tables. No CPU may have
/// its tables loaded: all its threads are joined, and the scheduler loads
/// the next thread's tables before it switches.
void free_memory(Process& p) {
    for (uint32_t r = 0; r < p.nregions; ++r)
        for (uintptr_t va = p.lo[r]; va < p.hi[r]; va += PAGE) {
            uint64_t f = uvm_unmap(p.root, va);
            if (f != ~0ull) frame_free(f);
        }
    uvm_free(p.root);
    p.root = 0;
    p.nregions = 0;
    p.frames = 0;
}

/// The body of every user thread: its tables and kernel stack are this
/// CPU's already (the scheduler did that on the switch to it).
void user_thread(void* arg) {
    Process::Start* s = (Process::Start*)arg;
    arch_enter_user(s->ip, s->sp, s->a0, s->a1);
}

/// The top of thread @p tid's user stack: the stacks go down from one page
/// below the end of user space (that last page stays unmapped), each
/// USER_STACK_PAGES long with an unmapped guard page below it.
uintptr_t stack_top_of(uint32_t tid) { return USER_END - PAGE - tid * (USER_STACK_PAGES + 1) * PAGE; }

/// Map [@p lo, @p hi) into fresh zeroed read-write frames, as a new region
/// of @p p, for a running process (mmap, thread stacks). Only the region slot
/// and each page's uvm_map() take mm_lock: every process's mmap, munmap and
/// thread start take it with interrupts off, and zeroing 1 MiB under it took
/// 600 ms on a loaded 2-core host with 8 vCPUs, long enough for a spinner's
/// timeout to panic (found by the fuzzer; an 8-page stack, once, at load 40).
/// False: no region slot, or out of frames (what was mapped stays in the
/// region, for the reaping).
bool map_zeroed(Process& p, uintptr_t lo, uintptr_t hi) {
    uint32_t r;
    {
        IrqSpinGuard g(mm_lock);
        if (p.nregions >= PROC_REGIONS) return false;
        r = p.nregions++;
        p.lo[r] = p.hi[r] = lo;  // grows as pages are mapped
    }
    for (uintptr_t va = lo; va < hi; va += PAGE) {
        uint64_t f = frame_alloc(1);
        if (!f) return false;
        memset((void*)(uintptr_t)f, 0, PAGE);  // identity map: the kernel reaches every frame
        IrqSpinGuard g(mm_lock);
        if (!uvm_map(p.root, va, f, UVM_W)) {
            frame_free(f);
            return false;
        }
        ++p.frames;
        p.hi[r] = va + PAGE;
    }
    return true;
}

/// Give @p p a stack for thread @p tid and start it at @p ip with @p a0, @p a1.
/// Its Thread, or null when out of memory. Called with nothing locked.
Thread* start_thread(Process* p, uint32_t tid, uintptr_t ip, uintptr_t a0, uintptr_t a1) {
    uintptr_t top = stack_top_of(tid);
    if (!map_zeroed(*p, top - USER_STACK_PAGES * PAGE, top)) return nullptr;
    p->start[tid] = Process::Start{ip, top, a0, a1, 0};
    // Priority 0, the lowest, as the boot thread's: a ring-3 loop shares
    // its CPU by time with such threads and never holds off a kernel
    // thread (priority 1 and up), which preempts it at once.
    return thread_create(p->name, user_thread, &p->start[tid], USER_PRIO, nullptr, p->root, p);
}

/// What process_wait() waits for: the child a zombie, or the waiter's own
/// process killed (then it gives up and leaves on its way out).
struct ChildWait {
    Process* child;
    const Process* self;  // null: the kernel waits, and nothing kills it
};
bool child_ended(void* arg) {
    ChildWait* w = (ChildWait*)arg;
    return w->child->state == ProcState::Zombie || (w->self && w->self->killed);
}

/// @p p was just marked killed (under table_lock, which the caller holds):
/// end the sleep of each of its threads in sys_sleep now. The thread pointers
/// are safe to use here: a thread is joined, and freed, only after its
/// process is a zombie, which takes this lock.
void cancel_sleeps(Process* p) {
    for (uint32_t i = 0; i < p->nthreads; ++i)
        if (p->threads[i] && !p->tdone[i]) sleep_cancel(p->threads[i]);
}

/// After cancel_sleeps(), with table_lock released: wake its threads blocked
/// in thread_join() and in wait() (their conditions see Process::killed).
/// Each returns toward ring 3 and leaves in user_trap_return().
void wake_killed(Process* p) {
    joins[slot_of(p)].wake_all();
    ended.wake_all();
}

/// On a CPU that may still be lazily on @p arg's tables (a kernel thread
/// runs there on them, process_switch()): load the kernel's instead.
void drop_lazy(void* arg) {
    uintptr_t f = read_flags();
    cli();  // against process_switch() on this CPU
    uint32_t me = cpu_number();
    Process* p = (Process*)arg;
    if (active_on[me] == p) {
        uvm_activate(0);
        __atomic_fetch_add(&cr3_loads, 1u, __ATOMIC_RELAXED);
        active_on[me] = nullptr;
        p->active.clear(me);
    }
    write_flags(f);
}

/// Join @p p's threads, free its memory and its slot; its exit status.
long reap(Process* p) {
    for (uint32_t i = 0; i < p->nthreads; ++i)
        if (p->threads[i]) thread_join(p->threads[i]);
    // Off their CPUs, but a CPU that switched from one of them to a kernel
    // thread still has the tables loaded (lazy TLB): each such CPU loads the
    // kernel's first, by IPI (this one directly), before they are freed. No
    // CPU can take them up again: nothing of p is left to run.
    CpuMask lazy = p->active;
    if (lazy.count() && !ipi_call(lazy, drop_lazy, p, true))
        log_error("proc: pid %d: a cpu lazily on its tables was not reached", p->pid);
    if (uint32_t n = futex_waiters(p)) log_error("proc: pid %d reaped with %u futex waiter(s) left", p->pid, n);
    if (p->active.count()) log_error("proc: pid %d reaped while %u cpu(s) still have its tables", p->pid, p->active.count());
    free_memory(*p);
    IrqSpinGuard g(table_lock);
    long status = p->exit_status;
    user_threads -= p->nthreads;
    *p = Process{};
    return status;
}

bool orphan_zombie(void*) {
    for (Process& p : table)
        if (p.orphan && p.state == ProcState::Zombie) return true;
    return false;
}

/// Reaps the processes whose parent ended before them.
void reaper(void*) {
    for (;;) {
        ended.wait(orphan_zombie, nullptr);
        for (Process& p : table)
            if (p.orphan && p.state == ProcState::Zombie) reap(&p);
    }
}

const char* state_name(ProcState s) {
    switch (s) {
    case ProcState::Loading: return "loading";
    case ProcState::Running: return "running";
    case ProcState::Zombie: return "zombie";
    default: return "free";
    }
}

}  // namespace

void process_init() {
    if (!thread_create("reaper", reaper, nullptr)) log_error("proc: no reaper thread: orphans will not be reaped");
}

/// [process_spawn]
int process_spawn(const char* name, long arg, int parent) {
    const Mb2Module* m = find_module(name);
    if (!m) return -ENOENT;
    ElfImage img;
    if (!elf_check((const uint8_t*)(uintptr_t)m->start, m->end - m->start, user_target(), name, &img))
        return -ENOEXEC;
    Process* p = nullptr;
    {
        IrqSpinGuard g(table_lock);
        if (user_threads >= USER_THREADS_MAX) {
            if (const char* note = refusal_note())
                log_warn("proc: %u user threads, the limit (USER_THREADS_MAX): spawn of %s refused%s", user_threads,
                         name, note);
            return -EAGAIN;
        }
        for (Process& q : table)
            if (q.state == ProcState::Free) { p = &q; break; }
        if (!p) {
            if (const char* note = refusal_note())
                log_warn("proc: %u processes, the limit (PROC_MAX): spawn of %s refused%s", PROC_MAX, name, note);
            return -EAGAIN;
        }
        *p = Process{};
        p->state = ProcState::Loading;
        p->pid = next_pid++;
        ++user_threads;
    }
    p->parent = parent;
    size_t n = strlen(name);
    memcpy(p->name, name, n < sizeof p->name ? n : sizeof p->name - 1);
    p->arg = arg;
    p->entry = (uintptr_t)img.entry;
    p->root = uvm_new();
    bool ok = p->root != 0;
    // Every PT_LOAD segment into fresh frames, with its own rights (elf_check()
    // made sure no two share a page and none is writable and executable).
    for (uint32_t i = 0; ok && i < img.nsegments; ++i) {
        const ElfSegment& s = img.segments[i];
        unsigned rights = (s.write ? UVM_W : 0) | (s.exec ? UVM_X : 0);
        uintptr_t lo = (uintptr_t)s.vaddr & ~(PAGE - 1), hi = ((uintptr_t)(s.vaddr + s.memsz) + PAGE - 1) & ~(PAGE - 1);
        ok = map_region(*p, lo, hi, rights, (uintptr_t)s.vaddr, (const uint8_t*)(uintptr_t)(m->start + s.offset),
                        (size_t)s.filesz);
    }
    // The first thread's stack (start_thread()): the last mapped pages of
    // user space; below it a guard page, the next threads' stacks, and
    // nothing down to the mmap() areas, so an overflow faults.
    p->stack_top = stack_top_of(0);
    p->mmap_next = MMAP_BASE;
    Thread* t = nullptr;
    if (ok) {
        p->live = 1;
        p->nthreads = 1;
        p->state = ProcState::Running;
        t = start_thread(p, 0, p->entry, (uintptr_t)p->arg, 0);
        p->threads[0] = t;
    }
    if (!t) {
        if (p->root) free_memory(*p);
        IrqSpinGuard g(table_lock);
        --user_threads;
        *p = Process{};
        log_warn("proc: out of memory loading %s", name);
        return -ENOMEM;
    }
    return p->pid;
}
/// [process_spawn]

long process_wait(int pid, int parent) {
    Process* p;
    {
        IrqSpinGuard g(table_lock);
        p = find(pid);
        if (!p || p->parent != parent || p->orphan) return -ECHILD;
    }
    ChildWait w{p, process_current()};
    ended.wait(child_ended, &w);
    if (p->state != ProcState::Zombie) return -EINTR;  // the waiter was killed: the child is left to the reaper
    return reap(p);
}

bool process_kill(int pid) {
    Process* p;
    {
        IrqSpinGuard g(table_lock);
        p = find(pid);
        if (!p || p->state != ProcState::Running) return false;
        if (p->killed) return true;
        p->killed = true;
        p->exit_status = EXIT_KILLED;
        cancel_sleeps(p);
    }
    wake_killed(p);  // the slot stays p's: it is reaped only after these threads leave
    // Its threads asleep in futex_wait() would never reach a kernel exit:
    // wake them too (after killed is set: one that queues later sees it first).
    futex_wake_process(p);
    return true;
}

Process* process_current() { return (Process*)current_thread()->process; }

namespace {
/// The calling thread's tid in @p p: which Start it was given. Not a search
/// of p->threads: its creator may not have stored it there yet when a short
/// thread already exits on another CPU.
uint32_t my_tid(const Process* p) { return (uint32_t)((const Process::Start*)current_thread()->arg - p->start); }

/// The calling thread leaves @p p with @p value; with @p whole, the whole
/// process ends with @p value as its status (unless one was set before).
[[noreturn]] void leave(Process* p, long value, bool whole) {
    uint32_t tid = my_tid(p);
    {
        IrqSpinGuard g(table_lock);
        if (whole && !p->killed) {
            p->killed = true;
            p->exit_status = (int)value;
            cancel_sleeps(p);  // the others leave too, blocked or not (wake_all() below)
        }
        p->tdone[tid] = true;
        p->tvalue[tid] = value;
        if (--p->live == 0) {
            if (!p->killed) p->exit_status = (int)value;  // the last thread_exit() ends it

            // Its children outlive it: the reaper takes them.
            for (Process& q : table)
                if (q.state != ProcState::Free && q.parent == p->pid) {
                    q.parent = 0;
                    q.orphan = true;
                }
            p->state = ProcState::Zombie;
        }
    }
    if (whole) futex_wake_process(p);  // the others leave too, even those asleep on a futex
    joins[slot_of(p)].wake_all();
    ended.wake_all();
    thread_exit(value);
}

struct JoinWait {
    Process* p;
    uint32_t tid;
};
bool joinable(void* arg) {
    JoinWait* w = (JoinWait*)arg;
    return w->p->tdone[w->tid] || w->p->killed;
}
}  // namespace

void process_exit(long status) { leave(process_current(), status, true); }

void process_thread_exit(long value) { leave(process_current(), value, false); }

long process_thread(uintptr_t entry, uintptr_t a0, uintptr_t a1) {
    Process* p = process_current();
    if (!user_range_ok(entry, 1)) return -EFAULT;
    uint32_t tid;
    {
        IrqSpinGuard g(table_lock);
        if (p->nthreads >= PROC_THREADS_MAX || user_threads >= USER_THREADS_MAX) {
            if (const char* note = refusal_note())
                log_warn("proc: pid %d: %s: thread refused%s", p->pid,
                         p->nthreads >= PROC_THREADS_MAX ? "PROC_THREADS_MAX threads in this process"
                                                          : "USER_THREADS_MAX user threads in all",
                         note);
            return -EAGAIN;
        }
        tid = p->nthreads++;  // its slot stays taken even if the start fails: tids are never reused
        p->threads[tid] = nullptr;
        ++user_threads;
        ++p->live;
    }
    Thread* t = start_thread(p, tid, entry, a0, a1);
    IrqSpinGuard g(table_lock);
    if (!t) {
        p->tdone[tid] = true;  // never ran: joinable at once, nothing to reap
        p->tvalue[tid] = -ENOMEM;
        --p->live;
        return -ENOMEM;
    }
    p->threads[tid] = t;
    return tid;
}

long process_thread_join(long tid) {
    Process* p = process_current();
    if (tid <= 0 || tid >= (long)p->nthreads || (uint32_t)tid == my_tid(p)) return -ESRCH;
    JoinWait w{p, (uint32_t)tid};
    joins[slot_of(p)].wait(joinable, &w);
    return p->tdone[tid] ? p->tvalue[tid] : -ESRCH;  // killed meanwhile: the caller leaves on its way out
}

long process_onfault(uintptr_t ip) {
    if (ip && !user_range_ok(ip, 1)) return -EFAULT;
    Process* p = process_current();
    p->start[my_tid(p)].onfault = ip;
    return 0;
}

long process_mmap(size_t len) {
    Process* p = process_current();
    if (!len || len > MMAP_MAX) return -EINVAL;
    size_t bytes = (len + PAGE - 1) & ~(PAGE - 1);
    uintptr_t va;
    {
        IrqSpinGuard g(mm_lock);
        // PROC_MMAPS, not the free region slots: those of the thread stacks
        // not started yet must stay free, or thread() fails with -ENOMEM.
        if (p->nmaps >= PROC_MMAPS || p->mmap_next + bytes > stack_top_of(PROC_THREADS_MAX)) return -EAGAIN;
        ++p->nmaps;
        va = p->mmap_next;
        p->mmap_next = va + bytes + PAGE;  // an unmapped page between areas
    }
    if (!map_zeroed(*p, va, va + bytes)) return -ENOMEM;  // outside the lock (map_zeroed())
    return (long)va;
}

long process_load_u32(uintptr_t addr, uint32_t* value) {
    Process* p = process_current();
    if ((addr & 3) || !user_range_ok(addr, 4)) return -EFAULT;
    // Under mm_lock the page cannot be unmapped (let alone its frame freed)
    // between the look at the PTE and the load; the tables are this CPU's
    // (the caller is a thread of p), so the load goes through the user
    // address itself, aligned, hence one atomic 32-bit read (SDM Vol. 3A
    // 8.1.1), which a byte copy would not be.
    IrqSpinGuard g(mm_lock);
    if (uvm_query(p->root, addr, nullptr) == ~0ull) return -EFAULT;
    *value = __atomic_load_n((const volatile uint32_t*)addr, __ATOMIC_SEQ_CST);
    return 0;
}

/// [munmap shootdown]
namespace {
/// After munmap() or mprotect() changed the PTEs of @p pages pages from
/// @p addr in @p p's tables: flush them from this CPU's TLB and from those of
/// the other CPUs that have the tables loaded now (Process::active), and only
/// those. How many other CPUs that was; @p what names the call in a warning.
uint32_t shoot_down(Process* p, uintptr_t addr, uint32_t pages, const char* what) {
    // Any CPU whose CR3 holds these tables may still have the old
    // translations in its TLB. A CPU loading them from here on sets its bit
    // in p->active first (process_switch()), then walks the changed tables:
    // read the mask only after the PTE stores are visible.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t reached;
    {
        // No preemption from the look at the mask to the last local flush:
        // moved to another CPU in between, this thread would leave the
        // first one (still running a thread of p, so still holding the
        // tables) out of the targets and flush the wrong TLB.
        RunlevelGuard stay(Runlevel::Dispatch);
        // LAB 09 BEGIN: the shootdown's targets: the CPUs whose CR3 holds p's tables now, this one left out
        CpuMask targets = p->active;
        targets.clear(cpu_number());
        // LAB 09 STUB: lab_todo(9, "the shootdown's targets in process_munmap()");
        // LAB 09 STUB: CpuMask targets;
        // LAB 09 LATER: lab_later(9, "munmap shoots down every other online cpu, not only those holding the tables");
        // LAB 09 LATER: CpuMask targets = cpu_online_mask;
        // LAB 09 LATER: targets.clear(cpu_number());
        // LAB 09 END
        reached = targets.count();
        if (reached) {
            // To those CPUs only, and this one (tlb_shootdown() flushes the caller too).
            if (!tlb_shootdown(targets, addr, pages))
                log_warn("proc: pid %d: %s shootdown not confirmed by every cpu", p->pid, what);
            __atomic_fetch_add(&p->shootdowns, 1u, __ATOMIC_RELAXED);
            __atomic_fetch_add(&p->shootdown_targets, reached, __ATOMIC_RELAXED);
        } else {
            for (uintptr_t va = addr; va < addr + pages * PAGE; va += PAGE) invlpg(va);  // only this CPU may hold them
        }
    }
    return reached;
}
}  // namespace

long process_munmap(uintptr_t addr, size_t len) {
    Process* p = process_current();
    if ((addr & (PAGE - 1)) || !len || !user_range_ok(addr, len)) return -EINVAL;
    constexpr uint32_t BATCH = 256;
    uint64_t frames[BATCH];
    uint32_t n = 0;
    uintptr_t end = (addr + len + PAGE - 1) & ~(PAGE - 1);
    if ((end - addr) / PAGE > BATCH) return -EINVAL;  // at most MMAP_MAX (1 MiB) at once
    {
        IrqSpinGuard g(mm_lock);
        for (uintptr_t va = addr; va < end; va += PAGE) {
            uint64_t f = uvm_unmap(p->root, va);
            if (f != ~0ull) frames[n++] = f;
        }
    }
    uint32_t reached = shoot_down(p, addr, (uint32_t)((end - addr) / PAGE), "munmap");
    // Only now may the frames go back: until the last flush, another CPU
    // could still write through a stale translation into a reused frame.
    for (uint32_t i = 0; i < n; ++i) frame_free(frames[i]);
    {
        IrqSpinGuard g(mm_lock);
        p->frames -= n;
    }
    return reached;
}
/// [munmap shootdown]

long process_mprotect(uintptr_t addr, size_t len, unsigned long rights) {
    Process* p = process_current();
    if ((addr & (PAGE - 1)) || !len || len > MMAP_MAX || !user_range_ok(addr, len)) return -EINVAL;
    // Read (PROT_READ, 0) or read-write (PROT_WRITE): no execute right to
    // give, so an area can never become writable and executable.
    if (rights & ~(unsigned long)PROT_WRITE) return -EINVAL;
    uintptr_t end = (addr + len + PAGE - 1) & ~(PAGE - 1);
    {
        IrqSpinGuard g(mm_lock);
        // munmap()'s checks, and one more: the whole range inside one mmap()
        // area (not a program segment, not a thread stack), every page of it
        // still mapped, so nothing changes unless everything can.
        bool inside = false;
        for (uint32_t r = 0; r < p->nregions && !inside; ++r)
            inside = p->lo[r] >= MMAP_BASE && p->lo[r] < p->mmap_next && addr >= p->lo[r] && end <= p->hi[r];
        if (!inside) return -EINVAL;
        for (uintptr_t va = addr; va < end; va += PAGE)
            if (uvm_query(p->root, va, nullptr) == ~0ull) return -EINVAL;
        for (uintptr_t va = addr; va < end; va += PAGE) uvm_protect(p->root, va, rights & PROT_WRITE ? UVM_W : 0);
    }
    // Taking the write right away needs the same shootdown as an unmap: a
    // CPU with the writable translation cached would go on writing. Giving
    // it needs one too: a stale read-only entry gives a "spurious" #PF on a
    // write (SDM Vol. 3A 4.10.4.3), and user_trap() would kill the process.
    return shoot_down(p, addr, (uint32_t)((end - addr) / PAGE), "mprotect");
}

/// [process switch]
void process_switch(const Thread* next) {
    Process* to = (Process*)next->process;
    uint32_t me = cpu_number();
    Process* from = active_on[me];
    // Lazy TLB (Linux's enter_lazy_tlb()): a kernel thread runs on whatever
    // tables are loaded, since the kernel half is the same in all of them.
    // This CPU stays in from->active, so munmap()'s shootdowns still reach
    // it (rather than a flush at its next switch to from, as Linux does now:
    // one rule for every CPU in the mask), and reap() moves it off the
    // tables before they are freed. Back to a thread of from: no reload.
    if (!to && from && process_lazy_tlb) {
        __atomic_fetch_add(&lazy_keeps, 1u, __ATOMIC_RELAXED);
        return;
    }
    if (from == to && uvm_current() == next->uvm_root) return;
    __atomic_fetch_add(&cr3_loads, 1u, __ATOMIC_RELAXED);
    // In the mask before the load: a munmap() that reads the mask without
    // this bit cleared its PTEs before this CPU walks the tables.
    if (to) {
        to->active.set(me);
        to->ran.set(me);
    }
    uvm_activate(next->uvm_root);
    // Out of the mask after the load: until CR3 changed, this CPU could
    // still hold the old process's translations (no PCID: the CR3 write
    // flushes them, SDM Vol. 3A 4.10.4.1).
    if (from && from != to) from->active.clear(me);
    active_on[me] = to;
}
/// [process switch]

bool user_trap(TrapFrame* tf) {
    if (usercopy_fixup(tf)) return true;
    uint32_t v = (uint32_t)tf->vector;
    bool on_return = !tf_from_user(tf) && user_iretq && (uintptr_t)tf->ip == (uintptr_t)user_iretq;
    if (!tf_from_user(tf) && !on_return) return false;
    Process* p = process_current();
    if (!p) return false;
    if (v == 14 && !on_return) {
        // A page fault the thread asked to survive (process_onfault()).
        uintptr_t& resume = p->start[my_tid(p)].onfault;
        if (resume) {
            tf->ip = resume;
            resume = 0;
            tf_set_return(tf, read_cr2());
            return true;
        }
    }
    // A fault in delivering an interrupt that came in ring 3: a #DF (no stack
    // to enter the kernel on), or a #TS, #NP, #SS or #GP whose error code has
    // EXT set (SDM Vol. 3A 6.13). That interrupt's handler never ran, so its
    // in-service bit stays set, and would hold back its priority class and
    // every lower one on this CPU for good, the scheduler's clock among them.
    // Ring 3 runs with nothing in service (every handler ends its interrupt
    // before it may switch threads), so every bit set now is that interrupt's.
    bool ext = v == 8 || (v >= 10 && v <= 13 && (tf->error & 1));
    uint32_t ended = ext && lapic_available() ? lapic_end_in_service() : 0;
    // One line: where, who, what (SDM Vol. 3A 6.15: CR2 holds a page fault's address).
    uintptr_t addr = v == 14 ? read_cr2() : (uintptr_t)tf->ip;
    log_warn("user: cpu %u pid %d (%s): %s (vector %u)%s at ip %p, address %p, error code 0x%llx%s; killed",
             cpu_number(), p->pid, p->name, exception_mnemonic(v), v, on_return ? " returning to ring 3" : "",
             (void*)(uintptr_t)tf->ip, (void*)addr, (unsigned long long)tf->error,
             ended ? ", the interrupt it was delivering ended" : "");
    sti();
    process_exit(EXIT_FAULT_BASE + v);
}

void user_trap_return(TrapFrame* tf) {
    if (!tf_from_user(tf)) return;
    Process* p = process_current();
    if (p && p->killed) {
        sti();
        process_exit(p->exit_status);
    }
}

bool process_ran_on(int pid, CpuMask* ran, uint32_t* shootdowns, uint32_t* targets) {
    IrqSpinGuard g(table_lock);
    Process* p = find(pid);
    if (!p) return false;
    *ran = p->ran;
    *shootdowns = p->shootdowns;
    *targets = p->shootdown_targets;
    return true;
}

void process_ps() {
    log_info("  pid parent state    threads cpu program");
    IrqSpinGuard g(table_lock);
    for (Process& p : table) {
        if (p.state == ProcState::Free) continue;
        Thread* t = p.threads[0];
        uint32_t cpu = t ? t->last_cpu : 0xFFFFFFFF;
        char c[12];
        if (cpu == 0xFFFFFFFF) ksnprintf(c, sizeof c, "-");
        else ksnprintf(c, sizeof c, "%u", cpu);
        log_info("  %3d %6d %-8s %7u %3s %s%s", p.pid, p.parent, state_name(p.state), p.live, c, p.name,
                 p.killed ? " (exiting)" : "");
        // Where its threads wait: a process that never ends shows its call.
        for (uint32_t tid = 0; tid < p.nthreads; ++tid) {
            const Thread* th = p.threads[tid];
            int32_t call = th && !p.tdone[tid] ? th->syscall : -1;
            if (call >= 0) log_info("        pid %d tid %u: in %s, last on cpu %d", p.pid, tid, syscall_name(call),
                                    (int)th->last_cpu);
        }
    }
}

uint32_t process_kill_all() {
    int pids[PROC_MAX];
    uint32_t n = 0;
    {
        IrqSpinGuard g(table_lock);
        for (Process& p : table)
            if (p.state == ProcState::Running) pids[n++] = p.pid;
    }
    uint32_t killed = 0;
    for (uint32_t i = 0; i < n; ++i) killed += process_kill(pids[i]);
    return killed;
}

bool process_lazy_tlb = true;

void process_cpu_leaving() {
    // Its user threads are gone elsewhere; it may still be lazily on a
    // process's tables, and reap()'s IPI reaches online CPUs only.
    Process* p = active_on[cpu_number()];
    if (p) drop_lazy(p);
}

void process_switch_counts(uint64_t* loads, uint64_t* lazy) {
    *loads = __atomic_load_n(&cr3_loads, __ATOMIC_RELAXED);
    *lazy = __atomic_load_n(&lazy_keeps, __ATOMIC_RELAXED);
}

bool process_zombie(int pid) {
    IrqSpinGuard g(table_lock);
    Process* p = find(pid);
    return p && p->state == ProcState::Zombie;
}

uint32_t process_count() {
    IrqSpinGuard g(table_lock);
    uint32_t n = 0;
    for (Process& p : table) n += p.state != ProcState::Free;
    return n;
}

uint32_t process_user_threads() {
    IrqSpinGuard g(table_lock);
    return user_threads;
}
