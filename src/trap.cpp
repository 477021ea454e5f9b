/// @file trap.cpp
/// Dispatch of every interrupt and exception, and the report of a fatal one.
#include "trap.h"
#include "apicregs.h"
#include "cpu.h"
#include "lapic.h"
#include "log.h"
#include "panic.h"
#include "process.h"
#include "symbols.h"

namespace {

TrapHandler handlers[256];

/// Exception mnemonics and names (SDM Vol. 3A Table 6-1).
constexpr const char* names[32][2] = {
    {"#DE", "divide error"}, {"#DB", "debug"}, {"NMI", "non-maskable interrupt"},
    {"#BP", "breakpoint"}, {"#OF", "overflow"}, {"#BR", "bound range exceeded"},
    {"#UD", "invalid opcode"}, {"#NM", "device not available"}, {"#DF", "double fault"},
    {"#MF9", "coprocessor segment overrun"}, {"#TS", "invalid TSS"},
    {"#NP", "segment not present"}, {"#SS", "stack-segment fault"},
    {"#GP", "general protection"}, {"#PF", "page fault"}, {"#15", "reserved"},
    {"#MF", "x87 floating-point error"}, {"#AC", "alignment check"},
    {"#MC", "machine check"}, {"#XM", "SIMD floating-point"}, {"#VE", "virtualization"},
    {"#CP", "control protection"}, {"#22", "reserved"}, {"#23", "reserved"},
    {"#24", "reserved"}, {"#25", "reserved"}, {"#26", "reserved"}, {"#27", "reserved"},
    {"#HV", "hypervisor injection"}, {"#VC", "VMM communication"},
    {"#SX", "security"}, {"#31", "reserved"}};

}  // namespace

static volatile uint32_t stray_expected = 0x100;  // none
static volatile uint32_t stray_seen = 0;

void trap_expect_stray(uint32_t vector) {
    stray_seen = 0;
    __atomic_store_n(&stray_expected, vector, __ATOMIC_RELAXED);
}
uint32_t trap_strays_seen() { return stray_seen; }

void trap_set_handler(uint8_t vector, TrapHandler handler) { handlers[vector] = handler; }

const char* exception_mnemonic(uint32_t v) { return v < 32 ? names[v][0] : "IRQ"; }

void print_backtrace(uintptr_t fp, uintptr_t ip) {
    char sym[96];
    symbolize(ip, sym, sizeof sym);
    log_report("backtrace:");
    log_report("  #0 %p %s", (void*)ip, sym);
    // Frame pointers (-fno-omit-frame-pointer): [fp] = caller's fp, [fp+w] = return address.
    for (int depth = 1; depth < 16 && fp != 0 && (fp & (sizeof(uintptr_t) - 1)) == 0; ++depth) {
        if (fp < 0x1000 || fp >= 0x100000000ull - 16) break;
        const uintptr_t* f = (const uintptr_t*)fp;
        uintptr_t ret = f[1];
        if (ret < 0x100000) break;
        symbolize(ret, sym, sizeof sym);
        log_report("  #%d %p %s", depth, (void*)ret, sym);
        if (f[0] <= fp) break;  // frames grow upwards as we walk out
        fp = f[0];
    }
}

[[noreturn]] void exception_report(const TrapFrame* tf) {
    panic_begin();
    uint32_t v = (uint32_t)tf->vector;
    log_report("EXCEPTION %s %s (vector %u) on cpu %u, error code 0x%llx, at %p",
              names[v & 31][0], names[v & 31][1], v, cpu_number(),
              (unsigned long long)tf->error, (void*)(uintptr_t)tf->ip);
    arch_print_frame(tf);
    print_backtrace(tf_frame_pointer(tf), (uintptr_t)tf->ip);
    panic_end("unhandled exception %s at %p", names[v & 31][0], (void*)(uintptr_t)tf->ip);
}

namespace {
void dispatch(TrapFrame* tf) {
    uint32_t v = (uint32_t)tf->vector;
    Cpu* c = this_cpu();
    if (v >= 32) ++c->irq_count;
    // An exception of user mode (process.h): a ring-3 fault kills only its
    // process; a fault in copy_user_raw() resumes at its fixup. NMI is never one.
    if (v < 32 && v != 2 && user_trap(tf)) return;
    if (handlers[v]) {
        handlers[v](tf);
        return;
    }
    if (v < 32) exception_report(tf);
    if (v == 0xFF) return;  // spurious: never EOI it (SDM Vol. 3A 10.9)
    // Acknowledge it if the LAPIC delivered it: until its EOI its ISR bit
    // holds back every vector of its priority class and below (SDM Vol. 3A
    // 10.8.3.1), the timer and the IPIs among them.
    bool acked = lapic_available() && (lapic_read(lapic_vector_reg(LapicReg::IsrBase, (uint8_t)v)) &
                                       lapic_vector_bit((uint8_t)v));
    if (acked) lapic_eoi();
    if (v == __atomic_load_n(&stray_expected, __ATOMIC_RELAXED)) {
        __atomic_fetch_add(&stray_seen, 1u, __ATOMIC_RELAXED);
        return;
    }
    log_warn("trap: unexpected interrupt vector 0x%x on cpu %u; %s", v, c->id, acked ? "acknowledged" : "ignored");
}
}  // namespace

extern "C" void trap_dispatch(TrapFrame* tf) {
    dispatch(tf);
    // Back to ring 3 from any interrupt: a thread of an exiting process
    // leaves instead (a spinner is taken at its next timer interrupt).
    if (tf->vector != 2) user_trap_return(tf);
}
