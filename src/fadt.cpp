/// @file fadt.cpp
/// The FADT's PM timer fields (fadt.h).
#include "fadt.h"
#include "kstring.h"
#include "log.h"
#include "physmem.h"

namespace {
constexpr size_t kPmTmrBlk = 76, kPmTmrLen = 91, kFlags = 112, kXPmTmrBlk = 208, kGasLen = 12;
constexpr uint32_t kTmrValExt = 1u << 8;  // Table 5.10, FADT flags bit 8
constexpr uint8_t kSpaceIo = 1;           // Generic Address Structure, Table 5.1
}  // namespace

bool fadt_parse(const uint8_t* t, size_t len, FadtInfo* out) {
    memset(out, 0, sizeof *out);
    if (t == nullptr || len < 36 || memcmp(t, "FACP", 4) != 0) {
        log_warn("acpi: FADT: not a FACP table");
        return false;
    }
    uint32_t declared = load_le32(t + 4);
    if (declared < len) len = declared;  // never read past the table's own length
    out->found = true;
    out->revision = t[8];
    if (len >= 48) out->sci_irq = load_le16(t + 46);
    if (len < kFlags + 4) {
        log_warn("acpi: FADT: %u bytes, too short for the PM timer fields (%u)", (unsigned)len,
                 (unsigned)(kFlags + 4));
        return true;
    }
    uint32_t port = load_le32(t + kPmTmrBlk);
    out->pm_timer_32 = (load_le32(t + kFlags) & kTmrValExt) != 0;
    if (len >= kXPmTmrBlk + kGasLen) {
        const uint8_t* gas = t + kXPmTmrBlk;
        uint64_t addr = load_le64(gas + 4);
        if (addr != 0 && gas[0] == kSpaceIo && addr <= 0xFFFF) {
            port = (uint32_t)addr;
            out->pm_from_x = true;
        } else if (addr != 0) {
            log_warn("acpi: FADT: X_PM_TMR_BLK 0x%llx in address space %u is not an I/O port; no PM timer",
                     (unsigned long long)addr, gas[0]);
            return true;
        }
    }
    if (port == 0) return true;  // no PM timer: hardware-reduced ACPI has none
    if (!out->pm_from_x && t[kPmTmrLen] != 4) {
        log_warn("acpi: FADT: PM_TMR_LEN is %u, not 4; PM timer not used", t[kPmTmrLen]);
        return true;
    }
    if (port > 0xFFFF - 3) {
        log_warn("acpi: FADT: PM timer port 0x%x is not an I/O port; not used", port);
        return true;
    }
    out->pm_timer = port;
    return true;
}
