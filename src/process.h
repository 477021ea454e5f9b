/// @file process.h
/// Processes: a user program GRUB loaded, given its own address space and
/// run by kernel threads that enter ring 3 (docs/usermode.md).
///
/// Each user thread is an ordinary kernel thread (proc.h) with its own
/// kernel stack; it carries its process's page-table root, which the
/// scheduler loads on every switch to it, and the scheduler points the
/// CPU's TSS at its kernel stack. Its body enters ring 3 once and comes back
/// only through interrupts, exceptions and system calls.
#pragma once
#include "arch.h"
#include "config.h"
#include "cpumask.h"
#include "elf.h"
#include "types.h"
#include "uvm.h"

struct Thread;

/// Address ranges a process maps: its PT_LOAD segments, a stack per thread, its mmap() areas.
constexpr uint32_t PROC_REGIONS = ELF_MAX_SEGMENTS + PROC_THREADS_MAX + PROC_MMAPS;

/// Where a process is in its life.
enum class ProcState : uint8_t {
    Free,     ///< an empty slot
    Loading,  ///< being built by process_spawn()
    Running,  ///< at least one of its threads has not exited
    Zombie,   ///< all its threads exited; its parent has not waited yet
};

/// One user program in its own address space.
struct Process {
    int pid = 0;                                ///< process id (1, 2, ...; never reused in a boot)
    int parent = 0;                             ///< the parent's pid; 0: the kernel
    char name[24] = {};                         ///< the module it was loaded from
    ProcState state = ProcState::Free;          ///< see ProcState
    bool killed = false;                        ///< exiting: its threads leave at their next kernel exit
    bool orphan = false;                        ///< its parent is gone: the reaper waits for it
    int exit_status = 0;                        ///< exit()'s value, 128 + vector for a fault, EXIT_KILLED
    PtRoot root = 0;                            ///< its page tables (uvm.h)
    uintptr_t entry = 0;                        ///< e_entry
    uintptr_t stack_top = 0;                    ///< the initial user stack pointer
    long arg = 0;                               ///< spawn()'s argument, main()'s first parameter
    Thread* threads[PROC_THREADS_MAX] = {};     ///< its threads, by tid (joined when it is reaped)
    uint32_t nthreads = 0;                      ///< entries in @ref threads
    uint32_t live = 0;                          ///< of those, not yet exited
    /// Where a thread enters ring 3: what its kernel thread hands arch_enter_user().
    struct Start {
        uintptr_t ip;              ///< entry point
        uintptr_t sp;              ///< top of its user stack
        uintptr_t a0;              ///< first argument
        uintptr_t a1;              ///< second argument
        uintptr_t onfault;         ///< where its next page fault in ring 3 resumes (0: it kills)
    } start[PROC_THREADS_MAX] = {};             ///< by tid
    bool tdone[PROC_THREADS_MAX] = {};          ///< thread tid has exited
    long tvalue[PROC_THREADS_MAX] = {};         ///< its thread_exit() value
    CpuMask active;                             ///< CPUs whose CR3 holds @ref root now: the shootdown targets
    CpuMask ran;                                ///< CPUs that ever ran one of its threads
    uintptr_t mmap_next = 0;                    ///< where the next mmap() area goes
    uint32_t nmaps = 0;                         ///< mmap() areas made (at most ::PROC_MMAPS)
    uint32_t shootdowns = 0;                    ///< munmap() shootdowns sent to other CPUs
    uint32_t shootdown_targets = 0;             ///< CPUs they went to, summed
    uintptr_t lo[PROC_REGIONS] = {};            ///< start of each range it mapped (freed page by page)
    uintptr_t hi[PROC_REGIONS] = {};            ///< end of each range it mapped
    uint32_t nregions = 0;                      ///< ranges in lo and hi
    uint32_t frames = 0;                        ///< leaf frames mapped (page tables not counted)
};

/// Start the reaper of orphans; once, after sched_init().
void process_init();
/// Load the boot module @p name as a new process whose parent is @p parent
/// (0: the kernel) and start its first thread with @p arg. Its pid, or
/// -ENOENT (no such module), -ENOEXEC (elf_check() refused it), -EAGAIN (a
/// limit of config.h; a warning says which), -ENOMEM.
int process_spawn(const char* name, long arg, int parent);
/// Wait for process @p pid, a child of @p parent, to end; reap it (join its
/// threads, free its frames and page tables) and return its exit status, or
/// -ECHILD when it is not a child of @p parent.
long process_wait(int pid, int parent);
/// Ask process @p pid to end with EXIT_KILLED (user/lib/sysnum.h): its threads leave at their
/// next entry to the kernel (a timer interrupt at the latest). False: no such process.
bool process_kill(int pid);
/// The calling thread's process, or null for a kernel thread.
Process* process_current();
/// End the calling user thread's process with @p status (the first status
/// given wins). Never returns.
[[noreturn]] void process_exit(long status);
/// Print the process table (the monitor's `ps`), and for each thread in a
/// system call, which one.
void process_ps();
/// process_kill() every running process (a self-test's watchdog); how many.
uint32_t process_kill_all();
/// Start a new thread in the calling thread's process, entering ring 3 at
/// @p entry with @p a0, @p a1 as its two arguments, on a stack of its own.
/// Its tid, or -EAGAIN at ::PROC_THREADS_MAX or ::USER_THREADS_MAX (a
/// warning says which), -ENOMEM.
long process_thread(uintptr_t entry, uintptr_t a0, uintptr_t a1);
/// End the calling thread with @p value; the last thread ends its process
/// (exit status @p value unless it was set already). Never returns.
[[noreturn]] void process_thread_exit(long value);
/// Wait for thread @p tid of the caller's process; its value. -ESRCH: no
/// such thread, or the caller itself.
long process_thread_join(long tid);
/// The calling thread's next page fault in ring 3 resumes at @p ip with the
/// faulting address as the system call's result register, instead of
/// killing the process (one fault, then it is cleared): how a test reads a
/// page that should be gone without dying. @p ip 0 clears it. 0, or -EFAULT.
long process_onfault(uintptr_t ip);
/// Map @p len bytes (rounded up to pages) of zeroed read-write memory in the
/// caller's process; the address, or -EINVAL, -EAGAIN (::PROC_MMAPS), -ENOMEM.
long process_mmap(size_t len);
/// Unmap the whole pages of [@p addr, @p addr + @p len) in the caller's
/// process; then shoot down the TLB entries on the CPUs that have its tables
/// loaded now (Process::active), and only those, before the frames are
/// freed. How many other CPUs it reached, or -EINVAL.
long process_munmap(uintptr_t addr, size_t len);
/// Make the whole pages of [@p addr, @p addr + @p len), all mapped and inside
/// one mmap() area of the caller's process, read-only (@p rights
/// PROT_READ) or read-write (PROT_WRITE); then the same shootdown as
/// process_munmap(). How many other CPUs it reached, or -EINVAL.
long process_mprotect(uintptr_t addr, size_t len, unsigned long rights);
/// Read the aligned 32-bit word at user address @p addr of the caller's
/// process in one atomic load, with no fault possible (futex_wait()): 0, or
/// -EFAULT when it is misaligned, outside user space or not mapped.
long process_load_u32(uintptr_t addr, uint32_t* value);
/// The scheduler, just before it switches to @p next on this CPU: load its
/// page tables, and keep Process::active (and Process::ran) in step.
void process_switch(const Thread* next);
/// For the self-tests: the CPUs process @p pid ever ran on, its munmap()
/// shootdowns and the CPUs they reached. False: no such process.
bool process_ran_on(int pid, CpuMask* ran, uint32_t* shootdowns, uint32_t* targets);
/// Lazy TLB (on by default): a switch to a kernel thread keeps the previous
/// process's tables loaded (process_switch()). The self-test turns it off to
/// compare.
extern bool process_lazy_tlb;
/// Hotplug, on a CPU going offline: load the kernel's tables if it is still
/// lazily on a process's, which reap() could not reach there any more.
void process_cpu_leaving();
/// For the self-tests and bench: switches that wrote CR3 since boot, and
/// switches to a kernel thread that kept a process's tables instead.
void process_switch_counts(uint64_t* loads, uint64_t* lazy);
/// For the self-tests: process @p pid has ended (all its threads left) and
/// waits to be reaped.
bool process_zombie(int pid);
/// Processes not yet reaped, and user threads not yet joined.
uint32_t process_count();
/// The user threads alive now (created and not yet reaped).
uint32_t process_user_threads();

/// For trap.cpp, before the vector's handler: an exception that belongs to
/// user mode (a fault in ring 3, a fault in copy_user_raw(), a fault of the
/// return to ring 3) is dealt with here: true. A ring-3 fault kills only its
/// process, with one report line.
bool user_trap(TrapFrame* tf);
/// For trap.cpp, after any handler, on the way back: a thread going back to
/// ring 3 whose process is exiting leaves instead.
void user_trap_return(TrapFrame* tf);
