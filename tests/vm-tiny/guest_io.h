/*
 * What the test guests (tests/vm-tiny/tiny.c, tests/vm-attack/attack.c) share: the
 * kernel call (vmmcall) and output on the emulated COM1, which the kernel logs under
 * the VM's label, and the 64-bit division a 32-bit guest needs. Included by one
 * file of each guest; the output functions are static inline so a guest may leave
 * some unused.
 */
#ifndef MOAT_TESTS_GUEST_IO_H
#define MOAT_TESTS_GUEST_IO_H

#include <stdbool.h>
#include <stdint.h>

#include <moat/ioport.h>

/* 64-bit division for the 32-bit build (the compiler's runtime is not linked). */
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
static uint64_t divmod(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0;
    uint64_t r = 0;
    for (int bit = 63; bit >= 0; bit--) {
        r = (r << 1) | ((n >> bit) & 1u);
        if (r >= d) {
            r -= d;
            q |= 1ull << bit;
        }
    }
    *rem = r;
    return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
    uint64_t r;
    return divmod(n, d, &r);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
    uint64_t r;
    (void)divmod(n, d, &r);
    return r;
}

static inline int32_t vmmcall(uint32_t number, uint32_t arg)
{
    uint32_t r;
    __asm__ volatile("vmmcall" : "=a"(r) : "a"(number), "D"(arg) : "memory");
    return (int32_t)r;
}

static inline void putc(char c)
{
    moat_outb(0x3f8, (uint8_t)c);
}

static inline void puts(const char *s)
{
    while (*s != '\0') {
        putc(*s++);
    }
}

static inline void putu(uint64_t v)
{
    char buf[20];
    uint32_t n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0u) {
        putc(buf[--n]);
    }
}

static inline void puthex(uint64_t v)
{
    puts("0x");
    bool started = false;
    for (int shift = 60; shift >= 0; shift -= 4) {
        uint32_t d = (uint32_t)(v >> shift) & 0xfu;
        if (d != 0u || started || shift == 0) {
            putc("0123456789abcdef"[d]);
            started = true;
        }
    }
}

static inline void puti(int32_t v)
{
    if (v < 0) {
        putc('-');
        putu((uint64_t)(-(int64_t)v));
    } else {
        putu((uint64_t)v);
    }
}

#endif /* MOAT_TESTS_GUEST_IO_H */
