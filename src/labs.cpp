/// @file labs.cpp
/// The kernel's lab_todo(): the one call every lab stub makes (labs.h).
#include "labs.h"
#include "cpu.h"
#include "format.h"
#include "log.h"
#include "logsink.h"
#include "panic.h"
#include "x86.h"

namespace {
volatile uint32_t reported = 0;
}  // namespace

void lab_todo(unsigned lab, const char* what) {
    cli();
    // One report: a second CPU reaching a hole while the first ends the run stops here.
    if (__atomic_fetch_add(&reported, 1, __ATOMIC_ACQ_REL) != 0) halt_forever();
    if (lab == 1) {
        // The logger is the hole: a log call would come straight back here.
        char line[192];
        ksnprintf(line, sizeof line, "cpu%u: WARN: LAB%02u-TODO: %s\ncohort: exit fail (0x%x)\n",
                  cpu_number(), lab, what, (unsigned)ExitStatus::Fail);
        logsink_emergency(line);
        outb(0xf4, (uint8_t)ExitStatus::Fail);
        halt_forever();
    }
    log_warn("LAB%02u-TODO: %s", lab, what);
    machine_exit(ExitStatus::Fail);
}

namespace {
// The `what` strings already said, by address: claimed with a compare-and-swap,
// so two CPUs reaching one stand-in print one line.
const char* said[64];
}  // namespace

void lab_later(unsigned lab, const char* what) {
    size_t h = ((uintptr_t)what >> 2) % 64;
    for (size_t i = 0; i < 64; ++i) {
        const char** slot = &said[(h + i) % 64];
        const char* cur = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if (cur == what) return;
        if (!cur && __atomic_compare_exchange_n(slot, &cur, what, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            break;
        if (cur == what) return;
    }
    log_info("lab %02u stand-in: %s", lab, what);
}
