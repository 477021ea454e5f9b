/// @file ratelimit.h
/// A warning that a program can cause at will (a spawn or a thread refused
/// at a limit) is printed at most `burst` times per window of time: a
/// program that retries in a loop must not fill the log, and every line
/// costs the emulated serial port time. The lines left out are counted, and
/// the next line printed says how many. Portable: the host tests use it too
/// (tests/unit/test_ratelimit.cpp). The caller serializes (a lock it holds).
#pragma once
#include "types.h"

/// At most a burst of lines per window of time; the rest counted.
struct RateLimit {
    uint64_t window_end = 0;  ///< ns: when the current window closes (0: none opened yet)
    uint32_t printed = 0;     ///< lines printed in the current window
    uint32_t dropped = 0;     ///< lines left out since the last one printed

    /// Whether to print a line now (time @p now_ns): at most @p burst per
    /// window of @p window_ns. When it says yes, @p *skipped gets how many
    /// lines were left out since the last one printed (and the count restarts).
    bool allow(uint64_t now_ns, uint32_t burst, uint64_t window_ns, uint32_t* skipped) {
        if (window_end == 0 || now_ns >= window_end) {
            window_end = now_ns + window_ns;
            printed = 0;
        }
        if (printed < burst) {
            ++printed;
            *skipped = dropped;
            dropped = 0;
            return true;
        }
        ++dropped;
        return false;
    }
};
