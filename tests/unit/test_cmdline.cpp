// The command line parser: good words set options, and each bad word gives
// exactly one warning and leaves that option at its default.
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <string>
#include "cmdline.h"
#include "host_log.h"

namespace {
BootOptions parse(const char* s) {
    clear_log();
    BootOptions o;
    o.maxcpus = 77;  // parse_cmdline must start from the defaults, not from this
    parse_cmdline(s, o);
    return o;
}
size_t warnings() { return log_count("WARN: "); }
std::string formatted(const BootOptions& o) {
    char buf[1024];
    format_options(o, buf, sizeof buf);
    return buf;
}
const char* kDefaultLine =
    "maxcpus=all acpi=on nox2apic=off loglevel=info test=none token=none smpboot=parallel "
    "init_delay_us=10000 sipi_delay_us=200 pilot_above=16 ap_timeout_ms=10000 ipi_timeout_ms=5000 spin_timeout_ms=1000 spinlock=auto e9=off "
    "vga=on timeslice_ms=10 ap_noanswer=none ap_stop_stage=3 sipi_drop=none ap_late=none checkin_gap=none ap_fault=none apic_id_mismatch=none bsp_id_rewrite=none late_bound_us=none help=off";
struct Case {
    const char* in;    // a command line of one bad word
    const char* line;  // the one log line it must give
};
template <size_t N>
void expect_rejected(const Case (&cases)[N]) {
    for (const Case& c : cases) {
        BootOptions o = parse(c.in);
        BOOST_TEST_CONTEXT(c.in) {
            BOOST_TEST(captured_log().size() == 1u);
            BOOST_TEST(captured_log().at(0) == c.line);
            BOOST_TEST(formatted(o) == kDefaultLine);
        }
    }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(cmdline)

BOOST_AUTO_TEST_CASE(null_and_empty_give_defaults) {
    for (const char* s : {(const char*)nullptr, "", "   ", "\t \t"}) {
        BootOptions o = parse(s);
        BOOST_TEST(warnings() == 0u);
        BOOST_TEST(o.maxcpus == BootOptions::kAllCpus);
        BOOST_TEST(o.cpu_limit() == BootOptions::kAllCpus);
        BOOST_TEST(!o.acpi_off);
        BOOST_TEST(!o.nox2apic);
        BOOST_TEST(int(o.loglevel) == int(LogLevel::Info));
        BOOST_TEST(o.test_count == 0u);
        BOOST_TEST(o.token[0] == '\0');
        BOOST_TEST(int(o.smpboot) == int(SmpBoot::Parallel));
        BOOST_TEST(o.init_delay_us == 10000u);
        BOOST_TEST(o.sipi_delay_us == 200u);
        BOOST_TEST(o.pilot_above == 16u);
        BOOST_TEST(o.ap_timeout_ms == 10000u);
        BOOST_TEST(o.ipi_timeout_ms == 5000u);
        BOOST_TEST(o.spin_timeout_ms == 1000u);
        BOOST_TEST(int(o.spinlock) == int(SpinPolicy::Auto));
        BOOST_TEST(!o.e9);
        BOOST_TEST(o.vga);
        BOOST_TEST(o.timeslice_ms == 10u);
        BOOST_TEST(o.ap_noanswer == BootOptions::kNoCpu);
        BOOST_TEST(!o.help);
        BOOST_TEST(formatted(o) == kDefaultLine);
    }
}

BOOST_AUTO_TEST_CASE(every_option_set) {
    BootOptions o = parse(
        "maxcpus=4 acpi=off nox2apic loglevel=debug test=smp,ipi.all,tlb-1 token=run_42-a "
        "smpboot=sequential init_delay_us=0 sipi_delay_us=300 pilot_above=0 ap_timeout_ms=50 ipi_timeout_ms=70 "
        "spin_timeout_ms=2000 spinlock=tas e9 vga=off timeslice_ms=5 ap_noanswer=3 sipi_drop=2 help");
    BOOST_TEST(warnings() == 0u);
    BOOST_TEST(o.maxcpus == 4u);
    BOOST_TEST(o.cpu_limit() == 4u);
    BOOST_TEST(o.acpi_off);
    BOOST_TEST(o.nox2apic);
    BOOST_TEST(int(o.loglevel) == int(LogLevel::Debug));
    BOOST_TEST(o.test_count == 3u);
    BOOST_TEST(std::string(o.tests[0]) == "smp");
    BOOST_TEST(std::string(o.tests[1]) == "ipi.all");
    BOOST_TEST(std::string(o.tests[2]) == "tlb-1");
    BOOST_TEST(std::string(o.token) == "run_42-a");
    BOOST_TEST(int(o.smpboot) == int(SmpBoot::Sequential));
    BOOST_TEST(o.init_delay_us == 0u);
    BOOST_TEST(o.sipi_delay_us == 300u);
    BOOST_TEST(o.pilot_above == 0u);
    BOOST_TEST(o.ap_timeout_ms == 50u);
    BOOST_TEST(o.ipi_timeout_ms == 70u);
    BOOST_TEST(o.spin_timeout_ms == 2000u);
    BOOST_TEST(int(o.spinlock) == int(SpinPolicy::Tas));
    BOOST_TEST(o.e9);
    BOOST_TEST(!o.vga);
    BOOST_TEST(o.timeslice_ms == 5u);
    BOOST_TEST(o.ap_noanswer == 3u);
    BOOST_TEST(o.sipi_drop == 2u);
    BOOST_TEST(o.help);
    BOOST_TEST(formatted(o) ==
               "maxcpus=4 acpi=off nox2apic=on loglevel=debug test=smp,ipi.all,tlb-1 "
               "token=run_42-a smpboot=sequential init_delay_us=0 sipi_delay_us=300 pilot_above=0 "
               "ap_timeout_ms=50 ipi_timeout_ms=70 spin_timeout_ms=2000 spinlock=tas e9=on vga=off timeslice_ms=5 "
               "ap_noanswer=3 ap_stop_stage=3 sipi_drop=2 ap_late=none checkin_gap=none ap_fault=none apic_id_mismatch=none bsp_id_rewrite=none late_bound_us=none help=on");
}

BOOST_AUTO_TEST_CASE(alternative_spellings) {
    BootOptions o = parse("acpi=on e9=on vga=on loglevel=0 smpboot=parallel maxcpus=all ap_noanswer=none pilot_above=none");
    BOOST_TEST(warnings() == 0u);
    BOOST_TEST(!o.acpi_off);
    BOOST_TEST(o.e9);
    BOOST_TEST(o.vga);
    BOOST_TEST(int(o.loglevel) == int(LogLevel::Error));
    BOOST_TEST(o.maxcpus == BootOptions::kAllCpus);
    BOOST_TEST(o.ap_noanswer == BootOptions::kNoCpu);
    BOOST_TEST(o.pilot_above == BootOptions::kNoCpu);
    BOOST_TEST(int(parse("loglevel=warn").loglevel) == int(LogLevel::Warn));
    BOOST_TEST(int(parse("loglevel=3").loglevel) == int(LogLevel::Debug));
    BOOST_TEST(!parse("e9=off").e9);
    BOOST_TEST(int(parse("smpboot=0").smpboot) == int(SmpBoot::Sequential));
    BOOST_TEST(int(parse("spinlock=ticket").spinlock) == int(SpinPolicy::Ticket));
    BOOST_TEST(int(parse("spinlock=2").spinlock) == int(SpinPolicy::Tas));
    BOOST_TEST(!parse("acpi").acpi_off);  // a bare on/off word means on
    BOOST_TEST(parse("vga").vga);
    BOOST_TEST(warnings() == 0u);
}

BOOST_AUTO_TEST_CASE(cpu_limit_is_at_least_one) {
    BOOST_TEST(parse("maxcpus=0").maxcpus == 0u);
    BOOST_TEST(parse("maxcpus=0").cpu_limit() == 1u);
    BOOST_TEST(parse("maxcpus=1").cpu_limit() == 1u);
    BOOST_TEST(parse("maxcpus=4294967295").cpu_limit() == 4294967295u);
    BOOST_TEST(warnings() == 0u);
}

BOOST_AUTO_TEST_CASE(separators_and_repeats) {
    BootOptions o = parse("  maxcpus=2\t\tnox2apic \n maxcpus=3  ");
    BOOST_TEST(warnings() == 0u);
    BOOST_TEST(o.maxcpus == 3u);  // the later word wins
    BOOST_TEST(o.nox2apic);
    o = parse("test=a,b test=c");
    BOOST_TEST(o.test_count == 1u);
    BOOST_TEST(std::string(o.tests[0]) == "c");
}

BOOST_AUTO_TEST_CASE(image_path_first_word_is_skipped) {
    BootOptions o = parse("/boot/kernel-amd64.elf maxcpus=2");
    BOOST_TEST(warnings() == 0u);
    BOOST_TEST(o.maxcpus == 2u);
    parse("maxcpus=2 /boot/kernel");  // only in first place
    BOOST_TEST(warnings() == 1u);
    BOOST_TEST(log_contains("WARN: cmdline: unknown option /boot/kernel; ignored"));
}

BOOST_AUTO_TEST_CASE(malformed_maxcpus) {
    const Case cases[] = {
        {"maxcpus=abc", "WARN: cmdline: maxcpus=abc is not a number; using the default (all)"},
        {"maxcpus=", "WARN: cmdline: maxcpus= has no value; using the default (all)"},
        {"maxcpus", "WARN: cmdline: maxcpus needs a value; using the default (all)"},
        {"maxcpus=99999999999999999999",
         "WARN: cmdline: maxcpus=99999999999999999999 is out of range (0..4294967295); using the default (all)"},
        {"maxcpus=4294967296",
         "WARN: cmdline: maxcpus=4294967296 is out of range (0..4294967295); using the default (all)"},
        {"maxcpus=-1", "WARN: cmdline: maxcpus=-1 is not a number; using the default (all)"},
        {"maxcpus=2x", "WARN: cmdline: maxcpus=2x is not a number; using the default (all)"},
        {"maxcpus=0x4", "WARN: cmdline: maxcpus=0x4 is not a number; using the default (all)"},
    };
    expect_rejected(cases);
}

BOOST_AUTO_TEST_CASE(malformed_values_of_every_kind) {
    const Case cases[] = {
        {"loglevel=7", "WARN: cmdline: loglevel=7 is not one of error|warn|info|debug (or 0..3); using the default (info)"},
        {"loglevel=loud", "WARN: cmdline: loglevel=loud is not one of error|warn|info|debug (or 0..3); using the default (info)"},
        {"acpi=maybe", "WARN: cmdline: acpi=maybe is neither on nor off; using the default (on)"},
        {"nox2apic=1", "WARN: cmdline: nox2apic=1 takes no value; using the default (off)"},
        {"smpboot=fast", "WARN: cmdline: smpboot=fast is not one of sequential|parallel (or 0..1); using the default (parallel)"},
        {"spinlock=mcs", "WARN: cmdline: spinlock=mcs is not one of auto|ticket|tas (or 0..2); using the default (auto)"},
        {"init_delay_us=2000000", "WARN: cmdline: init_delay_us=2000000 is out of range (0..1000000); using the default (10000)"},
        {"ap_timeout_ms=0", "WARN: cmdline: ap_timeout_ms=0 is out of range (1..600000); using the default (10000)"},
        {"timeslice_ms=", "WARN: cmdline: timeslice_ms= has no value; using the default (10)"},
        {"ap_noanswer=0", "WARN: cmdline: ap_noanswer=0 is out of range (1..4294967294); using the default (none)"},
        {"pilot_above=some", "WARN: cmdline: pilot_above=some is not a number; using the default (16)"},
        {"pilot_above=4294967295", "WARN: cmdline: pilot_above=4294967295 is out of range (0..4294967294); using the default (16)"},
        {"token=a/b", "WARN: cmdline: token=a/b has characters outside [A-Za-z0-9_-]; using the default (none)"},
        {"test=a,,b", "WARN: cmdline: test=a,,b has an empty test name; using the default (none)"},
        {"test=a,", "WARN: cmdline: test=a, has an empty test name; using the default (none)"},
        {"test=x;y", "WARN: cmdline: test=x;y has the character ';' in a test name; using the default (none)"},
        {"frobnicate=3", "WARN: cmdline: unknown option frobnicate=3; ignored"},
        {"quiet", "WARN: cmdline: unknown option quiet; ignored"},
        {"=5", "WARN: cmdline: unknown option =5; ignored"},
        {"MAXCPUS=2", "WARN: cmdline: unknown option MAXCPUS=2; ignored"},
    };
    expect_rejected(cases);
}

BOOST_AUTO_TEST_CASE(a_bad_word_does_not_stop_the_parse) {
    BootOptions o = parse("maxcpus=abc nox2apic bogus loglevel=9 maxcpus= token=x@y test=smp");
    BOOST_TEST(warnings() == 5u);
    BOOST_TEST(log_count("maxcpus=abc") == 1u);
    BOOST_TEST(log_count("maxcpus= has no value") == 1u);
    BOOST_TEST(log_count("bogus") == 1u);
    BOOST_TEST(log_count("loglevel=9") == 1u);
    BOOST_TEST(log_count("token=x@y") == 1u);
    BOOST_TEST(o.nox2apic);
    BOOST_TEST(o.maxcpus == BootOptions::kAllCpus);
    BOOST_TEST(o.test_count == 1u);
    BOOST_TEST(o.wants_test("smp"));
}

BOOST_AUTO_TEST_CASE(a_bad_word_resets_an_earlier_good_one) {
    // The warning says the default is used, so it must be.
    BootOptions o = parse("maxcpus=2 maxcpus=abc test=a test=,");
    BOOST_TEST(warnings() == 2u);
    BOOST_TEST(o.maxcpus == BootOptions::kAllCpus);
    BOOST_TEST(o.test_count == 0u);
    o = parse("token=abc token=a.b e9 e9=x");
    BOOST_TEST(warnings() == 2u);
    BOOST_TEST(o.token[0] == '\0');
    BOOST_TEST(!o.e9);
}

BOOST_AUTO_TEST_CASE(test_list_limits) {
    std::string sixteen, seventeen;
    for (int i = 0; i < 16; ++i) sixteen += (i ? ",t" : "t") + std::to_string(i);
    seventeen = sixteen + ",t16";
    BootOptions o = parse(("test=" + sixteen).c_str());
    BOOST_TEST(warnings() == 0u);
    BOOST_TEST(o.test_count == 16u);
    BOOST_TEST(std::string(o.tests[15]) == "t15");
    o = parse(("test=" + seventeen).c_str());
    BOOST_TEST(warnings() == 1u);
    BOOST_TEST(log_contains("names more than 16 tests; using the default (none)"));
    BOOST_TEST(o.test_count == 0u);

    std::string n31(31, 'a'), n32(32, 'a');
    o = parse(("test=x," + n31).c_str());
    BOOST_TEST(warnings() == 0u);
    BOOST_TEST(std::string(o.tests[1]) == n31);
    o = parse(("test=x," + n32).c_str());
    BOOST_TEST(log_contains("has a test name longer than 31 characters; using the default (none)"));
    BOOST_TEST(o.test_count == 0u);
}

BOOST_AUTO_TEST_CASE(token_limits) {
    std::string t63(63, 'Z'), t64(64, 'Z');
    BootOptions o = parse(("token=" + t63).c_str());
    BOOST_TEST(warnings() == 0u);
    BOOST_TEST(std::string(o.token) == t63);
    o = parse(("token=" + t64).c_str());
    BOOST_TEST(warnings() == 1u);
    BOOST_TEST(log_contains("is longer than 63 characters; using the default (none)"));
    BOOST_TEST(o.token[0] == '\0');
}

BOOST_AUTO_TEST_CASE(long_bad_word_is_quoted_short) {
    std::string w = "maxcpus=" + std::string(200, '9');
    parse(w.c_str());
    BOOST_TEST(warnings() == 1u);
    const std::string& line = captured_log().at(0);
    BOOST_TEST(line.find("...") != std::string::npos);
    BOOST_TEST(line.size() < 160u);
}

BOOST_AUTO_TEST_CASE(wants_test_and_all) {
    BootOptions o = parse("test=smp,ipi");
    BOOST_TEST(o.wants_test("smp"));
    BOOST_TEST(o.wants_test("ipi"));
    BOOST_TEST(!o.wants_test("sched"));
    BOOST_TEST(!o.wants_test("sm"));
    o = parse("test=all");
    BOOST_TEST(o.wants_test("sched"));
    BOOST_TEST(o.wants_test("anything"));
    BOOST_TEST(!o.names_test("exception"));
    BOOST_TEST(o.names_test("all"));
    o = parse("test=all,exception");
    BOOST_TEST(o.names_test("exception"));
    BOOST_TEST(!parse("").wants_test("smp"));
}

BOOST_AUTO_TEST_CASE(format_is_bounded) {
    BootOptions o = parse("");
    char buf[20];
    std::memset(buf, 'X', sizeof buf);
    format_options(o, buf, sizeof buf);
    BOOST_TEST(std::string(buf) == std::string(kDefaultLine).substr(0, 19));
    char tiny[1] = {'X'};
    format_options(o, tiny, 1);
    BOOST_TEST(tiny[0] == '\0');
    format_options(o, nullptr, 0);  // must not touch anything
}

BOOST_AUTO_TEST_CASE(help_lists_every_option) {
    clear_log();
    log_cmdline_help();
    BOOST_TEST(captured_log().size() == 27u);  // one per option
    BOOST_TEST(log_count("WARN: ") == 0u);
    BOOST_TEST(log_contains("cmdline: maxcpus          0..4294967295|all"));
    BOOST_TEST(log_contains("cmdline: loglevel         error|warn|info|debug"));
    BOOST_TEST(log_contains("cmdline: spinlock         auto|ticket|tas"));
    BOOST_TEST(log_contains("cmdline: pilot_above      0..4294967294|none"));
    BOOST_TEST(log_contains("default on"));
}

BOOST_AUTO_TEST_SUITE_END()
