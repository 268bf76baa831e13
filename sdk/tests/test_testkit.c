/*
 * The host test kit: an in-memory channel carries data from its writer to its reader,
 * and a fake sinfo page lets code find that channel by name as a subject would. Also
 * moat_channel_next(), which the kit makes testable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <moat/channel.h>
#include <moat/testkit.h>

static void test_channel_carries_elements_in_order(void **state)
{
    (void)state;
    struct moat_test_channel c;
    assert_int_equal(moat_test_channel_create(&c, 4, sizeof(uint64_t), 9), 0);
    for (uint64_t i = 1; i <= 3; i++) {
        channel_write(&c.writer, &i);
    }
    uint64_t v;
    assert_int_equal(channel_read(&c.reader, &v), CHANNEL_EPOCH_CHANGED);
    for (uint64_t i = 1; i <= 3; i++) {
        assert_int_equal(channel_read(&c.reader, &v), CHANNEL_SUCCESS);
        assert_int_equal(v, i);
    }
    assert_int_equal(channel_read(&c.reader, &v), CHANNEL_NO_DATA);
    moat_test_channel_destroy(&c);
    assert_null(c.mem);
}

static void test_channel_rejects_impossible_sizes(void **state)
{
    (void)state;
    struct moat_test_channel c;
    assert_int_not_equal(moat_test_channel_create(&c, 0, 8, 1), 0);
    assert_int_not_equal(moat_test_channel_create(&c, 4, 0, 1), 0);
    assert_int_not_equal(moat_test_channel_create(&c, SIZE_MAX / 2, 4, 1), 0);
    assert_int_not_equal(moat_test_channel_create(&c, 4, 8, 0), 0);
}

static void fake_sinfo_lets_code_open_channels_by_name(void **state)
{
    (void)state;
    struct moat_test_channel in;
    struct moat_test_channel out;
    assert_int_equal(moat_test_channel_create(&in, 8, 16, 5), 0);
    assert_int_equal(moat_test_channel_create(&out, 8, 16, 6), 0);
    static struct moat_test_sinfo sinfo;
    moat_test_sinfo_init(&sinfo, "unit");
    assert_int_equal(moat_test_sinfo_add_channel(&sinfo, "in", &in, false), 0);
    assert_int_equal(moat_test_sinfo_add_channel(&sinfo, "out", &out, true), 0);
    assert_int_equal(moat_test_sinfo_add_event(&sinfo, "kick", 4, true), 0);
    static uint8_t scratch[64];
    assert_int_equal(moat_test_sinfo_add_memory(&sinfo, "scratch", scratch, 64, true), 0);
    assert_int_equal(moat_test_sinfo_attach(&sinfo), MOAT_SINFO_OK);
    assert_string_equal(moat_subject_name(), "unit");
    assert_int_equal(moat_event("kick"), 4);
    struct moat_region region;
    assert_int_equal(moat_memory("scratch", &region), 0);
    assert_ptr_equal((void *)(uintptr_t)region.address, scratch);

    /* The subject's reader sees what the test writes into "in". */
    struct channel_reader r;
    assert_int_equal(moat_channel_reader("in", &r), 0);
    char element[16] = "ping";
    channel_write(&in.writer, element);
    char got[16];
    assert_int_equal(channel_read(&r, got), CHANNEL_EPOCH_CHANGED);
    assert_int_equal(channel_read(&r, got), CHANNEL_SUCCESS);
    assert_string_equal(got, "ping");

    /* The test's reader sees what the subject writes into "out". */
    struct channel_writer w;
    assert_int_equal(moat_channel_writer("out", &w, 2), 0);
    char pong[16] = "pong";
    channel_write(&w, pong);
    assert_int_equal(channel_read(&out.reader, got), CHANNEL_EPOCH_CHANGED);
    assert_int_equal(channel_read(&out.reader, got), CHANNEL_SUCCESS);
    assert_string_equal(got, "pong");
    moat_test_channel_destroy(&in);
    moat_test_channel_destroy(&out);
}

static void channel_next_passes_over_epoch_changes_and_overruns(void **state)
{
    (void)state;
    struct moat_test_channel c;
    assert_int_equal(moat_test_channel_create(&c, 4, sizeof(uint64_t), 9), 0);
    uint64_t v = 0;
    assert_false(moat_channel_next(&c.reader, &v));
    /* The first read after creation is an epoch change: passed over. */
    for (uint64_t i = 1; i <= 2; i++) {
        channel_write(&c.writer, &i);
    }
    assert_true(moat_channel_next(&c.reader, &v));
    assert_int_equal(v, 1);
    /* Lapping the reader: the overrun is passed over and counted as lost. Element 2 was
     * read ahead with 1 (libchannel does that for 8-byte elements), before the lap. */
    for (uint64_t i = 3; i <= 12; i++) {
        channel_write(&c.writer, &i);
    }
    assert_true(moat_channel_next(&c.reader, &v));
    assert_int_equal(v, 2);
    assert_true(moat_channel_next(&c.reader, &v));
    assert_true(v > 3);
    assert_true(channel_lost(&c.reader) > 0);
    while (moat_channel_next(&c.reader, &v)) {
    }
    assert_int_equal(v, 12);
    /* A deactivated writer: nothing readable, no endless loop. */
    channel_deactivate(&c.writer);
    assert_false(moat_channel_next(&c.reader, &v));
    moat_test_channel_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channel_carries_elements_in_order),
        cmocka_unit_test(test_channel_rejects_impossible_sizes),
        cmocka_unit_test(fake_sinfo_lets_code_open_channels_by_name),
        cmocka_unit_test(channel_next_passes_over_epoch_changes_and_overruns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
