/* Prints every CPUID leaf and subleaf this CPU reports, in the format of
 * the files in tests/data/cpuid/: one line per (leaf, subleaf), six hex columns
 * "leaf subleaf eax ebx ecx edx". tools/record-cpuid runs it (built static,
 * 64- or 32-bit) under qemu-user with a chosen -cpu model.
 *
 * Only leaves up to the reported maximum are asked for (leaf 0 EAX,
 * leaf 0x80000000 EAX): out of range, Intel CPUs answer with the data of the
 * highest basic leaf (SDM Vol. 2A, CPUID, "If a value entered for CPUID.EAX is
 * higher than the maximum input value..."), which is not worth recording. */
#include <stdint.h>

/* No C library: Debian's static 32-bit libc needs an i686 (CMOV), and the
 * 486 and Pentium models have none. Output and exit go straight to Linux
 * system calls, so the one source builds with -m32 -march=i486 too. */
#if defined(__i386__)
__asm__(".globl _start\n_start:\n\tandl $-16, %esp\n\tcall dump_main\n"
        "\tmovl $1, %eax\n\txorl %ebx, %ebx\n\tint $0x80\n");
static void sys_write(const char* p, uint32_t n) {
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(4), "b"(1), "c"(p), "d"(n) : "memory");
}
#else
__asm__(".globl _start\n_start:\n\tandq $-16, %rsp\n\tcall dump_main\n"
        "\tmovl $60, %eax\n\txorl %edi, %edi\n\tsyscall\n");
static void sys_write(const char* p, uint32_t n) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(1), "D"(1), "S"(p), "d"(n) : "rcx", "r11", "memory");
}
#endif

static void puts_raw(const char* s) {
    uint32_t n = 0;
    while (s[n]) n++;
    sys_write(s, n);
}

struct regs { uint32_t a, b, c, d; };

static struct regs cpuid(uint32_t leaf, uint32_t sub) {
    struct regs r;
    __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
    return r;
}

/* EFLAGS.ID (bit 21) can be toggled only when the CPU has CPUID
 * (SDM Vol. 1 20.1.1). Every x86-64 CPU has it. */
static int has_cpuid(void) {
#if defined(__i386__)
    uint32_t before, after;
    __asm__ volatile("pushfl\n\tpopl %0\n\tmovl %0, %1\n\txorl $0x200000, %1\n\t"
                     "pushl %1\n\tpopfl\n\tpushfl\n\tpopl %1\n\tpushl %0\n\tpopfl"
                     : "=&r"(before), "=&r"(after));
    return ((before ^ after) & 0x200000u) != 0;
#else
    return 1;
#endif
}

static void put(uint32_t leaf, uint32_t sub, struct regs r) {
    const uint32_t v[6] = {leaf, sub, r.a, r.b, r.c, r.d};
    char line[6 * 9];
    for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 8; j++) line[i * 9 + j] = "0123456789abcdef"[v[i] >> (28 - 4 * j) & 0xf];
        line[i * 9 + 8] = i == 5 ? '\n' : ' ';
    }
    sys_write(line, sizeof line);
}

/* Leaves whose subleaves are walked, and how far (SDM Vol. 2A, CPUID). */
static void leaf_with_subleaves(uint32_t leaf) {
    struct regs r0 = cpuid(leaf, 0);
    put(leaf, 0, r0);
    uint32_t s;
    switch (leaf) {
    case 4: case 0x8000001d:          /* cache parameters: until type == 0 */
        for (s = 1; s < 16 && (cpuid(leaf, s - 1).a & 0x1f) != 0; s++) put(leaf, s, cpuid(leaf, s));
        break;
    case 7: case 0x14: case 0x17: case 0x18: case 0x1d:  /* EAX of subleaf 0 = max subleaf */
        for (s = 1; s <= r0.a && s < 32; s++) put(leaf, s, cpuid(leaf, s));
        break;
    case 0xb: case 0x1f:              /* topology levels: until level type == 0 */
        for (s = 1; s < 8 && ((cpuid(leaf, s - 1).c >> 8) & 0xff) != 0; s++) put(leaf, s, cpuid(leaf, s));
        break;
    case 0xd: {                       /* XSAVE: subleaf 1, then each component present */
        struct regs r1 = cpuid(leaf, 1);
        put(leaf, 1, r1);
        uint64_t mask = ((uint64_t)r0.d << 32 | r0.a) | ((uint64_t)r1.d << 32 | r1.c);
        for (s = 2; s < 64; s++)
            if (mask >> s & 1) put(leaf, s, cpuid(leaf, s));
        break;
    }
    default:
        break;
    }
}

void dump_main(void) {
    if (!has_cpuid()) {
        puts_raw("# no CPUID instruction\n");
        return;
    }
    uint32_t max = cpuid(0, 0).a;
    for (uint32_t l = 0; l <= max && l < 0x100; l++) leaf_with_subleaves(l);
    /* Leaf 0x80000000 is always recorded: its EAX tells whether any
     * extended leaf exists at all (< 0x80000000 means none). */
    struct regs e = cpuid(0x80000000, 0);
    put(0x80000000, 0, e);
    if (e.a > 0x80000000u && e.a < 0x80000100u)
        for (uint32_t l = 0x80000001; l <= e.a; l++) leaf_with_subleaves(l);
}
