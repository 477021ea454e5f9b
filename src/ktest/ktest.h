/// @file ktest.h
/// In-kernel self-tests, chosen on the command line with `test=name,name` or
/// `test=all`. Each test prints `ktest: <name> ... PASS|FAIL <detail>`; the run
/// ends with `ktest: token <token>` and `ktest: <p> passed, <f> failed`, and the
/// machine exits with the pass or fail status (panic.h).
#pragma once
#include "types.h"

/// A registered self-test.
struct KTest {
    const char* name;  ///< what `test=` names it by
    bool (*fn)();      ///< the test: true = pass; may call ktest_detail()
    int order;         ///< position in `test=all` (lower first); < 0: not in `all`
    const char* help;  ///< one line for the monitor's list
};

/// Register a test: `KTEST(spinlock, 20, "every CPU increments a shared counter") { ... }`.
/// Tests with a negative order end the boot (exception, panic) and run only
/// when named explicitly.
#define KTEST(tname, torder, thelp)                                                   \
    static bool ktest_fn_##tname();                                                   \
    __attribute__((used, section("ktests"))) static const KTest ktest_rec_##tname = { \
        #tname, ktest_fn_##tname, torder, thelp};                                     \
    static bool ktest_fn_##tname()

/// Add a printf-style detail to the current test's result line.
void ktest_detail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/// One check of a test that makes many: logs `<prefix>: <what>: ok|WRONG
/// (got G, want W)` either way, counts it in @p failed when @p ok is false,
/// and returns @p ok.
bool ktest_check(const char* prefix, bool ok, const char* what, long got, long want, uint32_t& failed);

/// Run every test that @p names (`all` included) and return the number that failed.
/// Unknown names are reported and count as failures.
uint32_t ktest_run(const char (*names)[32], uint32_t count, const char* token);

/// Find a test by name, or null.
const KTest* ktest_find(const char* name);

/// Call @p fn for every registered test.
void ktest_foreach(void (*fn)(const KTest&));
