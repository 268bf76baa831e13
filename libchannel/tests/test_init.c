/*
 * Unit tests of channel_writer_init and channel_reader_init: every documented error
 * code, their order, the smallest accepted channel and the header a writer lays down.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_util.h"

static struct test_buffer buf;

static void writer_init_rejects_null_writer_or_memory(void **state)
{
    struct channel_writer w;

    (void)state;
    assert_int_equal(channel_writer_init(NULL, buf.mem, 4096, TEST_PROTOCOL, 8, TEST_EPOCH),
                     CHANNEL_ERR_NULL);
    assert_int_equal(channel_writer_init(&w, NULL, 4096, TEST_PROTOCOL, 8, TEST_EPOCH),
                     CHANNEL_ERR_NULL);
}

static void writer_init_rejects_misaligned_memory(void **state)
{
    struct channel_writer w;
    size_t off;

    (void)state;
    for (off = 1; off < 8; off++) {
        assert_int_equal(channel_writer_init(&w, buf.mem + off, 4096, TEST_PROTOCOL, 8, TEST_EPOCH),
                         CHANNEL_ERR_ALIGN);
    }
}

static void writer_init_rejects_zero_element_size(void **state)
{
    struct channel_writer w;

    (void)state;
    assert_int_equal(channel_writer_init(&w, buf.mem, 4096, TEST_PROTOCOL, 0, TEST_EPOCH),
                     CHANNEL_ERR_ELEMENT_SIZE);
}

static void writer_init_rejects_zero_protocol(void **state)
{
    struct channel_writer w;

    (void)state;
    assert_int_equal(channel_writer_init(&w, buf.mem, 4096, 0, 8, TEST_EPOCH),
                     CHANNEL_ERR_PROTOCOL);
}

static void writer_init_rejects_null_epoch(void **state)
{
    struct channel_writer w;

    (void)state;
    assert_int_equal(channel_writer_init(&w, buf.mem, 4096, TEST_PROTOCOL, 8, CHANNEL_NULL_EPOCH),
                     CHANNEL_ERR_EPOCH);
}

static void writer_init_rejects_memory_without_room_for_one_element(void **state)
{
    struct channel_writer w;

    (void)state;
    assert_int_equal(channel_writer_init(&w, buf.mem, 0, TEST_PROTOCOL, 8, TEST_EPOCH),
                     CHANNEL_ERR_TOO_SMALL);
    assert_int_equal(channel_writer_init(&w, buf.mem, 63, TEST_PROTOCOL, 8, TEST_EPOCH),
                     CHANNEL_ERR_TOO_SMALL);
    assert_int_equal(channel_writer_init(&w, buf.mem, 64, TEST_PROTOCOL, 8, TEST_EPOCH),
                     CHANNEL_ERR_TOO_SMALL);
    assert_int_equal(channel_writer_init(&w, buf.mem, 64 + 7, TEST_PROTOCOL, 8, TEST_EPOCH),
                     CHANNEL_ERR_TOO_SMALL);
    /* An element size near SIZE_MAX must not wrap the size check around. */
    assert_int_equal(channel_writer_init(&w, buf.mem, 4096, TEST_PROTOCOL, SIZE_MAX, TEST_EPOCH),
                     CHANNEL_ERR_TOO_SMALL);
    assert_int_equal(
        channel_writer_init(&w, buf.mem, 4096, TEST_PROTOCOL, SIZE_MAX - 63, TEST_EPOCH),
        CHANNEL_ERR_TOO_SMALL);
}

static void writer_init_reports_first_failing_check_in_documented_order(void **state)
{
    struct channel_writer w;

    (void)state;
    assert_int_equal(channel_writer_init(&w, NULL, 0, 0, 0, 0), CHANNEL_ERR_NULL);
    assert_int_equal(channel_writer_init(&w, buf.mem + 4, 0, 0, 0, 0), CHANNEL_ERR_ALIGN);
    assert_int_equal(channel_writer_init(&w, buf.mem, 0, 0, 0, 0), CHANNEL_ERR_ELEMENT_SIZE);
    assert_int_equal(channel_writer_init(&w, buf.mem, 0, 0, 8, 0), CHANNEL_ERR_PROTOCOL);
    assert_int_equal(channel_writer_init(&w, buf.mem, 0, TEST_PROTOCOL, 8, 0),
                     CHANNEL_ERR_TOO_SMALL);
    assert_int_equal(channel_writer_init(&w, buf.mem, 72, TEST_PROTOCOL, 8, 0), CHANNEL_ERR_EPOCH);
}

static void writer_init_accepts_exactly_one_element(void **state)
{
    struct channel_writer w;

    (void)state;
    assert_int_equal(channel_writer_init(&w, buf.mem, 64 + 13, TEST_PROTOCOL, 13, TEST_EPOCH), 0);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_ELEMENTS), 1);
}

static void writer_init_lays_down_the_shmstream_v2_header(void **state)
{
    struct channel_writer w;
    size_t mem_size = 64 + 10 * 24 + 5; /* 5 bytes of tail that hold no element */
    size_t i;

    (void)state;
    memset(buf.mem, 0xa5, sizeof(buf.mem));
    assert_int_equal(channel_writer_init(&w, buf.mem, mem_size, TEST_PROTOCOL, 24, TEST_EPOCH), 0);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_TRANSPORT), CHANNEL_TRANSPORT_MARKER);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_EPOCH), TEST_EPOCH);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_PROTOCOL), TEST_PROTOCOL);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_SIZE), 24);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_ELEMENTS), 10);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_RESERVED), 0);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_WSC), 0);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_WC), 0);
    for (i = 64; i < 64 + 10 * 24; i++) {
        assert_int_equal(buf.mem[i], 0);
    }
    /* Nothing past the last slot is touched. */
    for (i = 64 + 10 * 24; i < sizeof(buf.mem); i++) {
        assert_int_equal(buf.mem[i], 0xa5);
    }
}

static void reader_init_rejects_bad_arguments_with_documented_codes(void **state)
{
    struct channel_reader r;

    (void)state;
    assert_int_equal(channel_reader_init(NULL, buf.mem, 4096, TEST_PROTOCOL, 8), CHANNEL_ERR_NULL);
    assert_int_equal(channel_reader_init(&r, NULL, 4096, TEST_PROTOCOL, 8), CHANNEL_ERR_NULL);
    assert_int_equal(channel_reader_init(&r, buf.mem + 2, 4096, TEST_PROTOCOL, 8),
                     CHANNEL_ERR_ALIGN);
    assert_int_equal(channel_reader_init(&r, buf.mem, 4096, TEST_PROTOCOL, 0),
                     CHANNEL_ERR_ELEMENT_SIZE);
    assert_int_equal(channel_reader_init(&r, buf.mem, 4096, 0, 8), CHANNEL_ERR_PROTOCOL);
    assert_int_equal(channel_reader_init(&r, buf.mem, 64 + 7, TEST_PROTOCOL, 8),
                     CHANNEL_ERR_TOO_SMALL);
    assert_int_equal(channel_reader_init(&r, buf.mem, 4096, TEST_PROTOCOL, SIZE_MAX),
                     CHANNEL_ERR_TOO_SMALL);
    assert_int_equal(channel_reader_init(&r, buf.mem, 64 + 8, TEST_PROTOCOL, 8), 0);
}

static void reader_init_does_not_touch_channel_memory(void **state)
{
    struct channel_reader r;
    size_t i;

    (void)state;
    memset(buf.mem, 0x5a, sizeof(buf.mem));
    assert_int_equal(channel_reader_init(&r, buf.mem, 4096, TEST_PROTOCOL, 8), 0);
    for (i = 0; i < sizeof(buf.mem); i++) {
        assert_int_equal(buf.mem[i], 0x5a);
    }
    assert_int_equal(channel_lost(&r), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writer_init_rejects_null_writer_or_memory),
        cmocka_unit_test(writer_init_rejects_misaligned_memory),
        cmocka_unit_test(writer_init_rejects_zero_element_size),
        cmocka_unit_test(writer_init_rejects_zero_protocol),
        cmocka_unit_test(writer_init_rejects_null_epoch),
        cmocka_unit_test(writer_init_rejects_memory_without_room_for_one_element),
        cmocka_unit_test(writer_init_reports_first_failing_check_in_documented_order),
        cmocka_unit_test(writer_init_accepts_exactly_one_element),
        cmocka_unit_test(writer_init_lays_down_the_shmstream_v2_header),
        cmocka_unit_test(reader_init_rejects_bad_arguments_with_documented_codes),
        cmocka_unit_test(reader_init_does_not_touch_channel_memory),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
