/// @file ring3_tests.cpp
/// i686 self-tests of the ring-3 layer (docs/userprog.md), without the process
/// code: hand-assembled user code in a page directory of its own, entered with
/// arch_enter_user() and brought back by the trap it takes.
///
/// The test thread saves its context with switch_context() and enters ring 3
/// from a small stack of its own (that stack is also TSS.esp0); the handler of
/// the trap switches straight back to the saved context, abandoning the
/// trap's frame. It runs at Dispatch so that the timer does not move the
/// thread while it is in ring 3 (nothing here switches CR3 on a switch).
#include "archcpu.h"
#include "cpu.h"
#include "kstring.h"
#include "ktest/ktest.h"
#include "mem.h"
#include "pdsync.h"
#include "runlevel.h"
#include "trap.h"
#include "uentry.h"
#include "user_arch.h"
#include "../user/lib/sysnum.h"
#include "uvm.h"
#include "vm.h"
#include "x86.h"

extern "C" void switch_context(uintptr_t* save_sp, uintptr_t new_sp);
extern "C" uint32_t boot_pd[1024];

namespace {

alignas(16) uint8_t entry_stack[4096];
uintptr_t entry_top() { return (uintptr_t)entry_stack + sizeof entry_stack; }

uintptr_t resume_sp;
uint64_t t_enter, t_trap;  // TSC when run() entered ring 3, and at the trap that ended it
struct { uintptr_t ip, sp, a0, a1; PtRoot root; } enter;

/// What the last trap saw.
struct Seen {
    uint32_t vector, error, cs, ss, sp, ds, gs, cr2, eax, ebx, edx, others;
    bool on_entry_stack, percpu_ok;
} seen;

[[noreturn]] void go_user() {
    uvm_activate(enter.root);
    arch_set_kernel_stack(entry_top());
    arch_enter_user(enter.ip, enter.sp, enter.a0, enter.a1);
}

void back_to_test() {
    uintptr_t dead;
    switch_context(&dead, resume_sp);
}

void record(TrapFrame* tf) {
    t_trap = rdtsc();
    Cpu* c = this_cpu();  // through GS: a wrong GS faults right here
    seen.percpu_ok = c->self == c;
    seen.vector = tf->vector;
    seen.error = tf->error;
    seen.cs = tf->cs & 0xFFFF;
    seen.ss = tf->ss & 0xFFFF;
    seen.sp = tf->sp;
    seen.ds = tf->ds & 0xFFFF;
    seen.gs = tf->gs & 0xFFFF;
    seen.cr2 = (uint32_t)read_cr2();
    seen.eax = tf->eax;
    seen.edx = tf->edx;
    seen.ebx = tf->ebx;
    seen.others = tf->ecx | tf->esi | tf->edi | tf->ebp;
    // The CPU switched to esp0 and pushed the frame at its very top.
    seen.on_entry_stack = (uintptr_t)tf + sizeof(TrapFrame) == entry_top();
}

void on_fault(TrapFrame* tf) {
    if (!tf_from_user(tf)) exception_report(tf);
    record(tf);
    back_to_test();
}

/// Run the user code at @p ip until its trap comes back.
void run(PtRoot root, uintptr_t ip, uintptr_t sp) {
    seen = Seen{};
    enter = {ip, sp, 5, 0x1234, root};
    uintptr_t* s = (uintptr_t*)entry_top();
    *--s = 0;                    // go_user's return address: it never returns
    *--s = (uintptr_t)go_user;   // switch_context's ret
    for (int i = 0; i < 4; ++i) *--s = 0;  // ebp, ebx, esi, edi
    Runlevel old = raise_runlevel(Runlevel::Dispatch);
    uintptr_t flags = read_flags();
    t_enter = rdtsc();
    switch_context(&resume_sp, (uintptr_t)s);
    // Back from a trap handler, interrupts off, with the user's directory.
    uvm_activate(0);
    write_flags(flags);
    lower_runlevel(old);
}

// The user code, one snippet every 16 bytes (48 for the first) of the page at USER_BASE.
static_assert(SYS_getcpu == 3, "the code below says mov eax, 3");
constexpr uint8_t code[] = {
    // +0x00: null GS, DS, ES; a getcpu() call, its result kept in EBX; 1000
    // more (the round-trip time); then ud2 (#UD), which brings the test back
    // with the registers.
    0x31, 0xC9,                    // xor ecx, ecx
    0x8E, 0xE9, 0x8E, 0xD9, 0x8E, 0xC1,  // mov gs, cx; mov ds, cx; mov es, cx
    0xB8, 0x03, 0x00, 0x00, 0x00,  // mov eax, SYS_getcpu
    0xCD, 0x80,                    // int 0x80
    0x89, 0xC3,                    // mov ebx, eax
    0xBE, 0xE8, 0x03, 0x00, 0x00,  // mov esi, 1000
    0xB8, 0x03, 0x00, 0x00, 0x00,  // l: mov eax, SYS_getcpu
    0xCD, 0x80,                    // int 0x80
    0x4E,                          // dec esi
    0x75, 0xF6,                    // jnz l
    0x0F, 0x0B,                    // ud2
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    // +0x30: mov [0x00100000], eax (the kernel image); jmp $
    0xA3, 0x00, 0x00, 0x10, 0x00, 0xEB, 0xFE, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    // +0x40: mov ax, SEL_PERCPU | 3; mov gs, ax; jmp $
    0x66, 0xB8, 0x1B, 0x00, 0x8E, 0xE8, 0xEB, 0xFE, 0, 0, 0, 0, 0, 0, 0, 0,
    // +0x50: int 0x20 (the reschedule IPI's gate: DPL 0); jmp $
    0xCD, 0x20, 0xEB, 0xFE,
};

}  // namespace

KTEST(i686_ring3, 96, "i686: ring 3 entered by IRET, int 0x80 served on the kernel's segments, traps on esp0, bad accesses fault") {
    PtRoot root = uvm_new();
    uint64_t cf = frame_alloc(), sf = frame_alloc();
    bool ok = root && cf && sf;
    if (!ok) { ktest_detail("out of frames"); return false; }
    memset((void*)(uintptr_t)cf, 0, 4096);
    memcpy((void*)(uintptr_t)cf, code, sizeof code);
    const uintptr_t ip = USER_BASE, sva = USER_BASE + 0x10000, sp = sva + 4096 - 16;
    ok = uvm_map(root, ip, cf, UVM_X) && uvm_map(root, sva, sf, UVM_W);
    unsigned r = 0;
    ok = ok && uvm_query(root, ip + 5, &r) == cf + 5 && r == UVM_X && uvm_query(root, sva + 4096, nullptr) == ~0ull;
    ok = ok && !uvm_map(root, ip, sf, UVM_W) && !uvm_map(root, 0x100000, sf, UVM_W) && !uvm_map(root, USER_END, sf, 0);
    if (!ok) ktest_detail("uvm_map/uvm_query disagree;");

    // System calls through the real entry (syscall_entry, syscall_dispatch:
    // getcpu needs no process), with null DS, ES and GS in ring 3: the
    // kernel must run on its own segments (its this_cpu() answers getcpu),
    // and ring 3 must get its own back. The #UD after them brings the test
    // back with the registers.
    trap_set_handler(6, on_fault);
    run(root, ip, sp);
    trap_set_handler(6, nullptr);
    uint32_t me = cpu_number();  // at Dispatch in run(): the same CPU throughout
    bool sys = seen.vector == 6 && seen.cs == SEL_UCODE && seen.ss == SEL_UDATA && seen.sp == sp && seen.ds == 0 &&
               seen.gs == 0 && seen.on_entry_stack && seen.percpu_ok && seen.eax == me && seen.ebx == me &&
               seen.edx == 0x1234 && seen.others == 0;
    if (!sys)
        ktest_detail("syscall: vector %u cs %x ss %x sp %x (want %x) ds %x gs %x getcpu %u, %u (cpu %u) edx %x "
                     "others %x on esp0 %d;", seen.vector, seen.cs, seen.ss, seen.sp, (unsigned)sp, seen.ds, seen.gs,
                     seen.ebx, seen.eax, me, seen.edx, seen.others, seen.on_entry_stack);
    else
        ktest_detail("1001 int 0x80 round trips (getcpu) in %llu TSC cycles, %llu each; ",
                     (unsigned long long)(t_trap - t_enter), (unsigned long long)((t_trap - t_enter) / 1001));

    // Faults: a write to the kernel (#PF, user|write|present), loading the
    // per-CPU selector (#GP, its selector), int 0x20 (#GP, IDT entry 0x20).
    trap_set_handler(14, on_fault);
    trap_set_handler(13, on_fault);
    run(root, ip + 0x30, sp);
    bool pf = seen.vector == 14 && seen.error == 7 && seen.cr2 == 0x100000 && seen.cs == SEL_UCODE && seen.on_entry_stack;
    if (!pf) ktest_detail("kernel write: vector %u error %x cr2 %x;", seen.vector, seen.error, seen.cr2);
    run(root, ip + 0x40, sp);
    bool gs = seen.vector == 13 && seen.error == SEL_PERCPU && seen.cs == SEL_UCODE;
    if (!gs) ktest_detail("per-CPU selector: vector %u error %x;", seen.vector, seen.error);
    run(root, ip + 0x50, sp);
    bool gate = seen.vector == 13 && seen.error == (0x20 << 3 | 2) && seen.cs == SEL_UCODE;
    if (!gate) ktest_detail("int 0x20: vector %u error %x;", seen.vector, seen.error);
    trap_set_handler(14, nullptr);
    trap_set_handler(13, nullptr);

    uvm_unmap(root, ip);
    uvm_unmap(root, sva);
    uvm_free(root);
    frame_free(cf);
    frame_free(sf);
    return ok && sys && pf && gs && gate;
}

/// Kernel entries of process directory @p pd that differ from boot_pd's (user ones must be empty).
unsigned pd_differences(const uint32_t* pd) {
    unsigned bad = 0;
    for (unsigned i = 0; i < 1024; ++i) {
        bool user = i >= PD_USER_FIRST && i < PD_USER_END;
        if (pd[i] != (user ? 0 : boot_pd[i]) && !bad++)
            ktest_detail("entry %u: %08x, boot_pd %08x; ", i, pd[i], user ? 0 : boot_pd[i]);
    }
    return bad;
}

KTEST(i686_pd_sync, 97, "i686: kernel PDEs changed after a process directory was made reach that directory") {
    PtRoot root = uvm_new();
    if (!root) return false;
    const uint32_t* pd = (const uint32_t*)(uintptr_t)root;
    // The 4 MiB below the scratch window: no RAM, no device on QEMU's or
    // Bochs' machines, and split by nothing else (this costs one split table).
    const uintptr_t va = VM_SCRATCH - 0x400000 + 0x1000;
    uvm_activate(root);
    bool guard = vm_set_guard(va);  // splits the 4 MiB page: a new PDE
    unsigned split = pd_differences(pd);
    vm_map_mmio(va, 4096);          // PCD|PWT on that PDE
    unsigned mmio = pd_differences(pd);
    vm_clear_guard(va);
    uvm_activate(0);
    ktest_detail("split %s; entries differing from boot_pd: %u after the split, %u after vm_map_mmio",
                 guard ? "done" : "FAILED", split, mmio);
    uvm_free(root);
    return guard && !split && !mmio;
}
