/// @file hotplug.h
/// Taking a CPU offline and bringing it back at run time.
///
/// Offline, in order (cpu_offline()):
///  1. refuse what cannot work: the boot CPU, a CPU that is not online, a CPU
///     that some thread may run on alone;
///  2. close its run queue and move its queued threads away; its running
///     thread goes at the reschedule IPI (proc.cpp, sched_cpu_leave());
///  3. on the CPU itself, in its idle thread: stop its LAPIC timer, leave
///     cpu_online_mask so that no new call-function or shootdown counts it,
///     run the requests already posted to it (ipi_cpu_leave()), and halt with
///     interrupts off (hotplug_cpu_die());
///  4. the caller sends it INIT: it waits for a SIPI, off its stacks.
///
/// Online is the boot's INIT-SIPI-SIPI for one CPU (smp_start_cpu()), through
/// the same trampoline and per-CPU block, with the same timeout and report.
/// One offline or online runs at a time (a sleeping mutex).
#pragma once
#include "types.h"

/// How an offline or online ended.
enum class Hotplug : uint8_t {
    Done,           ///< the CPU is now offline / online
    NoSuchCpu,      ///< not a usable CPU of this machine
    BootCpu,        ///< cpu 0 stays online (see cpu_offline())
    NotOnline,      ///< offline of a CPU that is not online
    AlreadyOnline,  ///< online of a CPU that is online
    Pinned,         ///< a thread may run on no other CPU
    TimedOut,       ///< the CPU did not stop in time (offline)
    NotStarted,     ///< the CPU could not be started, or did not come online in time (online)
    NotClosed,      ///< sched_cpu_leave() left the run queue open (lab 08 not done)
};

/// Name of a result, for logs and self-tests.
const char* hotplug_name(Hotplug r);

/// Take CPU @p cpu offline (see the file comment). Logs one line saying what
/// happened or why not. May sleep: call from a thread.
Hotplug cpu_offline(uint32_t cpu);
/// Bring CPU @p cpu online (again): INIT-SIPI-SIPI and the usual wait. Logs
/// one line. May sleep: call from a thread.
Hotplug cpu_online(uint32_t cpu);

/// Offlines and onlines done since boot (the monitor's `cpus`).
struct HotplugCounts {
    uint32_t offlines;  ///< CPUs taken offline
    uint32_t onlines;   ///< CPUs brought back
};
/// Counts since boot.
HotplugCounts hotplug_counts();

/// Step 3, on the leaving CPU, interrupts off, its timer stopped (called by
/// the scheduler's idle loop): post the farewell request to its own mailbox
/// (its answer shows the caller that the mailbox was served on the way out),
/// then hotplug_cpu_die(). Never returns.
[[noreturn]] void hotplug_cpu_leaving();
/// The last steps: leave the mask, answer the mailbox, say "parked", halt.
[[noreturn]] void hotplug_cpu_die();
