/*
 * What the small static guest programs of tests/vm need, without a C library: Linux
 * x86-64 system calls, a few string helpers and Moat's vmmcall (the native kernel-call
 * ABI: rax = MOAT_KCALL_* number, rdi = argument, result in rax; docs/vm.md). Each
 * program defines main(argc, argv); _start below calls it and exits with its result.
 */
#ifndef MOAT_TESTS_VM_GUEST_H
#define MOAT_TESTS_VM_GUEST_H

#include <stddef.h>
#include <stdint.h>

#define SYS_read       0
#define SYS_write      1
#define SYS_open       2
#define SYS_close      3
#define SYS_mmap       9
#define SYS_rt_sigaction 13
#define SYS_rt_sigreturn 15
#define SYS_ioperm     173
#define SYS_iopl       172
#define SYS_exit_group 231

static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long sys3(long n, long a, long b, long c)
{
    return sys6(n, a, b, c, 0, 0, 0);
}

static inline size_t g_strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

static inline void g_puts(const char *s)
{
    (void)sys3(SYS_write, 1, (long)s, (long)g_strlen(s));
}

static inline void g_puthex(uint64_t v)
{
    char buf[19];
    buf[0] = '0';
    buf[1] = 'x';
    int n = 2;
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 0xfu) == 0u) {
        shift -= 4;
    }
    for (; shift >= 0; shift -= 4) {
        buf[n++] = "0123456789abcdef"[(v >> shift) & 0xfu];
    }
    buf[n] = '\0';
    g_puts(buf);
}

static inline void g_putdec(int64_t v)
{
    char buf[24];
    int n = 23;
    uint64_t u = v < 0 ? (uint64_t)(-(v + 1)) + 1u : (uint64_t)v;
    buf[n] = '\0';
    do {
        buf[--n] = (char)('0' + (int)(u % 10u));
        u /= 10u;
    } while (u != 0u);
    if (v < 0) {
        buf[--n] = '-';
    }
    g_puts(&buf[n]);
}

static inline int g_streq(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* Decimal, or hexadecimal with 0x; *ok = 0 on anything else. */
static inline uint64_t g_parse(const char *s, int *ok)
{
    uint64_t v = 0;
    unsigned base = 10;
    *ok = *s != '\0';
    if (s[0] == '0' && s[1] == 'x') {
        base = 16;
        s += 2;
        *ok = *s != '\0';
    }
    for (; *s != '\0'; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9') {
            d = (unsigned)(*s - '0');
        } else if (base == 16 && *s >= 'a' && *s <= 'f') {
            d = (unsigned)(*s - 'a' + 10);
        } else {
            *ok = 0;
            return 0;
        }
        if (d >= base) {
            *ok = 0;
            return 0;
        }
        v = v * base + d;
    }
    return v;
}

/* Moat's kernel call from a VM. */
static inline int64_t moat_vmmcall(uint64_t number, uint64_t arg)
{
    int64_t ret;
    __asm__ volatile("vmmcall" : "=a"(ret) : "a"(number), "D"(arg) : "memory");
    return ret;
}

int main(int argc, char **argv);

__attribute__((noreturn, used)) static void g_start_c(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    int status = main(argc, argv);
    for (;;) {
        (void)sys3(SYS_exit_group, status, 0, 0);
    }
}

__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call g_start_c\n");

#endif
