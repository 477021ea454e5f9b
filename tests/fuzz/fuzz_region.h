// A fixed-size region of guest memory for the fuzz targets: the input at its
// start, zeros after it. The BIOS-area scans (RSDP, MP floating pointer) map
// a whole area at once, as in the kernel, instead of probing 16 bytes at a
// time through a window the size of the input.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

struct Region {
    std::vector<uint8_t> bytes;
    size_t dirty = 0;  // bytes the last input wrote: only those need zeroing
    explicit Region(size_t n) : bytes(n, 0) {}
    const uint8_t* hold(const uint8_t* data, size_t size) {
        std::memset(bytes.data(), 0, dirty);
        dirty = size < bytes.size() ? size : bytes.size();
        std::memcpy(bytes.data(), data, dirty);
        return bytes.data();
    }
};
