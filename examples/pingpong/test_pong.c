/*
 * pong's logic on the host: balls written into an in-memory channel come back one
 * higher, in order, and nothing comes back when nothing was served.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <moat/channel.h>
#include <moat/testkit.h>

#include "pingpong.h"

static void returns_each_ball_one_higher(void **state)
{
    (void)state;
    struct moat_test_channel ping;
    struct moat_test_channel pong;
    assert_int_equal(moat_test_channel_create(&ping, 4, sizeof(struct ball), PINGPONG_PROTOCOL), 0);
    assert_int_equal(moat_test_channel_create(&pong, 4, sizeof(struct ball), PINGPONG_PROTOCOL), 0);

    assert_int_equal(pong_return_balls(&ping.reader, &pong.writer), 0);
    for (uint64_t round = 1; round <= 3; round++) {
        struct ball ball = {.round = round, .count = round * 10};
        channel_write(&ping.writer, &ball);
    }
    assert_int_equal(pong_return_balls(&ping.reader, &pong.writer), 3);

    struct ball back;
    for (uint64_t round = 1; round <= 3; round++) {
        assert_true(moat_channel_next(&pong.reader, &back));
        assert_int_equal(back.round, round);
        assert_int_equal(back.count, round * 10 + 1);
    }
    assert_false(moat_channel_next(&pong.reader, &back));
    moat_test_channel_destroy(&ping);
    moat_test_channel_destroy(&pong);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(returns_each_ball_one_higher),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
