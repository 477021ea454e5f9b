/// @file legacy.h
/// One named big lock for the drivers that were not written for SMP: the VGA
/// text console, the PS/2 keyboard and the PIT.
///
/// As the GNU Mach SMP plan does for its legacy drivers, these slow devices
/// are serialised as a whole instead of each getting its own locking: they
/// are touched rarely, each access is short next to the device's own speed,
/// and a single lock cannot be taken in the wrong order against itself. What
/// it costs: two CPUs that want different legacy devices wait for each other,
/// and nothing that holds the lock may wait for another CPU. A finer design
/// (a lock per device, or per register window) would let them run in parallel,
/// at the price of an order between the locks that every caller must keep.
#pragma once
#include "spinlock.h"

/// The lock every legacy driver takes, always with interrupts off (IrqSpinGuard).
extern SpinLock legacy_lock;
