// A fixed-size region of guest memory for the fuzz targets: the input at its
// start (and, for the ACPI scan, at one more place), zeros elsewhere. The
// BIOS-area scans (RSDP, MP floating pointer) map a whole area at once, as in
// the kernel, instead of probing 16 bytes at a time through a window the size
// of the input.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

struct Region {
    std::vector<uint8_t> bytes;
    struct Span {
        size_t at = 0, n = 0;
    } dirty[2];  // what the last input wrote: only that needs zeroing
    explicit Region(size_t n) : bytes(n, 0) {}
    /// The input at the start, zeros after it.
    const uint8_t* hold(const uint8_t* data, size_t size) { return hold2(data, size, 0); }
    /// The input at the start and again at @p also (0: only at the start).
    const uint8_t* hold2(const uint8_t* data, size_t size, size_t also) {
        for (Span& d : dirty) std::memset(bytes.data() + d.at, 0, d.n), d = Span{};
        size_t places[2] = {0, also};
        for (size_t i = 0; i < (also ? 2u : 1u) && places[i] < bytes.size(); ++i) {
            size_t room = bytes.size() - places[i];
            dirty[i] = Span{places[i], size < room ? size : room};
            std::memcpy(bytes.data() + places[i], data, dirty[i].n);
        }
        return bytes.data();
    }
};
