/* Prints every CPUID leaf and subleaf this CPU reports, in the format of
 * the files in tests/data/cpuid/: one line per (leaf, subleaf), six hex columns
 * "leaf subleaf eax ebx ecx edx". tools/record-cpuid runs it (built static,
 * 64- or 32-bit) under qemu-user with a chosen -cpu model. Which leaves and
 * subleaves are asked for is src/cpuidwalk.h's walk, shared with the kernel's
 * `test=cpuid_dump`, which records the same lines under qemu-system. */
#include <stdint.h>
#include "../src/cpuidwalk.h"

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

static void query(uint32_t leaf, uint32_t sub, uint32_t r[4], void* ctx) {
    (void)ctx;
    struct regs x = cpuid(leaf, sub);
    r[0] = x.a, r[1] = x.b, r[2] = x.c, r[3] = x.d;
}

static void put_walk(uint32_t leaf, uint32_t sub, const uint32_t r[4], void* ctx) {
    (void)ctx;
    struct regs x = {r[0], r[1], r[2], r[3]};
    put(leaf, sub, x);
}

void dump_main(void) {
    if (!has_cpuid()) {
        puts_raw("# no CPUID instruction\n");
        return;
    }
    cpuidwalk(query, put_walk, 0);
}
