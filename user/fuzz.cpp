// fuzz: makes random system calls with random arguments, to show that no
// call, however bad its arguments, can panic the kernel, fault it, or leak
// a frame (src/ktest/ufuzz_tests.cpp counts the free frames around a run).
//
// The argument (main()'s first parameter) says what to do:
//   bits 0..19   the number of calls to make
//   bits 20..27  a seed (0: the pid)
//   bit 28       parent: start one fuzzer child per online CPU, each with
//                calls / ncpus calls and its own seed, wait for them all
//   bit 29       leaf: never spawn a real program (the fuzzers a fuzzer
//                starts now and then are leaves, so they stay few)
//   bit 30       int: run INT n (n = bits 0..7) and nothing else. Every gate
//                has DPL 0 but i686's 0x80, so ring 3 gets #GP (SDM Vol. 3A
//                6.12.1.1) and the kernel kills it with 128 + 13; its parent
//                checks that status (a gate ring 3 may raise would let a
//                program fake an interrupt or an exception). With bit 8
//                instead: a second thread at an unmapped entry, while the
//                first waits in thread_join(); with bit 9: munmap() of its own
//                text. Both must end the process with #PF (128 + 14).
// A fuzzer exits with 0x10000 | the CPUs getcpu() saw it on (bit cpu % 16),
// so its parent tells a normal end (>= 0x10000) from a fault (128 + vector),
// a kill (256), or 3: an answer known to be wrong (see oracle(), and the
// checks of its children's exit statuses and its threads' values). The
// parent exits 0 when every child ended normally and the children together
// ran on every CPU; bit 0 or bit 1 set otherwise (see parent()).
//
// Numbers: every call number, the invalid ones too (negative, just past
// the table, huge). Arguments: drawn from classes that a careless kernel
// gets wrong: 0, -1, small numbers, random bits, the byte below user space,
// kernel addresses, non-canonical ones, unmapped user addresses, the last
// user byte, this program's own buffers with huge lengths, ranges that
// straddle a mapped and an unmapped page, read-only pages (for calls that
// write to user memory), and long strings with no NUL. Every call also
// with random RFLAGS (DF, NT, AC, ID, the arithmetic flags), a null or the
// user data selector in the data segment registers, and one in 16 with a
// stack pointer from the address classes (see call6(), call6_sp()).
//
// What is left out, and why (the rest is as random as the classes allow):
//  - exit: it would end the run early; the fuzzer exits once, at its end.
//  - sleep: a valid length (0..10000 ms) is cut to 0, or to 1 ms once in 32
//    calls (a sleeper wakes at a timer tick: each costs up to a timeslice),
//    so a run stays short; an invalid one (> 10 s, negative) is passed as
//    drawn: it must be refused at once.
//  - spawn: its second argument (main()'s, which the kernel only passes on)
//    always makes a small leaf fuzzer, should the name be "fuzz" after all.
//  - spawn of a real program: at most two children alive per fuzzer and only
//    short programs (hello, badptr, fault with its modes 1..6, a leaf fuzz
//    of 64 calls): spin never ends, cpus and a fault parent start children of
//    their own, and many children would only hit the process limit. Every
//    other spawn gets a name drawn from the classes (not a real program).
//  - wait: on a pid drawn from the classes, on its own pid, or on one of
//    its children (each child is short, so that blocks briefly).
//  - write from a valid buffer: one in 64 is kept, the others get a bad
//    pointer, so the run does not flood the log with lines of garbage.
//  - thread_exit: it would end the first thread (and the run) early.
//  - thread: a real thread (thread_body, a few harmless calls) now and then,
//    two in a fuzzer's life and none in a leaf (a thread counts against the
//    machine's USER_THREADS_MAX until its process is reaped, and the run
//    does not test that limit); otherwise an entry outside user space. An
//    unmapped entry inside it would be accepted and kill the process: an
//    INT-mode child does that on purpose.
//  - munmap: of its own mmap() areas (whole, in part, past their end), of
//    addresses outside user space or of nothing; never of its own image or
//    stack, which would kill it (an INT-mode child unmaps its text on purpose).
//  - mmap: mostly 1 to 3 pages, some of MMAP_MAX (1 MiB), some invalid: each
//    page is zeroed, and the areas stay until the process ends.
#include "syscall.h"

namespace {

constexpr unsigned long PAGE = 4096;
constexpr long CALLS_MASK = 0xFFFFF, SEED_SHIFT = 20, SEED_MASK = 0xFF;
constexpr long PARENT = 1l << 28, LEAF = 1l << 29, INT = 1l << 30;
constexpr long GP_KILLED = 128 + 13, PF_KILLED = 128 + 14;  // EXIT_FAULT_BASE + #GP, #PF
constexpr long INT_THREAD = 0x100, INT_UNMAP = 0x200;       // INT mode's other two ways to die
constexpr long NORMAL = 0x10000;  // a fuzzer's exit status: NORMAL | cpu mask
constexpr int MAX_CHILDREN = 2;   // real programs alive at once, per fuzzer
constexpr int MAX_KIDS = 64;      // fuzzers a parent starts
#if defined(__x86_64__)
constexpr unsigned short SEL_UDATA = 0x20 | 3;  // the user data selector (amd64 archcpu.h, RPL 3)
#endif

/// xorshift64*: small, fast, and good enough to pick arguments.
unsigned long long rng_state;
unsigned long long rnd() {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}
unsigned long below(unsigned long n) { return (unsigned long)(rnd() % n); }

/// A call with all argument registers set (amd64 RDI RSI RDX R10 R8 R9;
/// i686 EBX ECX EDX ESI EDI): the kernel must ignore the ones it does not
/// use. And with the flags ring 3 may set in @p flags for the call: DF, NT,
/// AC, ID and the arithmetic ones (POPF ignores IF and IOPL at CPL 3, SDM
/// Vol. 2B POPF). The kernel must not run on with them: SYSCALL clears only
/// what IA32_FMASK names, a gate clears TF, NT, RF (SDM Vol. 3A 6.12.1.3).
/// The caller's own flags (DF = 0, as the ABI wants) come back after.
/// And with the data segment registers at @p sel (a null selector, or the
/// user data one), which the kernel's entry must replace with its own and
/// its exit give back: i686 DS ES FS GS, kept and restored around the call;
/// amd64 FS and GS, which nothing here uses (64-bit mode ignores DS, ES).
long call6(long n, const long* a, unsigned long flags, unsigned short sel) {
    long r;
#if defined(__x86_64__)
    register long r10 asm("r10") = a[3];
    register long r8 asm("r8") = a[4];
    register long r9 asm("r9") = a[5];
    // Below the red zone (System V AMD64 ABI 3.2.2) before pushing; the
    // flags in a register, as a memory operand may be RSP-relative.
    asm volatile("mov %[sel], %%fs\n\t"
                 "mov %[sel], %%gs\n\t"
                 "add $-128, %%rsp\n\t"
                 "pushfq\n\t"
                 "pushq %[fl]\n\t"
                 "popfq\n\t"
                 "syscall\n\t"
                 "popfq\n\t"
                 "sub $-128, %%rsp"
                 : "=a"(r)
                 : "a"(n), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9), [fl] "r"(flags),
                   [sel] "r"(sel)
                 : "rcx", "r11", "memory", "cc");
#else
    // Every register carries an argument: the flags come from a variable
    // at an absolute address (an ESP-relative operand would move with the push).
    // DS last: each load reads its selector through DS.
    static unsigned long fl;
    static unsigned short sl;
    fl = flags;
    sl = sel;
    asm volatile("pushfl\n\t"
                 "pushl %[fl]\n\t"
                 "popfl\n\t"
                 "push %%ds\n\t"
                 "push %%es\n\t"
                 "push %%fs\n\t"
                 "push %%gs\n\t"
                 "mov %[sl], %%es\n\t"
                 "mov %[sl], %%fs\n\t"
                 "mov %[sl], %%gs\n\t"
                 "mov %[sl], %%ds\n\t"
                 "int $0x80\n\t"
                 "pop %%gs\n\t"
                 "pop %%fs\n\t"
                 "pop %%es\n\t"
                 "pop %%ds\n\t"
                 "popfl"
                 : "=a"(r)
                 : "a"(n), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]), [fl] "m"(fl), [sl] "m"(sl)
                 : "memory", "cc");
#endif
    return r;
}

/// The same call made with the stack pointer at @p sp, which may point
/// anywhere (the kernel, nowhere, a non-canonical address): the kernel takes
/// its own stack from the TSS or its per-CPU block and must not touch the
/// user's. No flags here: POPF needs a stack.
long call6_sp(long n, const long* a, unsigned long sp) {
    long r;
#if defined(__x86_64__)
    register long r10 asm("r10") = a[3];
    register long r8 asm("r8") = a[4];
    register long r9 asm("r9") = a[5];
    unsigned long keep;
    asm volatile("mov %%rsp, %[keep]\n\t"
                 "mov %[sp], %%rsp\n\t"
                 "syscall\n\t"
                 "mov %[keep], %%rsp"
                 : "=a"(r), [keep] "=&b"(keep)
                 : "a"(n), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9), [sp] "r"(sp)
                 : "rcx", "r11", "memory", "cc");
#else
    // Every register carries an argument: ESP is kept in, and the bad one
    // read from, a variable at an absolute address (not ESP-relative).
    static unsigned long keep, bad;
    bad = sp;
    asm volatile("mov %%esp, %[keep]\n\t"
                 "mov %[bad], %%esp\n\t"
                 "int $0x80\n\t"
                 "mov %[keep], %%esp"
                 : "=a"(r), [keep] "=m"(keep)
                 : "a"(n), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]), [bad] "m"(bad)
                 : "memory", "cc");
#endif
    return r;
}

/// RFLAGS for a call: IF and bit 1 always; half the time nothing more, else
/// some of CF PF AF ZF SF DF OF NT AC ID.
unsigned long random_flags() {
    unsigned long f = 0x202;
    if (below(2)) return f;
    const unsigned long bits = (1ul << 0) | (1ul << 2) | (1ul << 4) | (1ul << 6) | (1ul << 7) | (1ul << 10) |
                               (1ul << 11) | (1ul << 14) | (1ul << 18) | (1ul << 21);
    return f | (bits & (unsigned long)rnd());
}

// This program's memory, for the pointer classes.
char buf[3 * PAGE];           // a valid buffer (random bytes, and whatever getname wrote)
char nonul[2 * PAGE];         // 'a' bytes, no NUL anywhere
const char ro_bytes[64] = "a read-only string";  // in the read-only first segment
unsigned long data_lo;        // the data segment (.data, .bss): [data_lo, data_end)
unsigned long seg_end;        // where its bytes end: [seg_end, data_end) belongs to no object
unsigned long data_end;       // one past its last page: unmapped above it
unsigned long text_lo, text_hi;  // the read-only, executable segment

const char* const REAL[] = {"hello", "badptr", "fault", "fuzz", "fuzz"};  // the last: INT mode
const char* const NAMES[] = {"", "nosuch", "hello ", "HELLO", "spin\n", "fuzz\x01", "/hello", "hell"};

long children[MAX_CHILDREN];
long expect[MAX_CHILDREN];  // each child's exit status when it is known, else -1
long wrong;                 // answers known to be wrong (oracle(), expect)
int nchildren;
long child_faults, child_normal, child_other;
long my_pid, my_calls;
bool leaf;

/// Read this program's ELF program headers (mapped with the first segment,
/// user/user.ld) for the end of the data segment and the text segment.
void find_segments() {
#if defined(__x86_64__)
    struct Phdr { unsigned int type, flags; unsigned long offset, vaddr, paddr, filesz, memsz, align; };
    const unsigned long phoff = *(const unsigned long*)(USER_BASE_ADDR + 32);
    const unsigned short phnum = *(const unsigned short*)(USER_BASE_ADDR + 56);
#else
    struct Phdr { unsigned int type, offset, vaddr, paddr, filesz, memsz, flags, align; };
    const unsigned long phoff = *(const unsigned int*)(USER_BASE_ADDR + 28);
    const unsigned short phnum = *(const unsigned short*)(USER_BASE_ADDR + 44);
#endif
    const Phdr* ph = (const Phdr*)(USER_BASE_ADDR + phoff);
    for (unsigned i = 0; i < phnum; ++i) {
        if (ph[i].type != 1) continue;  // PT_LOAD
        unsigned long hi = (ph[i].vaddr + ph[i].memsz + PAGE - 1) & ~(PAGE - 1);
        if (ph[i].flags & 2) {                              // PF_W
            data_lo = ph[i].vaddr;
            seg_end = ph[i].vaddr + ph[i].memsz;
            data_end = hi;
        }
        else if (ph[i].flags & 1) {                         // PF_X
            text_lo = ph[i].vaddr;
            text_hi = hi;
        }
    }
}

/// An address or number from one of the classes above.
/// The mmap() areas this fuzzer made (munmap() may have taken pages of them).
struct Map { unsigned long addr, len; };
Map maps[16];  // PROC_MMAPS (config.h): later ones fail with -EAGAIN
int nmaps;

long pointer_arg() {
    const unsigned long stack_top = USER_END_ADDR - PAGE;  // process.cpp: the last page stays unmapped
    switch (below(21)) {
    case 0: return 0;
    case 1: return -1;
    case 2: return (long)below(64);
    case 3: return (long)rnd();
    case 4: return (long)(USER_BASE_ADDR - 1 - below(8));               // just below user space
    case 5: return (long)(0x100000 + below(0x100000));                 // the kernel image
#if defined(__x86_64__)
    case 6: return (long)(0xFFFFFFFF80000000ul + below(0x1000000));     // the top 2 GiB
    case 7: return (long)(0x0000800000000000ul - below(2) * 8 + below(16));  // around the canonical hole
#else
    case 6: return (long)(0xC0000000ul + below(0x1000000));             // a higher-half kernel's place
    case 7: return (long)(0xFFFFF000ul + below(0x1000));               // the last page
#endif
    case 8: return (long)(USER_BASE_ADDR + 0x10000000 + below(PAGE));  // unmapped user memory
    case 9: return (long)(USER_END_ADDR - 1 - below(16));              // the last user bytes (unmapped)
    case 10: return (long)(USER_END_ADDR + below(16));                 // just past user space
    case 11: return (long)(stack_top - 1 - below(8));                  // straddles the stack's top
    case 12: return (long)(data_end - 1 - below(data_end - seg_end + 1));  // straddles the data's end
    case 13: return (long)(nonul + below(sizeof nonul));               // no NUL before the data's end?
    case 14: return (long)(ro_bytes + below(sizeof ro_bytes));         // read-only
    case 15: return (long)(text_lo + below(PAGE));                     // read-only, executable
    case 16: return (long)(data_end - PAGE + below(PAGE) - 16);        // the data's last page
    case 17:                                                           // in an mmap() area (maybe unmapped)
        if (nmaps) {
            const Map& m = maps[below(nmaps)];
            return (long)(m.addr + below(m.len + PAGE));
        }
        return (long)(buf + below(sizeof buf));
    default: return (long)(buf + below(sizeof buf));                   // valid
    }
}

long length_arg() {
    switch (below(10)) {
    case 0: return 0;
    case 1: return -1;
    case 2: return (long)(1ul << (sizeof(long) * 8 - 1));
    case 3: return (long)(USER_END_ADDR - USER_BASE_ADDR);
    case 4: return (long)rnd();
    case 5: return (long)(PAGE + below(2 * PAGE));
    default: return (long)below(300);
    }
}

long any_arg() {
    switch (below(4)) {
    case 0: return pointer_arg();
    case 1: return length_arg();
    case 2: return (long)below(10);
    default: return (long)rnd();
    }
}

/// A call number: mostly a real one, exit excluded; often an invalid one.
long sysno() {
    for (;;) {
        long n;
        switch (below(8)) {
        case 0: n = SYS_COUNT + (long)below(8); break;  // just past the table
        case 1: n = -1 - (long)below(4); break;          // negative
        case 2: n = (long)rnd(); break;                   // anything (its low half may be a real one)
        default: n = (long)below(SYS_COUNT); break;
        }
        // The kernel must not take a high bit for nothing: with the low 32
        // bits 0 a number truncated by the kernel would be exit, and the run
        // would end; keep those out (the whole value is still checked).
        if ((unsigned long)n % (1ull << 32) == SYS_exit) continue;
        if (n == SYS_thread_exit) continue;  // would end this (the first) thread
        return n;
    }
}

bool valid_pointer(long p) {
    unsigned long u = (unsigned long)p;
    return (u >= (unsigned long)buf && u < (unsigned long)buf + sizeof buf) ||
           (u >= (unsigned long)nonul && u < (unsigned long)nonul + sizeof nonul) ||
           (u >= (unsigned long)ro_bytes && u < (unsigned long)ro_bytes + sizeof ro_bytes) ||
           (u >= text_lo && u < text_lo + PAGE) || (u >= data_end - PAGE && u < data_end);
}

/// May getname() write 8 bytes at @p p? Not over a variable of this program
/// (the stack's top 8 bytes are padding or main()'s return address, unused).
bool writable(long p) {
    unsigned long u = (unsigned long)p;
    if (u >= (unsigned long)buf && u + 8 <= (unsigned long)buf + sizeof buf) return true;
    if (u >= seg_end && u < data_end) return true;
    return u + 8 <= data_lo || u >= data_end;
}

/// Does [@p p, @p p + @p n) lie in user space? (The kernel's user_range_ok().)
bool in_user(long p, long n) {
    unsigned long u = (unsigned long)p, len = (unsigned long)n;
    return u >= USER_BASE_ADDR && u < USER_END_ADDR && len <= USER_END_ADDR - u;
}

/// A thread of its own: a few harmless calls, then its argument back.
long thread_body(long value) {
    char name[16];
    for (int i = 0; i < 8; ++i) {
        sys::getcpu();
        sys::getname(name, sizeof name);
        sys::write((const char*)(USER_END_ADDR + 8), 8);  // refused
        sys::yield();
    }
    return value;
}

/// Its threads not joined yet, and what each will return.
constexpr int MAX_THREADS = 8;  // PROC_THREADS_MAX (config.h) counts the first thread too
constexpr int MAX_THREADS_MADE = 2;
int threads_made;
long tids[MAX_THREADS], tvalue[MAX_THREADS];
int nthreads;
bool thread_limit;

void forget_thread(long tid, long r) {
    for (int i = 0; i < nthreads; ++i)
        if (tids[i] == tid) {
            if (r != tvalue[i] && ++wrong <= 5)
                sys::print("fuzz: pid %d: thread_join(%d) = %d, want %d: WRONG", my_pid, tid, r, tvalue[i]);
            --nthreads;
            tids[i] = tids[nthreads];
            tvalue[i] = tvalue[nthreads];
            return;
        }
}

/// Does @p p fall in one of its mmap() areas or the gap page after it?
bool in_maps(long p) {
    unsigned long u = (unsigned long)p;
    for (int i = 0; i < nmaps; ++i)
        if (u >= maps[i].addr && u < maps[i].addr + maps[i].len + PAGE) return true;
    return false;
}

/// An address outside user space, from the pointer classes.
long outside_user() {
    for (;;) {
        long p = pointer_arg();
        if (!in_user(p, 1)) return p;
    }
}

void forget_child(long pid, long status) {
    for (int i = 0; i < nchildren; ++i)
        if (children[i] == pid) {
            if (expect[i] >= 0 && status != expect[i] && ++wrong <= 5)
                sys::print("fuzz: pid %d: child %d exit status %d, want %d: WRONG", my_pid, pid, status, expect[i]);
            --nchildren;
            children[i] = children[nchildren];
            expect[i] = expect[nchildren];
            if (status >= 128 && status < 256) ++child_faults;
            else if ((status >= 0 && status < 128) || status >= NORMAL) ++child_normal;
            else ++child_other;
            return;
        }
}

// Result classes of the summary line.
enum { R_OK, R_EFAULT, R_EINVAL, R_ENOSYS, R_ECHILD, R_ENOENT, R_ENAMETOOLONG, R_EAGAIN, R_ESRCH, R_OTHER, R_COUNT };
long results[R_COUNT];

void count(long r) {
    int c = r >= 0 ? R_OK
            : r == -EFAULT ? R_EFAULT
            : r == -EINVAL ? R_EINVAL
            : r == -ENOSYS ? R_ENOSYS
            : r == -ECHILD ? R_ECHILD
            : r == -ENOENT ? R_ENOENT
            : r == -ENAMETOOLONG ? R_ENAMETOOLONG
            : r == -EAGAIN ? R_EAGAIN
            : r == -ESRCH ? R_ESRCH
                           : R_OTHER;
    ++results[c];
}

long cpu_mask;

/// A vector for INT mode: any but i686's system-call gate.
long int_vector() {
    for (;;) {
        long v = (long)below(256);
#if !defined(__x86_64__)
        if (v == 0x80) continue;
#endif
        return v;
    }
}
unsigned short user_ds;  // the data selector the kernel gave this program

/// The little that is known for sure about an answer: a pointer outside
/// user space (a range for write) is refused with -EFAULT (getname may
/// first refuse a short length with -EINVAL). A kernel that read or wrote
/// kernel memory for the caller would answer otherwise.
void oracle(long n, const long* a, long r) {
    bool ok = true;
    if (n == SYS_write && !in_user(a[0], a[1])) ok = r == -EFAULT;
    else if (n == SYS_spawn && !in_user(a[0], 1)) ok = r == -EFAULT;
    else if (n == SYS_getname && !in_user(a[0], 1)) ok = r == -EFAULT || r == -EINVAL;
    else if (n == SYS_thread && !in_user(a[0], 1)) ok = r == -EFAULT;
    else if (n == SYS_onfault && a[0] && !in_user(a[0], 1)) ok = r == -EFAULT;
    else if (n == SYS_munmap && !in_user(a[0], a[1])) ok = r == -EINVAL;
    else if (n == SYS_mmap && ((unsigned long)a[0] > (1ul << 20) || !a[0])) ok = r == -EINVAL;
    if (ok) return;
    if (++wrong <= 5) sys::print("fuzz: pid %d: call %d (0x%x, 0x%x) answered %d: WRONG", my_pid, n, a[0], a[1], r);
}

/// One random call; the arguments a call number may not get are changed here.
void one_call() {
    long n = sysno(), a[6];
    for (long& x : a) x = any_arg();
    long real = -1;  // index into REAL when this is a spawn of a real program
    bool new_thread = false;  // a thread() of thread_body
    switch (n) {
    case SYS_write:
        a[0] = pointer_arg();
        a[1] = length_arg();
        if (valid_pointer(a[0]) && below(64)) a[0] = (long)(USER_END_ADDR - 1 - below(16));
        break;
    case SYS_sleep:
        a[0] = below(4) ? (long)below(3) : any_arg();
        // The timer wakes a sleeper at its next tick (up to a timeslice
        // late): a valid length is 0, or 1 ms once in 32 calls.
        if (a[0] >= 0 && a[0] <= 10000) a[0] = !below(32);
        break;
    case SYS_spawn:
        if (!leaf && nchildren < MAX_CHILDREN && !below(16)) {
            real = (long)below(sizeof REAL / sizeof *REAL);
            a[0] = (long)REAL[real];
            if (real == 2) a[1] = 1 + (long)below(6);   // fault: one fault (6: none, exit 99)
            else if (real == 3) a[1] = LEAF | (long)(below(256) << SEED_SHIFT) | 64;
            else if (real == 4) a[1] = INT | (below(4) ? (long)int_vector() : below(2) ? INT_THREAD : INT_UNMAP);
        } else {
            a[0] = below(2) ? (long)NAMES[below(sizeof NAMES / sizeof *NAMES)] : pointer_arg();
            // getname() may have left "fuzz" where a drawn pointer points (in
            // buf, at the stack's top): its child is then a small leaf. The
            // kernel only passes this argument on, so nothing is lost.
            a[1] = LEAF | (long)(below(256) << SEED_SHIFT) | (long)below(65);
        }
        break;
    case SYS_wait:
        switch (below(4)) {
        case 0: a[0] = my_pid; break;
        case 1: a[0] = nchildren ? children[below(nchildren)] : my_pid + 1; break;
        case 2: a[0] = (long)below(40); break;
        default: a[0] = any_arg(); break;
        }
        // Only one of its own children makes it wait, and that one is short.
        break;
    case SYS_getname:
        a[0] = pointer_arg();
        a[1] = length_arg();
        // It writes (its name, 5 bytes): not over this program's variables.
        if (!writable(a[0])) a[0] = (long)(buf + below(sizeof buf - 8));
        break;
    case SYS_thread:
        // A real thread now and then, two in its life: a thread counts
        // against USER_THREADS_MAX (the machine's) until its process is
        // reaped, and one fuzzer per CPU must stay under it. Else an entry
        // outside user space, which must be refused: one inside it but
        // unmapped would be accepted and kill the process.
        if (!leaf && !thread_limit && threads_made < MAX_THREADS_MADE && !below(8)) {
            new_thread = true;
            a[0] = (long)&thread_entry;
            a[1] = (long)thread_body;
            a[2] = (long)below(1000);
        } else {
            a[0] = outside_user();
        }
        break;
    case SYS_thread_join:
        switch (below(3)) {
        case 0: a[0] = nthreads ? tids[below(nthreads)] : 1; break;
        case 1: a[0] = (long)below(10); break;  // 0 (the first thread: itself), joined ones, none yet
        default: a[0] = any_arg(); break;
        }
        break;
    case SYS_futex_wait:
        // Its third argument 0 means no time limit: on a word that holds
        // the expected value (an mmap area's zeros) nobody would ever wake
        // it. A valid limit is 1 or 2 ms; the others must be refused.
        if ((unsigned long)a[2] <= 10000) a[2] = 1 + (long)below(2);
        break;
    case SYS_mmap:
        a[0] = below(4) ? (long)(1 + below(3 * PAGE)) : !below(4) ? (long)(1l << 20) : length_arg();
        break;
    case SYS_munmap:
        // Its own areas (whole, part, past their end into the gap), or
        // addresses that must be refused; never its image or stack.
        if (nmaps && below(3)) {
            const Map& m = maps[below(nmaps)];
            a[0] = (long)(m.addr + PAGE * below(m.len / PAGE + 1) + (below(8) ? 0 : 1 + below(PAGE - 1)));
            a[1] = below(8) ? (long)(1 + below(m.len + 2 * PAGE)) : length_arg();
        } else {
            a[0] = below(2) ? outside_user() : (long)((USER_BASE_ADDR + 0x10000000) & ~(PAGE - 1));
            a[1] = length_arg();
        }
        if (in_user(a[0], 1) && !in_maps(a[0]) && (unsigned long)a[0] != ((USER_BASE_ADDR + 0x10000000) & ~(PAGE - 1)))
            a[0] = outside_user();
        break;
    default: break;
    }
    // One call in 16 with a stack pointer from the pointer classes: every
    // entry from ring 3 switches to the kernel's own stack, so the user's
    // may be anything while the call runs, however long it blocks.
    long r = below(16) ? call6(n, a, random_flags(), below(4) ? user_ds : 0)
                       : call6_sp(n, a, (unsigned long)pointer_arg());
    ++my_calls;
    count(r);
    oracle(n, a, r);
    if (n == SYS_getcpu && r >= 0) cpu_mask |= 1l << (r % 16);
    if (n == SYS_spawn && r > 0) {
        if (real < 0) {
            // A name from the classes matched a program: note it and wait below.
            sys::print("fuzz: pid %d: spawn of a drawn name started pid %d", my_pid, r);
        }
        if (nchildren < MAX_CHILDREN) {
            expect[nchildren] = real != 4 ? -1 : (a[1] & (INT_THREAD | INT_UNMAP)) ? PF_KILLED : GP_KILLED;
            children[nchildren++] = r;
        }
        else forget_child(r, sys::wait(r));
    }
    if (n == SYS_wait && r != -ECHILD) forget_child(a[0], r);
    if (n == SYS_thread && new_thread) {
        if (r > 0) ++threads_made;
        // Memory is plentiful here: only a limit may refuse a thread.
        if (r <= 0 && r != -EAGAIN && ++wrong <= 5)
            sys::print("fuzz: pid %d: thread() of a valid entry = %d: WRONG", my_pid, r);
        if (r > 0 && nthreads < MAX_THREADS) {
            tids[nthreads] = r;
            tvalue[nthreads++] = a[2];
        }
        if (r == -EAGAIN) thread_limit = true;  // the limit said so (one warning): no more tries
    }
    if (n == SYS_thread_join) forget_thread(a[0], r);
    if (n == SYS_mmap && r > 0 && nmaps < 16) maps[nmaps++] = Map{(unsigned long)r, (unsigned long)a[0]};
}

[[noreturn]] void fuzz(long arg) {
    long calls = arg & CALLS_MASK, seed = (arg >> SEED_SHIFT) & SEED_MASK;
    leaf = arg & LEAF;
    my_pid = sys::getpid();
    rng_state = 0x9E3779B97F4A7C15ull ^ (unsigned long long)(seed ? seed : my_pid) * 0xBF58476D1CE4E5B9ull;
    for (int i = 0; i < 8; ++i) rnd();
    find_segments();
    for (unsigned long i = 0; i < sizeof nonul; ++i) ((volatile char*)nonul)[i] = 'a';
    // buf holds random bytes: a line written from it may hold any byte
    // (newlines, escapes, NULs), which must not reach the log as they are.
    for (unsigned long i = 0; i < sizeof buf; ++i) ((volatile char*)buf)[i] = (char)rnd();
    // The data segment's last bytes (beyond .bss, zeroed by the kernel)
    // have no NUL either: a name read from there runs into the unmapped page.
    for (unsigned long p = seg_end; p < data_end; ++p) *(volatile char*)p = 'a';
    cpu_mask = 1l << (sys::getcpu() % 16);
    asm volatile("mov %%ds, %0" : "=r"(user_ds));
#if defined(__x86_64__)
    user_ds = SEL_UDATA;  // DS may be null in 64-bit mode; FS and GS get the real one
#endif
    for (long i = 0; i < calls; ++i) one_call();
    while (nchildren) forget_child(children[0], sys::wait(children[0]));
    while (nthreads) forget_thread(tids[0], sys::thread_join(tids[0]));
    sys::print("fuzz: pid %d seed %d: %d calls: ok %d fault %d inval %d nosys %d child %d noent %d "
               "toolong %d again %d srch %d other %d; kids %d/%d/%d; cpus 0x%x",  // kids: normal/faulted/other
               my_pid, seed, my_calls, results[R_OK], results[R_EFAULT], results[R_EINVAL], results[R_ENOSYS],
               results[R_ECHILD], results[R_ENOENT], results[R_ENAMETOOLONG], results[R_EAGAIN], results[R_ESRCH], results[R_OTHER],
               child_normal, child_faults, child_other, cpu_mask);
    if (wrong) sys::print("fuzz: pid %d: %d answers WRONG", my_pid, wrong);
    sys::exit(wrong ? 3 : (int)(NORMAL | cpu_mask));
}

/// Start one fuzzer per online CPU and wait for them all.
[[noreturn]] void parent(long arg) {
    long ncpu = sys::ncpus();
    long k = ncpu < MAX_KIDS ? ncpu : MAX_KIDS;
    long calls = (arg & CALLS_MASK) / k, seed = (arg >> SEED_SHIFT) & SEED_MASK;
    long pids[MAX_KIDS];
    // Child i's seed: 1..255, a different set for every parent seed (never 0,
    // which would mean the pid and a run that cannot be repeated).
    for (long i = 0; i < k; ++i) pids[i] = sys::spawn("fuzz", ((1 + (seed + 37 * i) % 255) << SEED_SHIFT) | calls);
    long normal = 0, mask = 0, bad = 0;
    for (long i = 0; i < k; ++i) {
        long st = pids[i] > 0 ? sys::wait(pids[i]) : pids[i];
        if (st >= NORMAL && st < 2 * NORMAL) {
            ++normal;
            mask |= st & 0xFFFF;
        } else {
            ++bad;
            sys::print("fuzz: child %d (pid %d) ended with status %d", i, pids[i], st);
        }
    }
    long all = ncpu >= 16 ? 0xFFFF : (1l << ncpu) - 1;
    sys::print("fuzz: %d fuzzers of %d calls: %d ended normally, %d not; cpus seen 0x%x of 0x%x", k, calls, normal,
               bad, mask, all);
    sys::exit((bad ? 1 : 0) | (mask == all ? 0 : 2));
}

// 256 stubs of 4 bytes: INT n, RET (INT's operand is an immediate).
asm(".pushsection .text\n"
    ".balign 4\n"
    "fuzz_int_table:\n"
    ".set fuzz_vec, 0\n"
    ".rept 256\n"
    ".balign 4\n"
    "int $fuzz_vec\n"
    "ret\n"
    ".set fuzz_vec, fuzz_vec + 1\n"
    ".endr\n"
    ".popsection");
extern "C" char fuzz_int_table[];

/// INT mode: ring 3 raises vector @p v (or dies the INT_THREAD or
/// INT_UNMAP way); it should not come back.
[[noreturn]] void raise_int(long v) {
    if (v & INT_THREAD) {
        long tid = sys::call(SYS_thread, (long)(USER_BASE_ADDR + 0x10000000), 0, 0);
        sys::print("fuzz: thread at an unmapped entry: tid %d", tid);
        sys::thread_join(tid);  // the process is killed while this waits
        v = INT_THREAD;
    } else if (v & INT_UNMAP) {
        find_segments();
        sys::munmap((void*)text_lo, text_hi - text_lo);  // all its code: the return from the call faults
        v = INT_UNMAP;
    } else {
        ((void (*)())(fuzz_int_table + 4 * v))();
    }
    sys::print("fuzz: int 0x%x came back", v);
    sys::exit(99);
}

}  // namespace

extern "C" int main(long arg) {
    // Never return: a system call may have written over main()'s return
    // address or its arguments on the stack (the straddle at the stack's top).
    if (arg & INT) raise_int(arg & (0xFF | INT_THREAD | INT_UNMAP));
    if (arg & PARENT) parent(arg);
    fuzz(arg);
}
