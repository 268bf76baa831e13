/*
 * snprintf/vsnprintf of the SDK libc against the host's: every case is formatted by both
 * into buffers of every size from 0 to past the full length, and the bytes written and
 * the return values must match.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "libc_names.h"

#define BUF_MAX 256

/* Compare both implementations for buffer sizes 0..full+2; the canary must survive. */
#define CHECK_FMT(...)                                                                             \
    do {                                                                                           \
        char expect[BUF_MAX];                                                                      \
        int expect_len = snprintf(expect, sizeof(expect), __VA_ARGS__);                            \
        assert_true(expect_len >= 0 && expect_len < BUF_MAX - 4);                                  \
        for (size_t size = 0; size <= (size_t)expect_len + 2; size++) {                            \
            char host[BUF_MAX];                                                                    \
            char ours[BUF_MAX];                                                                    \
            memset(host, 'Z', sizeof(host));                                                       \
            memset(ours, 'Z', sizeof(ours));                                                       \
            int host_len = snprintf(host, size, __VA_ARGS__);                                      \
            int our_len = moat_libc_snprintf(ours, size, __VA_ARGS__);                             \
            assert_int_equal(our_len, host_len);                                                   \
            assert_memory_equal(ours, host, sizeof(host));                                         \
        }                                                                                          \
    } while (0)

static void formats_signed_decimal_like_glibc(void **state)
{
    (void)state;
    CHECK_FMT("%d", 0);
    CHECK_FMT("%d", 42);
    CHECK_FMT("%d", -42);
    CHECK_FMT("%i", INT_MAX);
    CHECK_FMT("%i", INT_MIN);
    CHECK_FMT("%ld", LONG_MAX);
    CHECK_FMT("%ld", LONG_MIN);
    CHECK_FMT("%lld", LLONG_MIN);
    CHECK_FMT("%lld", LLONG_MAX);
    CHECK_FMT("%hhd", 300);
    CHECK_FMT("%hd", 70000);
    CHECK_FMT("%zd", (ssize_t)-5);
    CHECK_FMT("%jd", (intmax_t)-9);
    CHECK_FMT("%td", (ptrdiff_t)-77);
    CHECK_FMT("%+d %+d % d % d", 5, -5, 5, -5);
}

static void formats_unsigned_and_hex_like_glibc(void **state)
{
    (void)state;
    CHECK_FMT("%u", 0u);
    CHECK_FMT("%u", UINT_MAX);
    CHECK_FMT("%lu", ULONG_MAX);
    CHECK_FMT("%llu", ULLONG_MAX);
    CHECK_FMT("%zu", SIZE_MAX);
    CHECK_FMT("%x %X", 0xdeadbeefu, 0xdeadbeefu);
    CHECK_FMT("%lx", 0x0123456789abcdefUL);
    CHECK_FMT("%llX", 0xfedcba9876543210ULL);
    CHECK_FMT("%zx", (size_t)4096);
    CHECK_FMT("%#x %#X %#x", 255u, 255u, 0u);
    CHECK_FMT("%o %#o %#o", 8u, 8u, 0u);
    CHECK_FMT("%hhx %hx", 0x1ffu, 0x1ffffu);
}

static void pads_with_width_zero_and_minus_like_glibc(void **state)
{
    (void)state;
    CHECK_FMT("[%5d]", 42);
    CHECK_FMT("[%-5d]", 42);
    CHECK_FMT("[%05d]", 42);
    CHECK_FMT("[%05d]", -42);
    /* The 0 flag is ignored with - (through a variable: gcc warns about the literal). */
    const char *minus_zero = "[%-05d]";
    CHECK_FMT(minus_zero, -42);
    CHECK_FMT("[%08x]", 0xbeefu);
    CHECK_FMT("[%#08x]", 0xbeefu);
    CHECK_FMT("[%016llx]", 1ULL);
    CHECK_FMT("[%2d]", 12345);
    CHECK_FMT("[%*d]", 6, 7);
    CHECK_FMT("[%*d]", -6, 7);
    CHECK_FMT("[%+05d]", 3);
    CHECK_FMT("[% 5d]", 3);
    CHECK_FMT("[%10s][%-10s]", "ab", "cd");
    CHECK_FMT("[%3c][%-3c]", 'x', 'y');
    CHECK_FMT("[%c%c%c]", 'a', 'b', 'c');
}

static void honours_precision_like_glibc(void **state)
{
    (void)state;
    CHECK_FMT("[%.3s]", "abcdef");
    CHECK_FMT("[%.0s]", "abc");
    CHECK_FMT("[%10.2s]", "abc");
    CHECK_FMT("[%-10.2s]", "abc");
    CHECK_FMT("[%.*s]", 4, "abcdefgh");
    CHECK_FMT("[%.*s]", -1, "abc");
    CHECK_FMT("[%.5d]", 42);
    CHECK_FMT("[%.5d]", -42);
    CHECK_FMT("[%8.5d]", -42);
    /* The 0 flag is ignored when a precision is given. */
    const char *zero_prec = "[%08.5d]";
    CHECK_FMT(zero_prec, 42);
    CHECK_FMT("[%.0d]", 0);
    CHECK_FMT("[%5.0d]", 0);
    CHECK_FMT("[%.0x]", 0u);
    CHECK_FMT("[%#.0o]", 0u);
    CHECK_FMT("[%#.3x]", 1u);
}

static void formats_pointers_strings_and_percent_like_glibc(void **state)
{
    (void)state;
    int x = 0;
    CHECK_FMT("%p", (void *)&x);
    CHECK_FMT("%p", (void *)0x1000);
    CHECK_FMT("[%20p]", (void *)0xabc);
    CHECK_FMT("[%-20p]", (void *)0xabc);
    CHECK_FMT("%p", (void *)0);
    CHECK_FMT("%s", "");
    CHECK_FMT("%s=%d%%", "load", 99);
    CHECK_FMT("%%%%");
    CHECK_FMT("no conversions at all");
    CHECK_FMT("%s %s %s %u %x", "mixed", "args", "here", 7u, 255u);
}

static void returns_full_length_and_terminates_when_truncating(void **state)
{
    (void)state;
    char buf[8];
    memset(buf, 'Z', sizeof(buf));
    assert_int_equal(moat_libc_snprintf(buf, 4, "%s", "abcdef"), 6);
    assert_string_equal(buf, "abc");
    assert_int_equal(buf[4], 'Z');
    /* size 0: nothing written, NULL buffer allowed. */
    assert_int_equal(moat_libc_snprintf(NULL, 0, "%d-%d", 10, 20), 5);
    memset(buf, 'Z', sizeof(buf));
    assert_int_equal(moat_libc_snprintf(buf, 0, "x"), 1);
    assert_int_equal(buf[0], 'Z');
    assert_int_equal(moat_libc_snprintf(buf, 1, "xyz"), 3);
    assert_int_equal(buf[0], '\0');
}

static int call_vsnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int call_vsnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = moat_libc_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void vsnprintf_reads_the_callers_va_list(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(call_vsnprintf(buf, sizeof(buf), "%s:%lu:%c", "a", 123456789UL, 'z'), 13);
    assert_string_equal(buf, "a:123456789:z");
}

static void prints_unknown_conversions_and_a_trailing_percent_literally(void **state)
{
    (void)state;
    char buf[32];
    const char *fmt = "a%";
    assert_int_equal(moat_libc_snprintf(buf, sizeof(buf), fmt), 2);
    assert_string_equal(buf, "a%");
    const char *fmt2 = "%q!";
    assert_int_equal(moat_libc_snprintf(buf, sizeof(buf), fmt2), 3);
    assert_string_equal(buf, "%q!");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats_signed_decimal_like_glibc),
        cmocka_unit_test(formats_unsigned_and_hex_like_glibc),
        cmocka_unit_test(pads_with_width_zero_and_minus_like_glibc),
        cmocka_unit_test(honours_precision_like_glibc),
        cmocka_unit_test(formats_pointers_strings_and_percent_like_glibc),
        cmocka_unit_test(returns_full_length_and_terminates_when_truncating),
        cmocka_unit_test(vsnprintf_reads_the_callers_va_list),
        cmocka_unit_test(prints_unknown_conversions_and_a_trailing_percent_literally),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
