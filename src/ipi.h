/// @file ipi.h
/// Inter-processor interrupts: reschedule, call-function, TLB shootdown and
/// halt-all (SDM Vol. 3A 10.6). Vectors come from runlevel.h (vec::).
///
/// Call-function requests travel in per-CPU mailboxes (callq.h); the IPI only
/// says "look in your mailbox". A CPU that waits for answers keeps draining
/// its own mailbox, so two CPUs calling each other at once both progress.
#pragma once
#include "callq.h"
#include "cpumask.h"
#include "types.h"

/// Install the IPI handlers (once, on the BSP, before the APs start).
void ipi_init();
/// Report the NMIs this CPU took since the last report that nobody asked
/// for (the NMI handler only counts them: it may have interrupted the
/// logger). Called from the timer interrupt and the idle loop.
void nmi_report_pending();
/// Send a fixed IPI with @p vector to CPU @p cpu (kernel id). False when the
/// send failed (logged).
bool ipi_send(uint32_t cpu, uint8_t vector);
/// Wake CPU @p cpu to run its scheduler (the reschedule IPI, runlevel Dispatch).
void ipi_reschedule(uint32_t cpu);

/// Run @p fn(@p arg) on every online CPU in @p targets (the caller too, when it
/// is in the set, directly). With @p wait, return once all have run it:
/// after `ipi_timeout_ms=` an error line names the CPUs that did not answer
/// yet and the wait goes on (their requests point into this call's stack
/// frame); after twice that, a CPU still silent is a panic. False only when
/// a request could not be posted (its CPU's mailbox stayed full). Without
/// @p wait the call is asynchronous and @p arg must outlive it.
bool ipi_call(const CpuMask& targets, CallFn fn, void* arg, bool wait);
/// Run @p fn(@p arg) on CPU @p cpu (see ipi_call()).
bool ipi_call_one(uint32_t cpu, CallFn fn, void* arg, bool wait);
/// Run @p fn(@p arg) on every other online CPU (see ipi_call()).
bool ipi_call_others(CallFn fn, void* arg, bool wait);

/// Invalidate [@p va, @p va + @p pages * 4 KiB) in the TLB of every online CPU
/// in @p targets (the caller's too), and return when all have acknowledged.
/// @p pages == 0 flushes the whole TLB. False on timeout (logged).
bool tlb_shootdown(const CpuMask& targets, uintptr_t va, size_t pages);

/// Stop every other online CPU (the panic path): the halt-all IPI first, then
/// an NMI to each CPU that has not stopped within 100 ms (interrupts off or
/// runlevel High hold the IPI back). Prints how each CPU was stopped.
void ipi_halt_others();

/// On a CPU going offline, interrupts off: leave cpu_online_mask so that no
/// new call-function or shootdown counts it, and run every request already
/// posted to it (their senders are waiting). Returns the requests run here.
uint32_t ipi_cpu_leave();

/// Post @p fn(@p arg) to the calling CPU's own mailbox, without an IPI: it
/// runs at the CPU's next drain (hotplug.cpp's farewell request).
bool ipi_post_self(CallFn fn, void* arg);

/// Requests posted to CPU @p cpu's mailbox and not yet taken (a snapshot, for
/// self-tests that must see a request arrive without taking it).
uint32_t ipi_pending(uint32_t cpu);

/// A mask holding every online CPU.
CpuMask online_cpus();
/// A mask holding every online CPU but the caller.
CpuMask other_cpus();
