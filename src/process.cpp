/// @file process.cpp
/// Processes: loading, running, exiting and reaping (process.h).
#include "process.h"
#include "cpu.h"
#include "format.h"
#include "kstring.h"
#include "log.h"
#include "mem.h"
#include "multiboot2.h"
#include "proc.h"
#include "sync.h"
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

SpinLock table_lock("processes");
Process table[PROC_MAX];
int next_pid = 1;
uint32_t user_threads = 0;  // under table_lock
WaitQueue ended;            // woken whenever a process becomes a zombie

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
    Process* p = (Process*)arg;
    arch_enter_user(p->entry, p->stack_top, (uintptr_t)p->arg, 0);
}

bool is_zombie(void* arg) {
    Process* p = (Process*)arg;
    return p->state == ProcState::Zombie;
}

/// Join @p p's threads, free its memory and its slot; its exit status.
long reap(Process* p) {
    for (uint32_t i = 0; i < p->nthreads; ++i) thread_join(p->threads[i]);
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
            log_warn("proc: %u user threads, the limit (USER_THREADS_MAX): spawn of %s refused", user_threads, name);
            return -EAGAIN;
        }
        for (Process& q : table)
            if (q.state == ProcState::Free) { p = &q; break; }
        if (!p) {
            log_warn("proc: %u processes, the limit (PROC_MAX): spawn of %s refused", PROC_MAX, name);
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
    // The stack: USER_STACK_PAGES just below the last page of user space,
    // which stays unmapped; below the stack nothing is mapped down to the
    // program's segments, so an overflow faults (the guard gap).
    uintptr_t stack_hi = USER_END - PAGE;
    if (ok) ok = map_region(*p, stack_hi - USER_STACK_PAGES * PAGE, stack_hi, UVM_W, 0, nullptr, 0);
    p->stack_top = stack_hi;
    Thread* t = nullptr;
    if (ok) {
        p->live = 1;
        p->nthreads = 1;
        p->state = ProcState::Running;
        // Priority 0, the lowest, as the boot thread's: a ring-3 loop shares
        // its CPU by time with such threads and never holds off a kernel
        // thread (priority 1 and up), which preempts it at once.
        t = thread_create(p->name, user_thread, p, USER_PRIO, nullptr, p->root, p);
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
    ended.wait(is_zombie, p);
    return reap(p);
}

bool process_kill(int pid) {
    IrqSpinGuard g(table_lock);
    Process* p = find(pid);
    if (!p || p->state != ProcState::Running) return false;
    if (!p->killed) {
        p->killed = true;
        p->exit_status = EXIT_KILLED;
    }
    return true;
}

Process* process_current() { return (Process*)current_thread()->process; }

void process_exit(long status) {
    Process* p = process_current();
    {
        IrqSpinGuard g(table_lock);
        if (!p->killed) {
            p->killed = true;
            p->exit_status = (int)status;
        }
        if (--p->live == 0) {
            // Its children outlive it: the reaper takes them.
            for (Process& q : table)
                if (q.state != ProcState::Free && q.parent == p->pid) {
                    q.parent = 0;
                    q.orphan = true;
                }
            p->state = ProcState::Zombie;
        }
    }
    ended.wake_all();
    thread_exit(status);
}

bool user_trap(TrapFrame* tf) {
    if (usercopy_fixup(tf)) return true;
    uint32_t v = (uint32_t)tf->vector;
    bool on_return = !tf_from_user(tf) && user_iretq && (uintptr_t)tf->ip == (uintptr_t)user_iretq;
    if (!tf_from_user(tf) && !on_return) return false;
    Process* p = process_current();
    if (!p) return false;
    // One line: where, who, what (SDM Vol. 3A 6.15: CR2 holds a page fault's address).
    uintptr_t addr = v == 14 ? read_cr2() : (uintptr_t)tf->ip;
    log_warn("user: cpu %u pid %d (%s): %s (vector %u)%s at ip %p, address %p, error code 0x%llx; killed", cpu_number(),
             p->pid, p->name, exception_mnemonic(v), v, on_return ? " returning to ring 3" : "", (void*)(uintptr_t)tf->ip,
             (void*)addr, (unsigned long long)tf->error);
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
    }
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
