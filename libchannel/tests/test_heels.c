/*
 * Unit tests of the 8-byte reader at its writer's heels (docs/channel-protocol.md,
 * "Read-ahead"): when the writer is writing (the write counter the last copy loaded is
 * past what it took) and everything pending lies in the cache line the writer is
 * filling, a read pauses READER_HEELS_PAUSES times without touching the channel, then
 * loads wc once more and copies what that says is published; in every other case it
 * copies at once. The library's sources are compiled into this test with
 * CHANNEL_TEST_HOOKS, so channel_pause calls channel_test_pause below, which counts the
 * pauses and acts as the writer during them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_util.h"

#define RING 64u /* slots: eight lines */
#define HEELS_PAUSES 16u

static struct test_buffer buf;
static struct channel_writer writer;
static uint64_t next_seq;   /* sequence number of the next element written */
static unsigned pauses;     /* channel_pause calls since the last reset */
static uint64_t on_pause;   /* elements to write at the first pause of a wait */
static bool bogus_wc;       /* at the first pause, make wc claim a whole ring more */

static void write_n(uint64_t n)
{
    uint64_t i;

    for (i = 0; i < n; i++) {
        uint64_t v = test_word(next_seq++);

        channel_write(&writer, &v);
    }
}

/* Declared by channel_atomic.h under CHANNEL_TEST_HOOKS. */
void channel_test_pause(void)
{
    if (pauses++ == 0u) {
        write_n(on_pause);
        if (bogus_wc) {
            test_set_field(buf.mem, CHANNEL_OFF_WC, next_seq + RING);
        }
    }
}

static void open_channel(struct channel_reader *r)
{
    uint64_t scratch;

    memset(buf.mem, 0xee, sizeof(buf.mem));
    assert_int_equal(channel_writer_init(&writer, buf.mem, 64 + RING * 8, TEST_PROTOCOL, 8,
                                         TEST_EPOCH), 0);
    assert_int_equal(channel_reader_init(r, buf.mem, 64 + RING * 8, TEST_PROTOCOL, 8), 0);
    assert_int_equal(channel_read(r, &scratch), CHANNEL_EPOCH_CHANGED);
    next_seq = 0;
    pauses = 0;
    on_pause = 0;
    bogus_wc = false;
}

/* channel_read gives element seq; returns how many are left read ahead after it. */
static uint64_t read_expect(struct channel_reader *r, uint64_t seq)
{
    uint64_t v = 0;

    assert_int_equal(channel_read(r, &v), CHANNEL_SUCCESS);
    assert_true(v == test_word(seq));
    return r->ahead_count;
}

/*
 * The writer at work: `before` elements published, a batch read of `taken` (so wc as
 * the reader last loaded it is past rc), then `more` written while the reader pauses.
 */
static uint64_t heels(struct channel_reader *r, uint64_t before, uint64_t taken, uint64_t more)
{
    uint64_t got[RING];
    size_t count = 0;
    uint64_t left;

    write_n(before);
    assert_int_equal(channel_read_batch(r, got, taken, &count), CHANNEL_SUCCESS);
    assert_int_equal(count, taken);
    on_pause = more;
    left = read_expect(r, taken);
    return left;
}

/* Pending inside the writer's line: it pauses, then takes what the writer added. */
static void test_waits_in_writers_line(void **state)
{
    struct channel_reader r;
    uint64_t left;
    uint64_t k;

    (void)state;
    open_channel(&r);
    left = heels(&r, 3, 1, 4); /* slots 1 and 2 pending, the writer in slot 3 */
    assert_int_equal(pauses, HEELS_PAUSES);
    assert_int_equal(left, 5); /* 1 .. 6 copied: the first handed out */
    for (k = 2; k <= 6; k++) {
        read_expect(&r, k);
    }
    assert_int_equal(r.ahead_count, 0);
}

/* Pending up to the line's end: the writer is past that line, no wait. */
static void test_no_wait_at_line_end(void **state)
{
    struct channel_reader r;

    (void)state;
    open_channel(&r);
    assert_int_equal(heels(&r, 8, 1, 4), 6); /* 1 .. 7 */
    assert_int_equal(pauses, 0);
}

/* Pending across a line boundary: no wait either. */
static void test_no_wait_across_lines(void **state)
{
    struct channel_reader r;

    (void)state;
    open_channel(&r);
    assert_int_equal(heels(&r, 9, 6, 4), 2); /* 6 .. 8 */
    assert_int_equal(pauses, 0);
}

/* A writer that published after a pause (rc was at wc): copied at once. */
static void test_no_wait_after_writer_pause(void **state)
{
    struct channel_reader r;

    (void)state;
    open_channel(&r);
    write_n(1);
    on_pause = 4;
    assert_int_equal(read_expect(&r, 0), 0);
    assert_int_equal(pauses, 0);
    write_n(2); /* slots 1 and 2: read ahead 1 and 2 only */
    assert_int_equal(read_expect(&r, 1), 1);
    assert_int_equal(pauses, 0);
}

/* A wc after the pause that claims more than a ring: ignored, the known ones copied. */
static void test_wc_after_pause_checked(void **state)
{
    struct channel_reader r;
    uint64_t left;

    (void)state;
    open_channel(&r);
    bogus_wc = true;
    left = heels(&r, 3, 1, 0);
    assert_int_equal(pauses, HEELS_PAUSES);
    assert_int_equal(left, 1); /* 1 and 2 */
    read_expect(&r, 2);
    assert_int_equal(channel_lost(&r), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waits_in_writers_line),
        cmocka_unit_test(test_no_wait_at_line_end),
        cmocka_unit_test(test_no_wait_across_lines),
        cmocka_unit_test(test_no_wait_after_writer_pause),
        cmocka_unit_test(test_wc_after_pause_checked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
