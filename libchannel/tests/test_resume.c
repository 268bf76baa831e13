/*
 * Unit tests of channel_writer_resume: a writer that takes over the channel an earlier
 * writer left active keeps its epoch and write counter, so a reader in the middle of
 * it reads every element the earlier writer published and then the new ones, with no
 * epoch change and nothing lost; anything but an intact active channel of the same
 * parameters is refused and left untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_util.h"

static struct test_buffer buf;

#define RESUME_SIZE 1088u /* header + 16 slots of 64 bytes */
#define RESUME_ELEMENT 64u

static void write_seq(struct channel_writer *w, uint64_t seq)
{
    unsigned char element[RESUME_ELEMENT];

    test_fill_element(element, sizeof(element), seq);
    channel_write(w, element);
}

/* An earlier writer with epoch that wrote elements 0 .. count-1, and a reader of it. */
static void earlier_writer(struct channel_reader *r, uint64_t epoch, uint64_t count)
{
    struct channel_writer first;

    assert_int_equal(channel_writer_init(&first, buf.mem, RESUME_SIZE, TEST_PROTOCOL,
                                         RESUME_ELEMENT, epoch), 0);
    assert_int_equal(channel_reader_init(r, buf.mem, RESUME_SIZE, TEST_PROTOCOL, RESUME_ELEMENT), 0);
    for (uint64_t seq = 0; seq < count; seq++) {
        write_seq(&first, seq);
    }
}

static void a_resumed_writer_continues_where_the_earlier_one_stopped(void **state)
{
    struct channel_writer second;
    struct channel_reader r;
    unsigned char element[RESUME_ELEMENT];
    uint64_t seq;

    (void)state;
    /* The reader is synchronised and has read 2 of 5 when the first writer dies. */
    earlier_writer(&r, TEST_EPOCH, 5);
    assert_int_equal(channel_read(&r, element), CHANNEL_EPOCH_CHANGED);
    for (seq = 0; seq < 2; seq++) {
        assert_int_equal(channel_read(&r, element), CHANNEL_SUCCESS);
        assert_true(test_element_is(element, sizeof(element), seq));
    }
    memset(&second, 0xa5, sizeof(second));
    assert_int_equal(channel_writer_resume(&second, buf.mem, RESUME_SIZE, TEST_PROTOCOL,
                                           RESUME_ELEMENT), 0);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_EPOCH), TEST_EPOCH);
    /* Past the end of the ring too: the slot follows the counter. */
    for (seq = 5; seq < 20; seq++) {
        write_seq(&second, seq);
    }
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_WC), 20);
    /* 16 slots: 2 and 3 were overwritten by 18 and 19, so the reader overruns. */
    assert_int_equal(channel_read(&r, element), CHANNEL_OVERRUN);
    assert_int_equal(channel_lost(&r), 2);
    for (seq = 4; seq < 20; seq++) {
        assert_int_equal(channel_read(&r, element), CHANNEL_SUCCESS);
        assert_true(test_element_is(element, sizeof(element), seq));
    }
    assert_int_equal(channel_read(&r, element), CHANNEL_NO_DATA);
}

static void a_resume_keeps_every_unread_element(void **state)
{
    struct channel_writer second;
    struct channel_reader r;
    unsigned char element[RESUME_ELEMENT];
    uint64_t seq;

    (void)state;
    earlier_writer(&r, TEST_EPOCH2, 3);
    assert_int_equal(channel_writer_resume(&second, buf.mem, RESUME_SIZE, TEST_PROTOCOL,
                                           RESUME_ELEMENT), 0);
    write_seq(&second, 3);
    assert_int_equal(channel_read(&r, element), CHANNEL_EPOCH_CHANGED);
    for (seq = 0; seq < 4; seq++) {
        assert_int_equal(channel_read(&r, element), CHANNEL_SUCCESS);
        assert_true(test_element_is(element, sizeof(element), seq));
    }
    assert_int_equal(channel_read(&r, element), CHANNEL_NO_DATA);
    assert_int_equal(channel_lost(&r), 0);
}

/* Set up an active channel with 3 elements, spoil one header field, try to resume. */
static int resume_after_spoiling(size_t offset, uint64_t value, size_t element_size)
{
    struct channel_reader reader;
    struct channel_writer second;
    unsigned char before[RESUME_SIZE];

    earlier_writer(&reader, TEST_EPOCH, 3);
    if (offset != SIZE_MAX) {
        test_set_field(buf.mem, offset, value);
    }
    memcpy(before, buf.mem, sizeof(before));
    int r = channel_writer_resume(&second, buf.mem, RESUME_SIZE, TEST_PROTOCOL, element_size);
    /* Refused or not, resuming stores nothing. */
    assert_memory_equal(before, buf.mem, sizeof(before));
    return r;
}

static void resume_refuses_anything_but_an_intact_active_channel(void **state)
{
    (void)state;
    assert_int_equal(resume_after_spoiling(SIZE_MAX, 0, RESUME_ELEMENT), 0);
    assert_int_equal(resume_after_spoiling(CHANNEL_OFF_EPOCH, 0, RESUME_ELEMENT),
                     CHANNEL_ERR_RESUME);
    assert_int_equal(resume_after_spoiling(CHANNEL_OFF_TRANSPORT, 1, RESUME_ELEMENT),
                     CHANNEL_ERR_RESUME);
    assert_int_equal(resume_after_spoiling(CHANNEL_OFF_PROTOCOL, TEST_PROTOCOL + 1, RESUME_ELEMENT),
                     CHANNEL_ERR_RESUME);
    assert_int_equal(resume_after_spoiling(CHANNEL_OFF_SIZE, 32, RESUME_ELEMENT),
                     CHANNEL_ERR_RESUME);
    assert_int_equal(resume_after_spoiling(CHANNEL_OFF_ELEMENTS, 15, RESUME_ELEMENT),
                     CHANNEL_ERR_RESUME);
    /* A write torn by the fault: wsc announced one more than wc published. */
    assert_int_equal(resume_after_spoiling(CHANNEL_OFF_WSC, 4, RESUME_ELEMENT),
                     CHANNEL_ERR_RESUME);
    /* Another element size than the earlier writer's. */
    assert_int_equal(resume_after_spoiling(SIZE_MAX, 0, 32), CHANNEL_ERR_RESUME);
    /* Memory never initialised (all zero). */
    struct channel_writer w;
    memset(buf.mem, 0, RESUME_SIZE);
    assert_int_equal(channel_writer_resume(&w, buf.mem, RESUME_SIZE, TEST_PROTOCOL, RESUME_ELEMENT),
                     CHANNEL_ERR_RESUME);
    assert_int_equal(channel_writer_resume(NULL, buf.mem, RESUME_SIZE, TEST_PROTOCOL, RESUME_ELEMENT),
                     CHANNEL_ERR_NULL);
    assert_int_equal(channel_writer_resume(&w, buf.mem + 4, RESUME_SIZE, TEST_PROTOCOL, RESUME_ELEMENT),
                     CHANNEL_ERR_ALIGN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_resumed_writer_continues_where_the_earlier_one_stopped),
        cmocka_unit_test(a_resume_keeps_every_unread_element),
        cmocka_unit_test(resume_refuses_anything_but_an_intact_active_channel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
