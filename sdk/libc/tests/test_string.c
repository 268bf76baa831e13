/*
 * The SDK libc's memory and string functions against the host's, on overlapping
 * copies, every alignment and length, and the edge cases (empty strings, n = 0).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "libc_names.h"

static int sign(int v)
{
    return v < 0 ? -1 : (v > 0 ? 1 : 0);
}

static void memmove_handles_every_overlap(void **state)
{
    (void)state;
    for (size_t src = 0; src < 16; src++) {
        for (size_t dst = 0; dst < 16; dst++) {
            for (size_t n = 0; n + src <= 32 && n + dst <= 32; n++) {
                unsigned char ours[32];
                unsigned char host[32];
                for (size_t i = 0; i < 32; i++) {
                    ours[i] = host[i] = (unsigned char)(i * 7 + 1);
                }
                assert_ptr_equal(moat_libc_memmove(ours + dst, ours + src, n), ours + dst);
                memmove(host + dst, host + src, n);
                assert_memory_equal(ours, host, sizeof(host));
            }
        }
    }
}

static void memcpy_memset_memcmp_memchr_match_host(void **state)
{
    (void)state;
    unsigned char a[40];
    unsigned char b[40];
    for (size_t n = 0; n <= 33; n++) {
        memset(a, 0, sizeof(a));
        memset(b, 0, sizeof(b));
        assert_ptr_equal(moat_libc_memset(a + 3, 0xa5, n), a + 3);
        memset(b + 3, 0xa5, n);
        assert_memory_equal(a, b, sizeof(a));
        unsigned char src[40];
        for (size_t i = 0; i < sizeof(src); i++) {
            src[i] = (unsigned char)(255 - i);
        }
        assert_ptr_equal(moat_libc_memcpy(a + 1, src, n), a + 1);
        memcpy(b + 1, src, n);
        assert_memory_equal(a, b, sizeof(a));
    }
    const unsigned char x[] = {1, 2, 3, 200};
    const unsigned char y[] = {1, 2, 4, 100};
    assert_int_equal(sign(moat_libc_memcmp(x, y, 4)), sign(memcmp(x, y, 4)));
    assert_int_equal(sign(moat_libc_memcmp(y, x, 4)), sign(memcmp(y, x, 4)));
    assert_int_equal(moat_libc_memcmp(x, y, 2), 0);
    assert_int_equal(moat_libc_memcmp(x, y, 0), 0);
    /* Bytes compare as unsigned char: 200 > 100. */
    const unsigned char p[] = {200};
    const unsigned char q[] = {100};
    assert_true(moat_libc_memcmp(p, q, 1) > 0);
    assert_ptr_equal(moat_libc_memchr(x, 3, 4), &x[2]);
    assert_ptr_equal(moat_libc_memchr(x, 200 + 256, 4), &x[3]);
    assert_null(moat_libc_memchr(x, 3, 2));
}

static void string_functions_match_host(void **state)
{
    (void)state;
    const char *words[] = {"", "a", "ab", "abc", "abd", "b", "\xff", "hello world"};
    size_t count = sizeof(words) / sizeof(words[0]);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(moat_libc_strlen(words[i]), strlen(words[i]));
        assert_int_equal(moat_libc_strnlen(words[i], 2), strnlen(words[i], 2));
        for (size_t j = 0; j < count; j++) {
            assert_int_equal(sign(moat_libc_strcmp(words[i], words[j])),
                             sign(strcmp(words[i], words[j])));
            for (size_t n = 0; n < 4; n++) {
                assert_int_equal(sign(moat_libc_strncmp(words[i], words[j], n)),
                                 sign(strncmp(words[i], words[j], n)));
            }
        }
    }
    const char *s = "a/b/c";
    assert_ptr_equal(moat_libc_strchr(s, '/'), strchr(s, '/'));
    assert_ptr_equal(moat_libc_strrchr(s, '/'), strrchr(s, '/'));
    assert_ptr_equal(moat_libc_strchr(s, '\0'), s + 5);
    assert_null(moat_libc_strchr(s, 'z'));
    assert_null(moat_libc_strrchr(s, 'z'));
}

static void strncpy_pads_and_strlcpy_always_terminates(void **state)
{
    (void)state;
    char ours[8];
    char host[8];
    memset(ours, 'Z', sizeof(ours));
    memset(host, 'Z', sizeof(host));
    moat_libc_strncpy(ours, "ab", 6);
    strncpy(host, "ab", 6);
    assert_memory_equal(ours, host, sizeof(ours));

    char buf[4];
    assert_int_equal(moat_libc_strlcpy(buf, "abcdef", sizeof(buf)), 6);
    assert_string_equal(buf, "abc");
    assert_int_equal(moat_libc_strlcpy(buf, "x", sizeof(buf)), 1);
    assert_string_equal(buf, "x");
    buf[0] = 'Q';
    assert_int_equal(moat_libc_strlcpy(buf, "abc", 0), 3);
    assert_int_equal(buf[0], 'Q');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memmove_handles_every_overlap),
        cmocka_unit_test(memcpy_memset_memcmp_memchr_match_host),
        cmocka_unit_test(string_functions_match_host),
        cmocka_unit_test(strncpy_pads_and_strlcpy_always_terminates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
