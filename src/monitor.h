/// @file monitor.h
/// The kernel monitor: a command prompt on the serial console (and the
/// keyboard), where a student can look at every CPU of the running machine.
#pragma once

/// Run the monitor in the calling thread (the main thread, after boot). Returns never.
[[noreturn]] void monitor_run();
