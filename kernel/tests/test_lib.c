/*
 * Host tests of the kernel's memory primitives (kernel/arch/x86_64/lib.c), the very
 * code the kernel links: meson compiles lib.c for the host with memcpy/memmove/memset
 * renamed to lib_memcpy/lib_memmove/lib_memset, so the host's C library stays untouched.
 * Each test checks the return value (dst, as C requires), the bytes written and the
 * bytes around them that must stay as they were.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

void *lib_memcpy(void *dst, const void *src, size_t n);
void *lib_memmove(void *dst, const void *src, size_t n);
void *lib_memset(void *dst, int c, size_t n);

enum { BUF_SIZE = 64, GUARD = 0xa5 };

static uint8_t buf[BUF_SIZE];

static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(seed + i);
    }
}

static void assert_guard(const uint8_t *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        assert_int_equal(p[i], GUARD);
    }
}

/* Copies n pattern bytes from another buffer to buf + at; the bytes around them keep GUARD. */
static void check_copy_into_buf(void *(*copy)(void *, const void *, size_t), size_t at, size_t n,
                                uint8_t seed)
{
    uint8_t src[BUF_SIZE];
    fill_pattern(src, sizeof(src), seed);
    memset(buf, GUARD, sizeof(buf));
    assert_ptr_equal(copy(buf + at, src, n), buf + at);
    assert_memory_equal(buf + at, src, n);
    assert_guard(buf, 0, at);
    assert_guard(buf, at + n, BUF_SIZE);
}

static void memcpy_returns_dst_and_copies_exactly_n_bytes(void **state)
{
    (void)state;
    check_copy_into_buf(lib_memcpy, 8, 17, 1);
}

static void memcpy_of_zero_bytes_returns_dst_and_writes_nothing(void **state)
{
    (void)state;
    uint8_t src[4] = {1, 2, 3, 4};
    memset(buf, GUARD, sizeof(buf));
    assert_ptr_equal(lib_memcpy(buf + 3, src, 0), buf + 3);
    assert_guard(buf, 0, BUF_SIZE);
}

/* Moves n bytes inside buf from offset from to offset to; the host's memmove says what buf must hold. */
static void check_memmove_within_buf(size_t to, size_t from, size_t n, uint8_t seed)
{
    uint8_t want[BUF_SIZE];
    fill_pattern(buf, sizeof(buf), seed);
    fill_pattern(want, sizeof(want), seed);
    memmove(want + to, want + from, n);
    assert_ptr_equal(lib_memmove(buf + to, buf + from, n), buf + to);
    assert_memory_equal(buf, want, sizeof(buf));
}

/* dst below src: the forward copy path (rep movsb) must read each byte before it is overwritten. */
static void memmove_down_over_its_own_source_returns_dst(void **state)
{
    (void)state;
    check_memmove_within_buf(4, 9, 30, 10);
}

/* dst above src: the backward loop. */
static void memmove_up_over_its_own_source_returns_dst(void **state)
{
    (void)state;
    check_memmove_within_buf(9, 4, 30, 20);
}

static void memmove_between_disjoint_buffers_returns_dst(void **state)
{
    (void)state;
    check_copy_into_buf(lib_memmove, 1, 40, 30);
}

/* Only the low byte of c is stored (C11 7.24.6.1: converted to unsigned char). */
static void memset_returns_dst_and_stores_the_low_byte_of_c(void **state)
{
    (void)state;
    memset(buf, GUARD, sizeof(buf));
    assert_ptr_equal(lib_memset(buf + 5, 0x13c, 11), buf + 5);
    for (size_t i = 5; i < 16; i++) {
        assert_int_equal(buf[i], 0x3c);
    }
    assert_guard(buf, 0, 5);
    assert_guard(buf, 16, BUF_SIZE);
    assert_ptr_equal(lib_memset(buf + 2, 0, 0), buf + 2);
    assert_guard(buf, 0, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memcpy_returns_dst_and_copies_exactly_n_bytes),
        cmocka_unit_test(memcpy_of_zero_bytes_returns_dst_and_writes_nothing),
        cmocka_unit_test(memmove_down_over_its_own_source_returns_dst),
        cmocka_unit_test(memmove_up_over_its_own_source_returns_dst),
        cmocka_unit_test(memmove_between_disjoint_buffers_returns_dst),
        cmocka_unit_test(memset_returns_dst_and_stores_the_low_byte_of_c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
