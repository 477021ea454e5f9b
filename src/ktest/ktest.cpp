/// @file ktest.cpp
/// The self-test runner. Tests live in a linker section ("ktests"), so adding
/// one is a KTEST() block in any file, with no list to keep in sync.
#include "ktest.h"
#include "format.h"
#include "kstring.h"
#include "log.h"
#include "timer.h"

extern "C" const KTest __start_ktests[], __stop_ktests[];

namespace {
char detail[200];
size_t detail_len = 0;

bool run_one(const KTest& t) {
    detail[0] = '\0';
    detail_len = 0;
    log_info("ktest: %s ... start", t.name);
    uint64_t t0 = now_ns();
    asm volatile("sti" ::: "memory");  // tests run in the main thread, preemptible
    bool ok = t.fn();
    uint64_t us = (now_ns() - t0) / 1000;
    log_info("ktest: %s ... %s %s(%llu us)", t.name, ok ? "PASS" : "FAIL", detail,
             (unsigned long long)us);
    return ok;
}
}  // namespace

bool ktest_check(const char* prefix, bool ok, const char* what, long got, long want, uint32_t& failed) {
    log_info("%s: %s: %s (got %ld, want %ld)", prefix, what, ok ? "ok" : "WRONG", got, want);
    if (!ok) ++failed;
    return ok;
}

void ktest_detail(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    detail_len += kvsnprintf(detail + detail_len, sizeof detail - detail_len, fmt, ap);
    va_end(ap);
    if (detail_len >= sizeof detail - 2) detail_len = sizeof detail - 2;
    detail[detail_len++] = ' ';
    detail[detail_len] = '\0';
}

const KTest* ktest_find(const char* name) {
    for (const KTest* t = __start_ktests; t != __stop_ktests; ++t)
        if (strcmp(t->name, name) == 0) return t;
    return nullptr;
}

void ktest_foreach(void (*fn)(const KTest&)) {
    for (const KTest* t = __start_ktests; t != __stop_ktests; ++t) fn(*t);
}

uint32_t ktest_run(const char (*names)[32], uint32_t count, const char* token) {
    uint32_t passed = 0, failed = 0;
    for (uint32_t i = 0; i < count; ++i) {
        if (strcmp(names[i], "all") == 0) {
            // Every test with order >= 0, lowest order first (ties by link order).
            int last = -1;
            for (;;) {
                int next = 0x7FFFFFFF;
                for (const KTest* t = __start_ktests; t != __stop_ktests; ++t)
                    if (t->order > last && t->order < next) next = t->order;
                if (next == 0x7FFFFFFF) break;
                for (const KTest* t = __start_ktests; t != __stop_ktests; ++t)
                    if (t->order == next) (run_one(*t) ? passed : failed)++;
                last = next;
            }
            continue;
        }
        const KTest* t = ktest_find(names[i]);
        if (!t) {
            log_info("ktest: %s ... FAIL no such test", names[i]);
            ++failed;
            continue;
        }
        (run_one(*t) ? passed : failed)++;
    }
    log_info("ktest: token %s", token[0] ? token : "(none)");
    log_info("ktest: %u passed, %u failed", passed, failed);
    return failed;
}
