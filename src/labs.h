/// @file labs.h
/// The holes of the labs (labs/README.md).
///
/// Code that a lab asks students to write stays in the tree as the reference,
/// between two comment lines, with the stub that replaces it in a student tree:
///
///     // LAB NN BEGIN: what the student writes here
///     ...reference code...
///     // LAB NN STUB: lab_todo(NN, "the hole, naming its function");
///     // LAB NN LATER: lab_later(NN, "what happens instead"); return;
///     // LAB NN END
///
/// (NN is the lab's two-digit number.)
///
/// The kernel always builds and tests the reference. tools/lab-export writes a
/// student tree in which each region of the chosen lab is replaced by its STUB
/// lines, uncommented; those call lab_todo(), so a test that reaches a hole
/// says so at once instead of hanging until the grader's timeout. The regions
/// of later labs get their LATER lines: a stand-in that holds no solution,
/// degrades gracefully and says so once through lab_later().
#pragma once
#include "types.h"

#if COHORT_HOST
#include "log.h"
/// Host build (unit tests, fuzzers): log `WARN: LABNN-TODO: <what>` and
/// return, so the unit tests of the missing code fail on their own assertions.
/// @param lab  the lab number
/// @param what what is missing, naming the function
inline void lab_todo(unsigned lab, const char* what) { log_warn("LAB%02u-TODO: %s", lab, what); }
/// Host build: say that a later lab's stand-in ran (every time; tests are short).
inline void lab_later(unsigned lab, const char* what) { log_info("lab %02u stand-in: %s", lab, what); }
#else
/// Kernel: print `WARN: LABNN-TODO: <what>` and end the run with the fail
/// status (QEMU exit 35), from whichever CPU reached the hole; the grader
/// reports the test as not implemented. Lab 1's holes are in the logger, so
/// its line goes straight to the UART. Without an exit device (Bochs) the
/// CPU halts for good.
/// @param lab  the lab number
/// @param what what is missing, naming the function
[[noreturn]] void lab_todo(unsigned lab, const char* what);
/// A later lab's stand-in ran: say once per @p what (a string literal) that
/// lab @p lab is not in this tree and what happens instead, as
/// `lab 05 stand-in: <what>`, then go on. Safe on any CPU once the logger runs.
/// @param lab  the lab whose hole this stands in for
/// @param what what the stand-in does instead
void lab_later(unsigned lab, const char* what);
#endif

