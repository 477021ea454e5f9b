// A CPUID source for host tests: replays a dump recorded from a QEMU CPU
// model (tests/data/cpuid/, tools/record-cpuid) or one built by hand.
// Shared by test_cpuid.cpp and test_topology.cpp.
#pragma once
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include "cpuid.h"
#include "test_data.h"

namespace {

/// A CPUID source that replays a dump and behaves like an Intel CPU outside
/// it: an out-of-range leaf answers with the highest basic leaf's data. Every
/// such query is counted, since the decoder must never make one.
struct Dump {
    std::map<std::pair<uint32_t, uint32_t>, CpuidRegs> regs;
    size_t calls = 0;
    size_t out_of_range = 0;

    void set(uint32_t leaf, uint32_t sub, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
        regs[{leaf, sub}] = CpuidRegs{a, b, c, d};
    }
    CpuidRegs at(uint32_t leaf, uint32_t sub) const {
        auto it = regs.find({leaf, sub});
        if (it != regs.end()) return it->second;
        // Leaves indexed by ECX answer zeros past their last subleaf; the others ignore ECX.
        static const uint32_t indexed[] = {4, 7, 0xb, 0xd, 0xf, 0x10, 0x12, 0x14, 0x17, 0x18,
                                           0x1d, 0x1f, 0x8000001d};
        for (uint32_t l : indexed)
            if (l == leaf) return CpuidRegs{};
        it = regs.find({leaf, 0});
        return it != regs.end() ? it->second : CpuidRegs{};
    }
    CpuidRegs query(uint32_t leaf, uint32_t sub) {
        ++calls;
        uint32_t max = at(0, 0).eax, ext = at(0x80000000, 0).eax;
        // The hypervisor range exists when CPUID.1:ECX[31] says one is there;
        // its first leaf gives its last (a user-mode recording has none: zeros).
        bool hv = max >= 1 && (at(1, 0).ecx >> 31) & 1;
        uint32_t hv_max = hv ? at(0x40000000, 0).eax : 0;
        bool ok = leaf <= max || leaf == 0x80000000 ||
                  (leaf > 0x80000000 && ext >= 0x80000000 && leaf <= ext) ||
                  (hv && leaf == 0x40000000) || (leaf > 0x40000000 && hv_max >= 0x40000000 && leaf <= hv_max);
        if (!ok) {
            ++out_of_range;
            return at(max, sub);
        }
        return at(leaf, sub);
    }
};

inline CpuidRegs replay(uint32_t leaf, uint32_t sub, void* ctx) {
    return static_cast<Dump*>(ctx)->query(leaf, sub);
}

inline Dump load(const std::string& name) {
    Dump d;
    std::ifstream in(std::string(test_data_dir()) + "/cpuid/" + name);
    BOOST_TEST_REQUIRE(in.good(), "cannot open " << name);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream s(line);
        uint32_t v[6];
        for (uint32_t& x : v) s >> std::hex >> x;
        BOOST_TEST_REQUIRE(!s.fail(), "bad line in " << name << ": " << line);
        d.set(v[0], v[1], v[2], v[3], v[4], v[5]);
    }
    return d;
}

// Vendor strings as leaf 0 returns them in EBX, EDX, ECX.
inline void intel(Dump& d, uint32_t max) { d.set(0, 0, max, 0x756e6547, 0x6c65746e, 0x49656e69); }
inline void amd(Dump& d, uint32_t max) { d.set(0, 0, max, 0x68747541, 0x444d4163, 0x69746e65); }

}  // namespace
