/// @file cmdline.cpp
/// Command line parsing, driven by one table row per option (see cmdline.h).
#include "cmdline.h"
#include "format.h"
#include "kstring.h"

namespace {

/// What a row's field holds and how its value is spelled.
enum class Kind : uint8_t {
    Flag,    ///< bool set by the bare word; a value is an error
    OnOff,   ///< bool from on|off; the bare word means on
    Number,  ///< uint32_t in [min, max], or the row's word meaning UINT32_MAX
    Choice,  ///< uint8_t enum: one of the row's words "a|b|c", or its index
    Tests,   ///< the test= list
    Token,   ///< the token= string
};

struct Row {
    const char* name;
    Kind kind;
    uint16_t offset;    // of the field in BootOptions
    uint32_t min, max;  // Number: the accepted range
    const char* words;  // Number: the word for UINT32_MAX; Choice: "a|b|c"
    bool inverted;      // OnOff: the field stores "off" (acpi_off)
    const char* help;
};

#define FIELD(f) static_cast<uint16_t>(offsetof(BootOptions, f))
constexpr uint32_t kMax = UINT32_MAX;

const Row kRows[] = {
    {"maxcpus", Kind::Number, FIELD(maxcpus), 0, kMax, "all", false,
     "CPUs to run (0 or 1: the boot CPU only)"},
    {"acpi", Kind::OnOff, FIELD(acpi_off), 0, 0, nullptr, true,
     "off: find CPUs in the MP tables instead of the ACPI MADT"},
    {"nox2apic", Kind::Flag, FIELD(nox2apic), 0, 0, nullptr, false,
     "keep every CPU in xAPIC mode"},
    {"loglevel", Kind::Choice, FIELD(loglevel), 0, 0, "error|warn|info|debug", false,
     "drop log lines above this level (0..3)"},
    {"test", Kind::Tests, FIELD(tests), 0, 0, nullptr, false,
     "self-tests to run, comma-separated, or all"},
    {"token", Kind::Token, FIELD(token), 0, 0, nullptr, false,
     "a word echoed in the log so a harness can match its boot"},
    {"smpboot", Kind::Choice, FIELD(smpboot), 0, 0, "sequential|parallel", false,
     "start the APs one after the other, or all at once"},
    {"init_delay_us", Kind::Number, FIELD(init_delay_us), 0, 1000000, nullptr, false,
     "wait after INIT, in microseconds"},
    {"sipi_delay_us", Kind::Number, FIELD(sipi_delay_us), 0, 1000000, nullptr, false,
     "wait after each SIPI, in microseconds"},
    {"pilot_above", Kind::Number, FIELD(pilot_above), 0, kMax - 1, "none", false,
     "in a parallel bring-up of more than this many APs, start one first, the rest once it is online"},
    {"ap_timeout_ms", Kind::Number, FIELD(ap_timeout_ms), 1, 600000, nullptr, false,
     "how long to wait for an AP to check in, in milliseconds"},
    {"ipi_timeout_ms", Kind::Number, FIELD(ipi_timeout_ms), 1, 600000, nullptr, false,
     "how long to wait for CPUs to answer an IPI request, in milliseconds"},
    {"spin_timeout_ms", Kind::Number, FIELD(spin_timeout_ms), 1, 600000, nullptr, false,
     "report a spinlock held longer than this, in milliseconds"},
    {"spinlock", Kind::Choice, FIELD(spinlock), 0, 0, "auto|ticket|tas", false,
     "spinlock kind: ticket, test-and-set with backoff, or auto (tas under a hypervisor)"},
    {"e9", Kind::OnOff, FIELD(e9), 0, 0, nullptr, false,
     "mirror the log to port 0xE9"},
    {"vga", Kind::OnOff, FIELD(vga), 0, 0, nullptr, false,
     "mirror the log to the VGA text screen"},
    {"timeslice_ms", Kind::Number, FIELD(timeslice_ms), 1, 10000, nullptr, false,
     "scheduler time slice, in milliseconds"},
    {"ap_noanswer", Kind::Number, FIELD(ap_noanswer), 1, kMax - 1, "none", false,
     "kernel id of an AP that skips its check-in (self-test)"},
    {"ap_stop_stage", Kind::Number, FIELD(ap_stop_stage), 0, 3, nullptr, false,
     "where the ap_noanswer CPU stops: 0 no SIPI taken, 1 trampoline, 2 kernel entry, 3 before check-in"},
    {"sipi_drop", Kind::Number, FIELD(sipi_drop), 1, kMax - 1, "none", false,
     "kernel id of an AP whose first SIPI is not sent (self-test)"},
    {"ap_late", Kind::Number, FIELD(ap_late), 1, kMax - 1, "none", false,
     "kernel id of an AP that checks in only after the BSP gave up on it (self-test)"},
    {"checkin_gap", Kind::Number, FIELD(checkin_gap), 1, kMax - 1, "none", false,
     "kernel id of an AP that stalls 200 ms right after raising its online flag (self-test)"},
    {"ap_fault", Kind::Number, FIELD(ap_fault), 1, kMax - 1, "none", false,
     "kernel id of an AP that raises #UD after its set-up: the report must name it (self-test)"},
    {"apic_id_mismatch", Kind::Number, FIELD(apic_id_mismatch), 1, kMax - 1, "none", false,
     "kernel id of an AP whose table id disagrees with its LAPIC: its check must warn (self-test)"},
    {"bsp_id_rewrite", Kind::Number, FIELD(bsp_id_rewrite), 0, 254, "none", false,
     "write this id into the boot CPU's xAPIC ID register first, as firmware may (self-test)"},
    {"late_bound_us", Kind::Number, FIELD(late_bound_us), 1, 10000000, "none", false,
     "fail the timing self-tests when a timer wake-up is later than this (for -icount)"},
    {"help", Kind::Flag, FIELD(help), 0, 0, nullptr, false,
     "list these options in the boot log"},
};
#undef FIELD

constexpr BootOptions kDefaults{};
constexpr int kShow = 80;  // longest piece of a bad word quoted in a warning

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}
bool is_test_char(char c) { return is_token_char(c) || c == '.'; }
int shown(size_t n) { return n > size_t(kShow) ? kShow : int(n); }

/// A piece of the command line: not NUL-terminated.
struct Span {
    const char* p;
    size_t n;
    bool is(const char* s) const { return strlen(s) == n && strncmp(p, s, n) == 0; }
};

template <typename T>
T& field(BootOptions& o, const Row& r) { return *reinterpret_cast<T*>(reinterpret_cast<char*>(&o) + r.offset); }
template <typename T>
const T& field(const BootOptions& o, const Row& r) {
    return *reinterpret_cast<const T*>(reinterpret_cast<const char*>(&o) + r.offset);
}

/// The @p i-th word of a "a|b|c" list, or an empty span.
Span choice_word(const char* words, unsigned i) {
    const char* p = words;
    for (; i > 0 && *p; ++p)
        if (*p == '|') --i;
    size_t n = 0;
    while (p[n] && p[n] != '|') ++n;
    return {p, n};
}
unsigned choice_count(const char* words) {
    unsigned n = 1;
    for (const char* p = words; *p; ++p) n += *p == '|';
    return n;
}

/// Appends formatted text to a bounded buffer, keeping it NUL-terminated.
struct Appender {
    char* buf;
    size_t cap;
    size_t len = 0;
    COHORT_PRINTF(2, 3) void add(const char* fmt, ...) {
        if (len + 1 >= cap) return;
        va_list ap;
        va_start(ap, fmt);
        size_t n = kvsnprintf(buf + len, cap - len, fmt, ap);
        va_end(ap);
        len = n < cap - len ? len + n : cap - 1;
    }
};

/// Renders a row's field of @p o the way a user would type its value.
void render(const Row& r, const BootOptions& o, char* buf, size_t cap) {
    switch (r.kind) {
    case Kind::Flag:
        ksnprintf(buf, cap, "%s", field<bool>(o, r) ? "on" : "off");
        break;
    case Kind::OnOff:
        ksnprintf(buf, cap, "%s", field<bool>(o, r) != r.inverted ? "on" : "off");
        break;
    case Kind::Number: {
        uint32_t v = field<uint32_t>(o, r);
        if (r.words && v == kMax) ksnprintf(buf, cap, "%s", r.words);
        else ksnprintf(buf, cap, "%u", v);
        break;
    }
    case Kind::Choice: {
        Span w = choice_word(r.words, field<uint8_t>(o, r));
        ksnprintf(buf, cap, "%.*s", int(w.n), w.p);
        break;
    }
    case Kind::Tests: {
        Appender a{buf, cap};
        if (o.test_count == 0) a.add("none");
        for (uint32_t i = 0; i < o.test_count && i < BootOptions::kMaxTests; ++i)
            a.add("%s%s", i ? "," : "", o.tests[i]);
        break;
    }
    case Kind::Token:
        ksnprintf(buf, cap, "%s", o.token[0] ? o.token : "none");
        break;
    }
}

/// Puts a row's field of @p o back to its default.
void reset(const Row& r, BootOptions& o) {
    switch (r.kind) {
    case Kind::Flag:
    case Kind::OnOff: field<bool>(o, r) = field<bool>(kDefaults, r); break;
    case Kind::Number: field<uint32_t>(o, r) = field<uint32_t>(kDefaults, r); break;
    case Kind::Choice: field<uint8_t>(o, r) = field<uint8_t>(kDefaults, r); break;
    case Kind::Tests: o.test_count = kDefaults.test_count; break;
    case Kind::Token: memcpy(o.token, kDefaults.token, sizeof o.token); break;
    }
}

/// The one warning of a rejected word; the option goes back to its default,
/// also when an earlier word had set it, so the warning tells the truth.
void reject(const Row& r, Span word, const char* why, BootOptions& o) {
    reset(r, o);
    char def[64];
    render(r, kDefaults, def, sizeof def);
    log_warn("cmdline: %.*s%s %s; using the default (%s)", shown(word.n), word.p,
             word.n > size_t(kShow) ? "..." : "", why, def);
}

/// Decimal digits only; false on anything else, empty, or above UINT32_MAX.
bool parse_u32(Span v, uint32_t& out, bool& too_large) {
    too_large = false;
    if (v.n == 0) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < v.n; ++i) {
        if (v.p[i] < '0' || v.p[i] > '9') return false;
        if (!too_large) x = x * 10 + uint64_t(v.p[i] - '0');
        if (x > kMax) too_large = true;
    }
    out = uint32_t(x);
    return !too_large;
}

/// Checks test=a,b,c; on success (and with @p o) stores it.
bool parse_tests(Span v, BootOptions* o, char* why, size_t cap) {
    uint32_t count = 0;
    size_t i = 0;
    while (true) {
        size_t start = i;
        while (i < v.n && v.p[i] != ',') {
            if (!is_test_char(v.p[i])) {
                ksnprintf(why, cap, "has the character '%c' in a test name", v.p[i]);
                return false;
            }
            ++i;
        }
        size_t len = i - start;
        if (len == 0) { ksnprintf(why, cap, "has an empty test name"); return false; }
        if (len > BootOptions::kTestNameMax) {
            ksnprintf(why, cap, "has a test name longer than %zu characters", BootOptions::kTestNameMax);
            return false;
        }
        if (count == BootOptions::kMaxTests) {
            ksnprintf(why, cap, "names more than %zu tests", BootOptions::kMaxTests);
            return false;
        }
        if (o) {
            memcpy(o->tests[count], v.p + start, len);
            o->tests[count][len] = '\0';
        }
        ++count;
        if (i == v.n) break;
        ++i;  // the comma
    }
    if (o) o->test_count = count;
    return true;
}

/// Applies one `key=value` (has_value) or bare `key` word whose row is @p r.
void apply(const Row& r, Span word, bool has_value, Span v, BootOptions& o) {
    char why[96];
    if (!has_value && r.kind != Kind::Flag && r.kind != Kind::OnOff)
        return reject(r, word, "needs a value", o);
    if (has_value && v.n == 0) return reject(r, word, "has no value", o);
    switch (r.kind) {
    case Kind::Flag:
        if (has_value) return reject(r, word, "takes no value", o);
        field<bool>(o, r) = true;
        return;
    case Kind::OnOff: {
        bool on = !has_value || v.is("on");
        if (!on && !v.is("off")) return reject(r, word, "is neither on nor off", o);
        field<bool>(o, r) = on != r.inverted;
        return;
    }
    case Kind::Number: {
        uint32_t x = 0;
        bool too_large = false;
        if (r.words && v.is(r.words)) { field<uint32_t>(o, r) = kMax; return; }
        if (!parse_u32(v, x, too_large) && !too_large) return reject(r, word, "is not a number", o);
        if (too_large || x < r.min || x > r.max) {
            ksnprintf(why, sizeof why, "is out of range (%u..%u)", r.min, r.max);
            return reject(r, word, why, o);
        }
        field<uint32_t>(o, r) = x;
        return;
    }
    case Kind::Choice: {
        unsigned n = choice_count(r.words);
        for (unsigned i = 0; i < n; ++i) {
            Span w = choice_word(r.words, i);
            bool digit = v.n == 1 && unsigned(v.p[0] - '0') == i;
            if (digit || (w.n == v.n && strncmp(w.p, v.p, v.n) == 0)) {
                field<uint8_t>(o, r) = uint8_t(i);
                return;
            }
        }
        ksnprintf(why, sizeof why, "is not one of %s (or 0..%u)", r.words, n - 1);
        return reject(r, word, why, o);
    }
    case Kind::Tests:
        if (!parse_tests(v, nullptr, why, sizeof why)) return reject(r, word, why, o);
        parse_tests(v, &o, why, sizeof why);
        return;
    case Kind::Token:
        if (v.n > BootOptions::kTokenMax) {
            ksnprintf(why, sizeof why, "is longer than %zu characters", BootOptions::kTokenMax);
            return reject(r, word, why, o);
        }
        for (size_t i = 0; i < v.n; ++i)
            if (!is_token_char(v.p[i])) return reject(r, word, "has characters outside [A-Za-z0-9_-]", o);
        memcpy(o.token, v.p, v.n);
        o.token[v.n] = '\0';
        return;
    }
}

void parse_word(Span word, BootOptions& o) {
    size_t eq = 0;
    while (eq < word.n && word.p[eq] != '=') ++eq;
    Span key{word.p, eq};
    bool has_value = eq < word.n;
    Span value{word.p + eq + (has_value ? 1 : 0), has_value ? word.n - eq - 1 : 0};
    for (const Row& r : kRows)
        if (key.is(r.name)) return apply(r, word, has_value, value, o);
    log_warn("cmdline: unknown option %.*s%s; ignored", shown(word.n), word.p,
             word.n > size_t(kShow) ? "..." : "");
}

}  // namespace

bool BootOptions::wants_test(const char* name) const {
    return names_test(name) || names_test("all");
}

bool BootOptions::names_test(const char* name) const {
    for (uint32_t i = 0; i < test_count && i < kMaxTests; ++i)
        if (strcmp(tests[i], name) == 0) return true;
    return false;
}

void parse_cmdline(const char* s, BootOptions& out) {
    out = kDefaults;
    if (!s) return;
    bool first = true;
    while (*s) {
        while (is_space(*s)) ++s;
        if (!*s) break;
        const char* start = s;
        while (*s && !is_space(*s)) ++s;
        // Some boot loaders pass the kernel image path as the first word.
        if (!(first && *start == '/')) parse_word({start, size_t(s - start)}, out);
        first = false;
    }
}

void format_options(const BootOptions& o, char* buf, size_t cap) {
    if (cap == 0) return;
    buf[0] = '\0';
    Appender a{buf, cap};
    for (const Row& r : kRows) {
        char v[BootOptions::kMaxTests * (BootOptions::kTestNameMax + 1) + 1];
        render(r, o, v, sizeof v);
        a.add("%s%s=%s", a.len ? " " : "", r.name, v);
    }
}

void log_cmdline_help() {
    for (const Row& r : kRows) {
        char def[64], values[64];
        render(r, kDefaults, def, sizeof def);
        Appender a{values, sizeof values};
        switch (r.kind) {
        case Kind::Flag: a.add("(no value)"); break;
        case Kind::OnOff: a.add("on|off"); break;
        case Kind::Choice: a.add("%s", r.words); break;
        case Kind::Tests: a.add("a,b,c|all"); break;
        case Kind::Token: a.add("[A-Za-z0-9_-]"); break;
        case Kind::Number: a.add("%u..%u%s%s", r.min, r.max, r.words ? "|" : "", r.words ? r.words : ""); break;
        }
        log_info("cmdline: %-16s %-26s default %-10s %s", r.name, values, def, r.help);
    }
}
