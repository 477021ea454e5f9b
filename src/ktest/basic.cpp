/// @file basic.cpp
/// The simplest self-tests: the boot itself, and a deliberate exception that
/// proves the exception report and the panic exit status work.
#include "ktest.h"
#include "cpu.h"
#include "log.h"

/// Reaching the test runner means the boot sequence completed on the BSP.
KTEST(boot, 0, "the boot sequence reached the test runner") {
    ktest_detail("cpu %u", cpu_number());
    return true;
}

/// Executes ud2: the kernel must print an exception report and exit with the
/// panic status. Not part of `test=all`: it ends the boot.
KTEST(exception, -1, "raise #UD on purpose: the report and panic exit must follow") {
    log_info("ktest: exception: executing ud2 on purpose");
    asm volatile("ud2");
    return false;
}
