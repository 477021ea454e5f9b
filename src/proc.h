/// @file proc.h
/// Kernel threads and the per-CPU scheduler.
///
/// Every CPU has its own run queue (runq.h) and its own idle thread. A thread
/// is either on exactly one run queue, or running on exactly one CPU, or
/// blocked. A thread that switches out becomes visible to other CPUs only after
/// its registers are saved: the CPU it left publishes it (finish_switch()),
/// running on the next thread's stack. Preemption comes from each CPU's LAPIC
/// timer in one-shot mode, armed for the current slice only; an idle CPU
/// sleeps in hlt without ticks until an IPI or a sleeper's deadline wakes it.
#pragma once
#include "cpumask.h"
#include "runq.h"
#include "spinlock.h"
#include "types.h"
#include "uvm.h"

/// Where a thread is in its life.
enum class ThreadState : uint8_t {
    Runnable,  ///< on a run queue, or about to be put on one
    Running,   ///< on a CPU
    Blocked,   ///< waiting on a wait queue or a timer
    Dead,      ///< exited; waiting to be joined
};

struct WaitQueue;

/// A kernel thread.
struct Thread {
    RunqNode node;                   ///< link on a run queue (runq.h)
    uintptr_t sp = 0;                ///< saved stack pointer while not running
    uintptr_t kstack_top = 0;        ///< top of its kernel stack (0: a CPU's boot stack)
    size_t kstack_size = 0;          ///< its size (a guard page sits below)
    char name[24] = {};              ///< for the monitor and the logs
    uint32_t tid = 0;                ///< thread id
    uint8_t prio = 0;                ///< 0 (lowest) .. runq_levels - 1
    bool is_idle = false;            ///< a CPU's idle thread: never queued
    volatile ThreadState state = ThreadState::Runnable;  ///< see ThreadState
    volatile uint32_t on_cpu = 0xFFFFFFFF;  ///< the CPU running it (or switching it out)
    uint32_t last_cpu = 0xFFFFFFFF;  ///< where it ran last
    uint32_t placed_cpu = 0xFFFFFFFF;  ///< the queue thread_create() put it on (for the placement self-test)
    CpuMask affinity;                ///< CPUs it may run on
    SpinLock tlock{"thread"};        ///< orders state changes against wake-ups
    void (*entry)(void*) = nullptr;  ///< what it runs
    void* arg = nullptr;             ///< its argument
    intptr_t exit_value = 0;         ///< thread_exit()'s value
    WaitQueue* joiners = nullptr;    ///< woken when it exits
    volatile bool exited = false;    ///< off its CPU for good: set under joiners' lock
    uint64_t wake_ns = 0;            ///< sleep_ms() deadline
    Thread* sleep_next = nullptr;    ///< on the sleeper list
    Thread* all_next = nullptr;      ///< on the list of all threads
    uint64_t switches_in = 0;        ///< times it was switched to
    uint64_t migrations = 0;         ///< times it ran on another CPU than the time before
    PtRoot uvm_root = 0;             ///< the page tables it runs on (0: the kernel's); loaded on each switch
    void* process = nullptr;         ///< a user thread's Process (process.h); null for a kernel thread
    volatile int32_t syscall = -1;   ///< the system call it is in (user/lib/sysnum.h); -1: none (the monitor's `ps`)
};

/// Per-CPU scheduler statistics (the monitor's `cpus`).
struct SchedStats {
    uint64_t switches;    ///< context switches on this CPU
    uint64_t migrations;  ///< threads that came here from another CPU
    uint64_t steals;      ///< threads this CPU took from another's queue
    uint64_t idle_ns;     ///< time spent halted in the idle thread
    uint64_t preemptions; ///< slices ended by the timer
};

/// Where a CPU is on its way offline (hotplug.h), in its scheduler state.
enum LeaveState : uint32_t {
    LeaveNo = 0,     ///< online and taking threads
    LeaveAsked = 1,  ///< its queue is closed; its thread is being sent away
    LeaveDying = 2,  ///< its idle thread took the request: it goes offline, no way back
};

/// Set up scheduling on the BSP: the calling context becomes the "main"
/// thread, CPU 0 gets its idle thread, preemption starts.
void sched_init();
/// On an AP, after it is online: its boot context becomes its idle thread. Never returns.
[[noreturn]] void sched_run_ap();

/// Create a thread that runs @p entry(@p arg) and make it runnable on the
/// least-loaded CPU that @p affinity allows (null: any online CPU). A user
/// thread (process.h) gives its process's page tables @p root and the
/// Process in @p process; the scheduler loads @p root whenever it runs.
Thread* thread_create(const char* name, void (*entry)(void*), void* arg, uint8_t prio = 1,
                      const CpuMask* affinity = nullptr, PtRoot root = 0, void* process = nullptr);
/// End the calling thread with @p value. Never returns.
[[noreturn]] void thread_exit(intptr_t value);
/// Wait for @p t to exit, free it and return its exit value.
intptr_t thread_join(Thread* t);
/// Give the CPU to another runnable thread, if there is one.
void thread_yield();
/// The calling CPU's running thread.
Thread* current_thread();

/// Make @p t runnable (it was Blocked); the waker's half of sleep/wakeup.
void thread_wake(Thread* t);
/// Block the calling thread: it must have set its state to Blocked under the
/// lock that its waker takes (see WaitQueue). Runs the scheduler.
void sched_block();
/// Run the scheduler now (the caller is at runlevel Dispatch, interrupts off).
void schedule();

/// A deadline for the next sched_block(): put the calling thread on the
/// sleepers' list until now_ns() reaches @p wake_ns. The caller set its
/// state to Blocked first (under its waker's lock, as for sched_block()), so
/// a deadline that passes at once still finds it Blocked and wakes it.
/// Needs the LAPIC timer (which sleep_ms() does without): it runs the list.
void sleep_arm(uint64_t wake_ns);
/// After that sched_block() returned: take the calling thread off the
/// sleepers' list if something else woke it before its deadline.
void sleep_disarm();

/// Lend the calling CPU's LAPIC timer to a self-test (@p on) or take it back:
/// while lent, the scheduler neither arms nor stops it (no preemption there).
void sched_lend_timer(bool on);

/// Sleep for at least @p ms milliseconds.
void sleep_ms(uint32_t ms);
/// Sleep as sleep_ms(), but not at all when @p *stop is already set, and
/// only until sleep_cancel() when it is set later (a killed process's sleep).
void sleep_ms_unless(uint32_t ms, const volatile bool* stop);
/// End @p t's sleep now if it is in one (set the caller's stop flag first).
void sleep_cancel(Thread* t);

/// Hotplug, step 1 (hotplug.cpp): close CPU @p cpu's run queue (enqueue()
/// sends new threads elsewhere), move every thread queued there to a CPU that
/// stays, and ask the CPU to switch its running thread out. The CPU's idle
/// thread then calls hotplug_cpu_leaving(). Returns the threads moved.
uint32_t sched_cpu_leave(uint32_t cpu);
/// Undo sched_cpu_leave() if the CPU has not yet taken the request (an offline
/// that timed out). True when undone; false when the CPU is already dying.
bool sched_cpu_stay(uint32_t cpu);
/// Open CPU @p cpu's run queue again before it is started anew (hotplug.cpp).
/// Before, not at its check-in: an offline that follows at once must find
/// the queue open, or the CPU would reopen it after that offline closed it.
void sched_cpu_open(uint32_t cpu);
/// The state of CPU @p cpu's departure (LeaveState).
uint32_t sched_cpu_leave_state(uint32_t cpu);

/// Scheduler statistics of CPU @p cpu.
const SchedStats& sched_stats(uint32_t cpu);
/// Time CPU @p cpu has spent halted in its idle thread, the current halt included.
uint64_t sched_idle_ns(uint32_t cpu);
/// Threads queued on CPU @p cpu now.
uint32_t sched_queue_length(uint32_t cpu);
/// Make CPU @p cpu wake CPU @p waker (wait_wake()) just before its next halt
/// in its idle loop; sched_idle_reached() is false until then.
void sched_wake_at_idle(uint32_t cpu, uint32_t waker);
/// True once CPU @p cpu has done what sched_wake_at_idle() asked (or was never asked).
bool sched_idle_reached(uint32_t cpu);
/// Where CPU @p cpu's scheduler state (its run queue) lives, or null when the
/// CPU is not usable: on that CPU's NUMA node (numa.h).
const void* sched_cpu_state(uint32_t cpu);
/// Call @p fn for every thread that has not been joined.
void thread_foreach(void (*fn)(const Thread&, void*), void* ctx);
/// True once sched_init() ran.
bool sched_ready();
/// True when this CPU's LAPIC timer is the scheduler's (not lent to a test), so
/// a short one-shot may be armed and on_timer() will arm the scheduler's again.
bool sched_timer_free();
/// Panic when a thread is found running on two CPUs (the scheduler checks
/// every switch); the count of such findings (always 0 unless broken).
uint64_t sched_exclusive_violations();
