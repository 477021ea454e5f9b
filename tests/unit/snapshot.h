// Test memory for the table parsers: recorded snapshots of QEMU's low memory
// and ACPI tables (tests/data/tables/*.snap, written by tools/record-tables),
// and hand-built tables with correct (or deliberately wrong) checksums.
// Header-only so every test file can use it without a build change.
#pragma once
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>
#include "physmem.h"

/// Physical memory made of separate chunks; anything else is unreadable.
struct Snapshot {
    struct Chunk {
        uint64_t addr;
        std::vector<uint8_t> bytes;
    };
    std::vector<Chunk> chunks;
    uint64_t rsdp = 0;  // from the "rsdp" header line, 0 when none

    static const uint8_t* resolve(const void* ctx, uint64_t phys, size_t len) {
        for (const Chunk& c : static_cast<const Snapshot*>(ctx)->chunks) {
            if (phys >= c.addr && phys - c.addr <= c.bytes.size() && len <= c.bytes.size() - (phys - c.addr))
                return c.bytes.data() + (phys - c.addr);
        }
        return nullptr;
    }
    /// The resolver; valid while this Snapshot lives and is not modified.
    PhysMem mem() const { return PhysMem{resolve, this}; }

    /// Add (or overwrite part of) memory at @p addr.
    Snapshot& put(uint64_t addr, const std::vector<uint8_t>& b) {
        chunks.push_back(Chunk{addr, b});
        return *this;
    }
    Snapshot& put16(uint64_t addr, uint16_t v) { return put(addr, {uint8_t(v), uint8_t(v >> 8)}); }

    /// Read a .snap file; throws std::runtime_error on a malformed one.
    static Snapshot load(const std::string& path) {
        std::ifstream in(path);
        if (!in) throw std::runtime_error("cannot open " + path);
        Snapshot s;
        std::string line;
        std::getline(in, line);
        if (line != "cohort-snapshot 1") throw std::runtime_error(path + ": not a snapshot");
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            std::string word;
            ls >> word;
            if (word == "rsdp") {
                ls >> std::hex >> s.rsdp;
            } else if (word == "chunk") {
                Chunk c{};
                size_t n = 0;
                ls >> std::hex >> c.addr >> std::dec >> n;
                while (c.bytes.size() < n && std::getline(in, line)) {
                    for (size_t i = 0; i + 1 < line.size(); i += 2)
                        c.bytes.push_back(uint8_t(std::stoul(line.substr(i, 2), nullptr, 16)));
                }
                if (c.bytes.size() != n) throw std::runtime_error(path + ": short chunk");
                s.chunks.push_back(std::move(c));
            }
        }
        return s;
    }
};

/// The lines of a .expect file that start with @p key, without the key.
inline std::vector<std::string> expect_lines(const std::string& path, const std::string& key) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line))
        if (line.compare(0, key.size() + 1, key + " ") == 0) out.push_back(line.substr(key.size() + 1));
    return out;
}

/// Little-endian byte builder for hand-made tables.
struct Bytes {
    std::vector<uint8_t> b;
    Bytes& u8(unsigned v) { b.push_back(uint8_t(v)); return *this; }
    Bytes& u16(unsigned v) { return u8(v).u8(v >> 8); }
    Bytes& u32(uint32_t v) { return u16(v & 0xFFFF).u16(v >> 16); }
    Bytes& u64(uint64_t v) { return u32(uint32_t(v)).u32(uint32_t(v >> 32)); }
    Bytes& str(const char* s, size_t n) { for (size_t i = 0; i < n; ++i) u8(uint8_t(s[i])); return *this; }
    Bytes& add(const std::vector<uint8_t>& v) { b.insert(b.end(), v.begin(), v.end()); return *this; }
    Bytes& zeros(size_t n) { b.resize(b.size() + n); return *this; }
};

/// Make the bytes [from, to) of @p v sum to zero by adjusting byte @p at.
inline void fix_checksum(std::vector<uint8_t>& v, size_t at, size_t from = 0, size_t to = SIZE_MAX) {
    if (to > v.size()) to = v.size();
    v[at] = 0;
    uint8_t sum = 0;
    for (size_t i = from; i < to; ++i) sum = uint8_t(sum + v[i]);
    v[at] = uint8_t(-sum);
}

/// An ACPI system description table: 36-byte header + @p body, length and checksum set.
inline std::vector<uint8_t> acpi_table(const char* sig, const std::vector<uint8_t>& body, uint8_t rev = 1) {
    Bytes h;
    h.str(sig, 4).u32(uint32_t(36 + body.size())).u8(rev).u8(0).str("COHORT", 6).str("TESTTBL ", 8)
        .u32(1).str("CHRT", 4).u32(1).add(body);
    fix_checksum(h.b, 9);
    return h.b;
}

/// An RSDP of revision @p rev (0: 20 bytes, 2: 36 bytes) with valid checksums.
inline std::vector<uint8_t> make_rsdp(uint8_t rev, uint32_t rsdt, uint64_t xsdt = 0) {
    Bytes r;
    r.str("RSD PTR ", 8).u8(0).str("COHORT", 6).u8(rev).u32(rsdt);
    if (rev >= 2) r.u32(36).u64(xsdt).u8(0).zeros(3);
    fix_checksum(r.b, 8, 0, 20);
    if (rev >= 2) fix_checksum(r.b, 32);
    return r.b;
}
