/// @file fadt.cpp
/// The FADT's PM timer and SCI fields (fadt.h).
#include "fadt.h"
#include "kstring.h"
#include "log.h"
#include "physmem.h"

namespace {
// Offsets in the FADT (ACPI 6.5 Table 5.9).
constexpr size_t kSmiCmd = 48, kAcpiEnable = 52, kPm1aEvtBlk = 56, kPm1aCntBlk = 64, kPmTmrBlk = 76;
constexpr size_t kPm1EvtLen = 88, kPm1CntLen = 89, kPmTmrLen = 91, kFlags = 112;
constexpr size_t kXPm1aEvtBlk = 148, kXPm1aCntBlk = 172, kXPmTmrBlk = 208, kGasLen = 12;
constexpr uint32_t kTmrValExt = 1u << 8;     // Table 5.10, FADT flags bit 8
constexpr uint32_t kHwReduced = 1u << 20;    // Table 5.10, HW_REDUCED_ACPI
constexpr uint8_t kSpaceIo = 1;              // Generic Address Structure, Table 5.1

/// A register block's I/O port: the 32-bit legacy field at @p legacy, unless
/// the table reaches the Generic Address at @p x and it is nonzero (ACPI 6.5
/// Table 5.9: "If this field contains a nonzero value ... the legacy field
/// is ignored"). @p bytes: how many ports the block spans. One warning and
/// false when the block is missing or not in I/O space; *from_x says which
/// field gave the port. @p without ends the warning ("no SCI").
bool io_block(const uint8_t* t, size_t len, size_t legacy, size_t x, uint32_t bytes, const char* name,
              const char* without, uint32_t* port, bool* from_x) {
    *port = load_le32(t + legacy);
    *from_x = false;
    if (len >= x + kGasLen) {
        const uint8_t* gas = t + x;
        uint64_t addr = load_le64(gas + 4);
        if (addr != 0 && (gas[0] != kSpaceIo || addr > 0xFFFF)) {
            log_warn("acpi: FADT: X_%s 0x%llx in address space %u is not an I/O port; %s", name,
                     (unsigned long long)addr, gas[0], without);
            return false;
        }
        if (addr != 0) *port = (uint32_t)addr, *from_x = true;
    }
    if (*port == 0) {
        log_warn("acpi: FADT: no %s; %s", name, without);
        return false;
    }
    if (*port > 0x10000u - bytes) {
        log_warn("acpi: FADT: %s 0x%x (%u ports) is not an I/O port range; %s", name, *port, bytes, without);
        return false;
    }
    return true;
}

void parse_pm_timer(const uint8_t* t, size_t len, FadtInfo* out) {
    out->pm_timer_32 = (load_le32(t + kFlags) & kTmrValExt) != 0;
    // A zero port (hardware-reduced ACPI has none) is no PM timer, and no warning.
    if (load_le32(t + kPmTmrBlk) == 0 && (len < kXPmTmrBlk + kGasLen || load_le64(t + kXPmTmrBlk + 4) == 0)) return;
    uint32_t port = 0;
    if (!io_block(t, len, kPmTmrBlk, kXPmTmrBlk, 4, "PM_TMR_BLK", "no PM timer", &port, &out->pm_from_x)) return;
    if (!out->pm_from_x && t[kPmTmrLen] != 4) {
        log_warn("acpi: FADT: PM_TMR_LEN is %u, not 4; PM timer not used", t[kPmTmrLen]);
        return;
    }
    out->pm_timer = port;
}

/// What an SCI from a PM1 fixed event needs (ACPI 6.5 4.8, PM1 registers; Table 5.9).
void parse_sci(const uint8_t* t, size_t len, FadtInfo* out) {
    // Hardware-reduced ACPI has no PM1 blocks and signals events otherwise
    // (ACPI 6.5 4.1): nothing to warn about, and no SCI here.
    out->hw_reduced = (load_le32(t + kFlags) & kHwReduced) != 0;
    if (out->hw_reduced) return;
    uint32_t smi = load_le32(t + kSmiCmd);
    if (smi > 0xFFFF) {
        log_warn("acpi: FADT: SMI_CMD 0x%x is not an I/O port; no SCI", smi);
        return;
    }
    // The status half, then the enable half, each PM1_EVT_LEN / 2 bytes and
    // read with 16-bit accesses: at least 4 bytes in all (Table 5.9).
    uint8_t evt_len = t[kPm1EvtLen], cnt_len = t[kPm1CntLen];
    if (evt_len < 4 || (evt_len & 1)) {
        log_warn("acpi: FADT: PM1_EVT_LEN is %u, not an even number >= 4; no SCI", evt_len);
        return;
    }
    if (cnt_len < 2) {
        log_warn("acpi: FADT: PM1_CNT_LEN is %u, below 2; no SCI", cnt_len);
        return;
    }
    uint32_t evt = 0, cnt = 0;
    bool x = false;
    if (!io_block(t, len, kPm1aEvtBlk, kXPm1aEvtBlk, evt_len, "PM1a_EVT_BLK", "no SCI", &evt, &x)) return;
    if (!io_block(t, len, kPm1aCntBlk, kXPm1aCntBlk, cnt_len, "PM1a_CNT_BLK", "no SCI", &cnt, &x)) return;
    out->smi_cmd = (uint16_t)smi;
    out->acpi_enable = t[kAcpiEnable];
    out->pm1a_evt = (uint16_t)evt;
    out->pm1_evt_len = evt_len;
    out->pm1a_cnt = (uint16_t)cnt;
    out->sci = true;
}
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
        log_warn("acpi: FADT: %u bytes, too short for the PM timer and SCI fields (%u)", (unsigned)len,
                 (unsigned)(kFlags + 4));
        return true;
    }
    parse_pm_timer(t, len, out);
    parse_sci(t, len, out);
    return true;
}
