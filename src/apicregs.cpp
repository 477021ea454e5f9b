/// @file apicregs.cpp
/// Names for the LAPIC error-status bits, so the error handler logs words
/// rather than a hex number (see apicregs.h).
#include "apicregs.h"
#include "format.h"

size_t esr_describe(uint32_t esr, char* buf, size_t cap) {
    // Bit i of the ESR is names[i] (SDM Vol. 3A 10.5.3).
    static const char* const names[] = {
        "send-checksum", "receive-checksum", "send-accept", "receive-accept",
        "redirectable-ipi", "send-illegal-vector", "receive-illegal-vector",
        "illegal-register-address",
    };
    if (cap > 0) buf[0] = '\0';
    if (esr == 0) return ksnprintf(buf, cap, "none");
    size_t len = 0;
    for (uint32_t i = 0; i < array_size(names); ++i) {
        if (!(esr & (1u << i))) continue;
        size_t at = len < cap ? len : cap;
        len += ksnprintf(buf + at, cap - at, "%s%s", len ? " " : "", names[i]);
    }
    uint32_t reserved = esr & ~0xFFu;
    if (reserved) {
        size_t at = len < cap ? len : cap;
        len += ksnprintf(buf + at, cap - at, "%sreserved=0x%x", len ? " " : "", reserved);
    }
    return len;
}
