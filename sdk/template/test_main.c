/*
 * Host test of the template subject's main loop (main.c, unchanged, built with
 * -Dmain=app_main): the test kit's fake kernel stands in for Moat. The test gives the
 * subject the channels and events its policy gives it, writes requests, raises
 * "request_ready", and checks the replies, the "reply_ready" it sends and its log.
 * Whenever the loop would wait for ever, the block hook plays the peer: one more
 * request the first time, then it takes the test out of main().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <moat/channel.h>
#include <moat/subject.h>
#include <moat/testkit.h>

#include "handler.h"

int app_main(void);

enum { REQUEST_READY = 0, REPLY_READY = 0 }; /* incoming and outgoing ids, as moat-polc gives them */

static jmp_buf loop_exit;

/* The peer: when the loop has answered everything, one more request, then the end. */
struct peer {
    struct moat_test_channel *requests;
    unsigned blocks;
};

static void peer_on_block(void *context)
{
    struct peer *peer = context;
    if (peer->blocks++ > 0) {
        longjmp(loop_exit, 1);
    }
    struct message m = {.sequence = 3, .value = 5};
    channel_write(&peer->requests->writer, &m);
    (void)moat_test_event_raise(REQUEST_READY);
}

/* What system.xml gives app: its two channels and two events, made here. */
static void attach_app_page(struct moat_test_channel *requests, struct moat_test_channel *replies)
{
    struct moat_test_sinfo page;
    moat_test_sinfo_init(&page, "app");
    struct {
        const char *name;
        struct moat_test_channel *channel;
        bool writer;
    } channels[] = {{"requests", requests, false}, {"replies", replies, true}};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(moat_test_channel_create(channels[i].channel, 8, sizeof(struct message),
                                                  MESSAGE_PROTOCOL), 0);
        assert_int_equal(moat_test_sinfo_add_channel(&page, channels[i].name, channels[i].channel,
                                                     channels[i].writer), 0);
    }
    assert_int_equal(moat_test_sinfo_add_event(&page, "request_ready", REQUEST_READY, false), 0);
    assert_int_equal(moat_test_sinfo_add_event(&page, "reply_ready", REPLY_READY, true), 0);
    assert_int_equal(moat_test_sinfo_attach(&page), MOAT_SINFO_OK);
}

static void main_loop_answers_each_batch_and_tells_the_peer(void **state)
{
    (void)state;
    struct moat_test_channel requests;
    struct moat_test_channel replies;
    attach_app_page(&requests, &replies);
    assert_int_equal(moat_test_log_capture(), 0);

    for (uint64_t seq = 0; seq < 3; seq++) {
        struct message m = {.sequence = seq, .value = 10};
        channel_write(&requests.writer, &m);
    }
    assert_int_equal(moat_test_event_raise(REQUEST_READY), 0);
    struct peer peer = {.requests = &requests, .blocks = 0};
    moat_test_kernel_on_block(peer_on_block, &peer);
    if (setjmp(loop_exit) == 0) {
        (void)app_main();
        fail_msg("main() returned");
    }

    char line[64];
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_string_equal(line, "app ready on CPU 0");
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_string_equal(line, "answered 3, total 30");
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_string_equal(line, "answered 1, total 35");
    assert_int_equal(moat_test_event_send_count(REPLY_READY), 2);
    struct message reply;
    for (uint64_t seq = 0; seq < 4; seq++) {
        assert_true(moat_channel_next(&replies.reader, &reply));
        assert_int_equal(reply.sequence, seq);
        assert_int_equal(reply.value, seq < 3 ? (int64_t)(10 * (seq + 1)) : 35);
    }
    assert_false(moat_channel_next(&replies.reader, &reply));
    moat_test_channel_destroy(&requests);
    moat_test_channel_destroy(&replies);
}

static void main_loop_stops_without_its_channels(void **state)
{
    (void)state;
    struct moat_test_sinfo page;
    moat_test_sinfo_init(&page, "app");
    assert_int_equal(moat_test_sinfo_attach(&page), MOAT_SINFO_OK);
    assert_int_equal(moat_test_log_capture(), 0);
    assert_int_equal(app_main(), 1);
    char line[64];
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_string_equal(line, "missing the requests or replies channel");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(main_loop_answers_each_batch_and_tells_the_peer, moat_test_setup),
        cmocka_unit_test_setup(main_loop_stops_without_its_channels, moat_test_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
