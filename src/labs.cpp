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
