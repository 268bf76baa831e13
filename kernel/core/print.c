/*
 * Debug-console output for the core: strings and integers, no format strings, so
 * nothing here walks a variable argument list.
 */
#include "core.h"

void print_str(const char *s)
{
    for (uint32_t i = 0; i < 256u && s[i] != '\0'; i++) {
        arch_console_putc(s[i]);
    }
}

void print_dec(uint64_t v)
{
    char buf[20];
    uint32_t n = 0;
    do {
        buf[n++] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v != 0u && n < sizeof(buf));
    while (n > 0u) {
        arch_console_putc(buf[--n]);
    }
}

void print_hex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    bool started = false;
    print_str("0x");
    for (uint32_t shift = 64; shift > 0u; shift -= 4u) {
        uint32_t d = (uint32_t)((v >> (shift - 4u)) & 0xfu);
        if (d != 0u || started || shift == 4u) {
            arch_console_putc(digits[d]);
            started = true;
        }
    }
}

void print_nl(void)
{
    arch_console_putc('\n');
}
