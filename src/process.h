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
#include "elf.h"
#include "types.h"
#include "uvm.h"

struct Thread;

/// Address ranges a process maps: its PT_LOAD segments and its stack.
constexpr uint32_t PROC_REGIONS = ELF_MAX_SEGMENTS + 1;

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
    Thread* threads[PROC_THREADS_MAX] = {};     ///< its threads (joined when it is reaped)
    uint32_t nthreads = 0;                      ///< entries in @ref threads
    uint32_t live = 0;                          ///< of those, not yet exited
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
/// Print the process table (the monitor's `ps`).
void process_ps();
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
