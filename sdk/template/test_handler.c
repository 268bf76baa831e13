/*
 * Host unit test of the template subject's message handling: run with `meson test`
 * on the build machine, no kernel involved. The channels are the test kit's in-memory
 * channels, the same libchannel code the subject runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <moat/testkit.h>

#include "handler.h"

static void replies_carry_the_running_total(void **state)
{
    (void)state;
    struct handler_state s;
    handler_init(&s);
    struct message reply;
    struct message request = {.sequence = 0, .value = 5};
    assert_true(handler_handle(&s, &request, &reply));
    assert_int_equal(reply.sequence, 0);
    assert_int_equal(reply.value, 5);
    request = (struct message){.sequence = 1, .value = -7};
    assert_true(handler_handle(&s, &request, &reply));
    assert_int_equal(reply.value, -2);
    assert_int_equal(s.handled, 2);
}

static void ignores_duplicates_and_counts_gaps(void **state)
{
    (void)state;
    struct handler_state s;
    handler_init(&s);
    struct message reply;
    struct message request = {.sequence = 3, .value = 1};
    assert_true(handler_handle(&s, &request, &reply));
    assert_int_equal(s.gaps, 3);
    assert_false(handler_handle(&s, &request, &reply));
    assert_int_equal(s.handled, 1);
    assert_int_equal(s.total, 1);
}

static void pump_answers_everything_waiting_on_the_channel(void **state)
{
    (void)state;
    struct moat_test_channel requests;
    struct moat_test_channel replies;
    assert_int_equal(
        moat_test_channel_create(&requests, 8, sizeof(struct message), MESSAGE_PROTOCOL), 0);
    assert_int_equal(
        moat_test_channel_create(&replies, 8, sizeof(struct message), MESSAGE_PROTOCOL), 0);
    for (uint64_t i = 0; i < 4; i++) {
        struct message m = {.sequence = i, .value = (int64_t)i};
        channel_write(&requests.writer, &m);
    }
    struct handler_state s;
    handler_init(&s);
    assert_int_equal(handler_pump(&s, &requests.reader, &replies.writer), 4);
    assert_int_equal(handler_pump(&s, &requests.reader, &replies.writer), 0);

    struct message reply;
    assert_int_equal(channel_read(&replies.reader, &reply), CHANNEL_EPOCH_CHANGED);
    int64_t expected = 0;
    for (uint64_t i = 0; i < 4; i++) {
        expected += (int64_t)i;
        assert_int_equal(channel_read(&replies.reader, &reply), CHANNEL_SUCCESS);
        assert_int_equal(reply.sequence, i);
        assert_int_equal(reply.value, expected);
    }
    assert_int_equal(channel_read(&replies.reader, &reply), CHANNEL_NO_DATA);
    moat_test_channel_destroy(&requests);
    moat_test_channel_destroy(&replies);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replies_carry_the_running_total),
        cmocka_unit_test(ignores_duplicates_and_counts_gaps),
        cmocka_unit_test(pump_answers_everything_waiting_on_the_channel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
