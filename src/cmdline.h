/// @file cmdline.h
/// The kernel command line: `maxcpus=2 acpi=off loglevel=debug test=smp,ipi`.
///
/// Words are separated by spaces or tabs. `key=value` sets an option, a bare
/// `key` is a flag. Every option has one row in the table of cmdline.cpp (name,
/// kind, field, range, help text), so a new option is one field here and one
/// row there. A word that is not understood never stops the boot: it produces
/// exactly one warning line naming the key, the bad value and the default that
/// is used instead, and parsing goes on with the next word. When a key appears
/// twice, the later word wins.
#pragma once
#include "log.h"
#include "spinlock_core.h"
#include "types.h"

/// How the boot CPU starts the application processors (PITFALLS: parallel
/// INIT-SIPI-SIPI as in Linux 6.5 and Zircon, or one AP after the other).
enum class SmpBoot : uint8_t {
    Sequential = 0,  ///< INIT-SIPI-SIPI to one AP, wait for it, then the next.
    Parallel = 1,    ///< INIT to every AP, one wait, then SIPIs to every AP.
};

/// The effective boot options. A default-constructed value holds the defaults.
struct BootOptions {
    /// `maxcpus` value meaning "every CPU found".
    static constexpr uint32_t kAllCpus = UINT32_MAX;
    /// `ap_noanswer` value meaning "no AP is told to stay silent".
    static constexpr uint32_t kNoCpu = UINT32_MAX;
    /// Capacity of the `test=` list.
    static constexpr size_t kMaxTests = 16;
    /// Longest accepted test name, in characters.
    static constexpr size_t kTestNameMax = 31;
    /// Longest accepted `token=`, in characters.
    static constexpr size_t kTokenMax = 63;

    /// `maxcpus=N`: CPUs to run, as given (0 asks for the BSP only); see cpu_limit().
    uint32_t maxcpus = kAllCpus;
    /// `acpi=off`: ignore ACPI and discover CPUs from the MP tables.
    bool acpi_off = false;
    /// `nox2apic`: stay in xAPIC mode even where x2APIC is available.
    bool nox2apic = false;
    /// `loglevel=0..3` or `error|warn|info|debug`: lines above it are dropped.
    LogLevel loglevel = LogLevel::Info;
    /// `test=a,b,c`: the self-tests to run, in the order given.
    char tests[kMaxTests][kTestNameMax + 1] = {};
    /// Number of names in `tests`.
    uint32_t test_count = 0;
    /// `token=STRING`: an opaque word echoed in the log, so a harness can tell its boots apart.
    char token[kTokenMax + 1] = {};
    /// `smpboot=sequential|parallel`: how the APs are started.
    SmpBoot smpboot = SmpBoot::Parallel;
    /// `init_delay_us=`: wait after INIT before the first SIPI (SDM Vol. 3A 8.4.4.1: 10 ms).
    uint32_t init_delay_us = 10000;
    /// `sipi_delay_us=`: wait after each SIPI (SDM Vol. 3A 8.4.4.1: 200 us).
    uint32_t sipi_delay_us = 200;
    /// `pilot_above=N|none`: a parallel bring-up of more than N APs starts one
    /// AP first, and the others once it is online (smpboot.cpp, "The first AP
    /// alone"); `none`: never.
    uint32_t pilot_above = 16;
    /// `ap_timeout_ms=`: how long the BSP waits for an AP to check in.
    uint32_t ap_timeout_ms = 10000;
    /// `ipi_timeout_ms=`: how long a CPU waits for others to answer a call-function or shootdown.
    uint32_t ipi_timeout_ms = 5000;
    /// `spin_timeout_ms=`: a spinlock waited on this long is reported with its holder.
    uint32_t spin_timeout_ms = 1000;
    /// `spinlock=auto|ticket|tas`: what every kernel spinlock is (spinlock_set_policy()).
    SpinPolicy spinlock = SpinPolicy::Auto;
    /// `e9` or `e9=on|off`: mirror the log to port 0xE9 (QEMU/Bochs debug console).
    bool e9 = false;
    /// `vga=on|off`: mirror the log to the VGA text screen.
    bool vga = true;
    /// `timeslice_ms=`: the scheduler's time slice.
    uint32_t timeslice_ms = 10;
    /// `ap_noanswer=N`: kernel id of an AP that skips its check-in (a self-test of the timeout path).
    uint32_t ap_noanswer = kNoCpu;
    /// `ap_stop_stage=S`: where the ap_noanswer CPU stops (BootStage, smpboot.h):
    /// 0 it is sent no SIPI, 1 in the trampoline, 2 at kernel entry, 3 before
    /// its check-in. The BSP's report must name that stage.
    uint32_t ap_stop_stage = 3;
    /// `sipi_drop=N`: kernel id of an AP whose first SIPI is not sent, as if it
    /// had missed it (a self-test of the second SIPI, SDM Vol. 3A 8.4.4.1).
    uint32_t sipi_drop = kNoCpu;
    /// `ap_late=N`: kernel id of an AP that checks in only after the BSP's
    /// wait for it ran out: it must find its bring-up cancelled and park.
    uint32_t ap_late = kNoCpu;
    /// `checkin_gap=N`: kernel id of an AP that lingers right after raising
    /// its online flag, as if its vCPU lost its host core there (a self-test
    /// that the flag is the check-in's last step).
    uint32_t checkin_gap = kNoCpu;
    /// `ap_fault=N`: kernel id of an AP that executes `ud2` right after its
    /// set-up in mpmain(), before it checks in: the exception goes through the
    /// IDT the start block gave it and must be reported, not reset the machine.
    uint32_t ap_fault = kNoCpu;
    /// `apic_id_mismatch=N`: kernel id of an AP whose Cpu block says an APIC
    /// id 1000 too high as it begins its set-up, as if its table entry and
    /// its LAPIC disagreed: mpmain()'s check must say so (lapic_init() then
    /// takes the LAPIC's id, and the boot goes on).
    uint32_t apic_id_mismatch = kNoCpu;
    /// `bsp_id_rewrite=N`: write N into the boot CPU's xAPIC ID register
    /// before the tables are read, as firmware may (a self-test that the
    /// kernel goes by the register, not by CPUID).
    uint32_t bsp_id_rewrite = kNoCpu;
    /// `late_bound_us=N`: the timing self-tests (`sleep`, `oneshot`) fail when a
    /// timer wake-up comes more than N microseconds late. None by default
    /// (`oneshot` then allows 1 s): under TCG a loaded host may leave a vCPU
    /// without a core for any time; under `-icount` time follows
    /// instructions, and the boot cases set a bound.
    uint32_t late_bound_us = UINT32_MAX;
    /// `help`: list every option with its values in the boot log (log_cmdline_help()).
    bool help = false;

    /// Number of CPUs to run, at least 1: `maxcpus=0` and `maxcpus=1` both mean the BSP alone.
    uint32_t cpu_limit() const { return maxcpus == 0 ? 1 : maxcpus; }
    /// True when `test=` names @p name, or names `all`.
    bool wants_test(const char* name) const;
    /// True when `test=` names @p name itself (`all` does not count): for tests
    /// that end the boot, such as a deliberate exception.
    bool names_test(const char* name) const;
};

/// The options this boot was given (main.cpp parses them once, on the BSP,
/// before any other CPU runs).
const BootOptions& boot_options();

/// Parse the command line @p s into @p out, starting from the defaults.
/// @param s   the command line; NULL or empty gives all defaults. A first word
///            starting with '/' is taken as the kernel image path that some
///            boot loaders put in front, and skipped.
/// @param out receives the effective options.
void parse_cmdline(const char* s, BootOptions& out);

/// Render the effective options @p o as one line `key=value key=value ...`
/// (every option, in table order) into @p buf of @p cap bytes, always
/// NUL-terminated when @p cap > 0; a line longer than @p cap is cut short.
void format_options(const BootOptions& o, char* buf, size_t cap);

/// Write one line per option to the log: name, accepted values, default and
/// help text. The kernel calls it when the command line holds `help`.
void log_cmdline_help();
