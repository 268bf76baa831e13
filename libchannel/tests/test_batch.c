/*
 * Unit tests of channel_write_batch and channel_read_batch: a batch leaves exactly the
 * bytes single calls leave, batch reads deliver what single reads deliver, and overruns
 * inside a batch are reported and counted like single ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "test_util.h"

enum { SLOTS = 7, SIZE = 12, MAX_BATCH = 4 * SLOTS };

static struct test_buffer single_buf;
static struct test_buffer batch_buf;

static const size_t mem_size = 64 + SLOTS * SIZE;

/* count elements seq first.. laid out back to back, as channel_write_batch takes them. */
static void fill_batch(unsigned char *out, uint64_t first, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        test_fill_element(out + i * SIZE, SIZE, first + i);
    }
}

static void batch_write_leaves_the_same_bytes_as_single_writes(void **state)
{
    struct channel_writer single;
    struct channel_writer batch;
    unsigned char elements[MAX_BATCH * SIZE];
    uint64_t seq = 0;
    size_t round;
    size_t i;

    (void)state;
    srand(1);
    assert_int_equal(
        channel_writer_init(&single, single_buf.mem, mem_size, TEST_PROTOCOL, SIZE, TEST_EPOCH), 0);
    assert_int_equal(
        channel_writer_init(&batch, batch_buf.mem, mem_size, TEST_PROTOCOL, SIZE, TEST_EPOCH), 0);
    for (round = 0; round < 200; round++) {
        /* Batches from 0 to four rings long, so some overwrite themselves. */
        size_t count = (size_t)rand() % (MAX_BATCH + 1);

        fill_batch(elements, seq, count);
        channel_write_batch(&batch, elements, count);
        for (i = 0; i < count; i++) {
            channel_write(&single, elements + i * SIZE);
        }
        seq += count;
        assert_memory_equal(single_buf.mem, batch_buf.mem, mem_size);
        assert_int_equal(test_get_field(batch_buf.mem, CHANNEL_OFF_WC), seq);
        assert_int_equal(test_get_field(batch_buf.mem, CHANNEL_OFF_WSC), seq);
    }
}

static void batch_write_across_2_64_matches_single_writes(void **state)
{
    struct channel_writer single;
    struct channel_writer batch;
    unsigned char elements[MAX_BATCH * SIZE];
    const uint64_t start = UINT64_MAX - 9;
    size_t count;

    (void)state;
    for (count = 1; count <= MAX_BATCH; count++) {
        size_t i;

        assert_int_equal(
            channel_writer_init(&single, single_buf.mem, mem_size, TEST_PROTOCOL, SIZE, TEST_EPOCH),
            0);
        assert_int_equal(
            channel_writer_init(&batch, batch_buf.mem, mem_size, TEST_PROTOCOL, SIZE, TEST_EPOCH),
            0);
        test_set_counters(&single, start);
        test_set_counters(&batch, start);
        fill_batch(elements, start, count);
        channel_write_batch(&batch, elements, count);
        for (i = 0; i < count; i++) {
            channel_write(&single, elements + i * SIZE);
        }
        assert_memory_equal(single_buf.mem, batch_buf.mem, mem_size);
    }
}

/* Read everything pending from r in batches of at most max, checking the sequence. */
static size_t drain_in_batches(struct channel_reader *r, size_t max, uint64_t *next)
{
    unsigned char out[MAX_BATCH * SIZE];
    size_t delivered = 0;
    size_t count;
    size_t i;
    int guard;

    for (guard = 0; guard < 1000; guard++) {
        enum channel_result result = channel_read_batch(r, out, max, &count);

        if (result == CHANNEL_NO_DATA) {
            assert_int_equal(count, 0);
            return delivered;
        }
        assert_int_equal(result, CHANNEL_SUCCESS);
        assert_true(count >= 1 && count <= max);
        for (i = 0; i < count; i++) {
            assert_true(test_element_is(out + i * SIZE, SIZE, *next));
            (*next)++;
        }
        delivered += count;
    }
    fail_msg("batch reads did not finish");
    return delivered;
}

/* A writer on single_buf. */
static void open_writer(struct channel_writer *w)
{
    assert_int_equal(
        channel_writer_init(w, single_buf.mem, mem_size, TEST_PROTOCOL, SIZE, TEST_EPOCH), 0);
}

/* A reader of single_buf, synchronised to the writer's epoch. */
static void open_reader(struct channel_reader *r)
{
    unsigned char scratch[SIZE];

    assert_int_equal(channel_reader_init(r, single_buf.mem, mem_size, TEST_PROTOCOL, SIZE), 0);
    assert_int_equal(channel_read(r, scratch), CHANNEL_EPOCH_CHANGED);
}

static void batch_reads_deliver_what_single_reads_deliver(void **state)
{
    struct channel_writer w;
    struct channel_reader single;
    struct channel_reader batch;
    unsigned char elements[SLOTS * SIZE];
    unsigned char out[SIZE];
    uint64_t seq = 0;
    uint64_t next_single = 0;
    uint64_t next_batch = 0;
    size_t round;

    (void)state;
    srand(2);
    open_writer(&w);
    open_reader(&single);
    open_reader(&batch);
    for (round = 0; round < 300; round++) {
        size_t written = 1 + (size_t)rand() % SLOTS;
        size_t max = 1 + (size_t)rand() % (2 * SLOTS);
        int guard;

        fill_batch(elements, seq, written);
        channel_write_batch(&w, elements, written);
        seq += written;
        for (guard = 0; guard <= SLOTS; guard++) {
            enum channel_result result = channel_read(&single, out);

            if (result == CHANNEL_NO_DATA) {
                break;
            }
            assert_int_equal(result, CHANNEL_SUCCESS);
            assert_true(test_element_is(out, SIZE, next_single));
            next_single++;
        }
        (void)drain_in_batches(&batch, max, &next_batch);
        assert_int_equal(next_single, seq);
        assert_int_equal(next_batch, seq);
    }
    assert_int_equal(channel_lost(&single), 0);
    assert_int_equal(channel_lost(&batch), 0);
}

static void batch_read_wraps_around_the_ring_end(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    unsigned char elements[SLOTS * SIZE];
    uint64_t next = 0;

    (void)state;
    open_writer(&w);
    open_reader(&r);
    fill_batch(elements, 0, 5);
    channel_write_batch(&w, elements, 5);
    assert_int_equal(drain_in_batches(&r, SLOTS, &next), 5);
    /* Slots 5, 6, 0, 1, 2, 3, 4: one batch read spans the end of the ring. */
    fill_batch(elements, 5, SLOTS);
    channel_write_batch(&w, elements, SLOTS);
    assert_int_equal(drain_in_batches(&r, SLOTS, &next), SLOTS);
    assert_int_equal(next, 5 + SLOTS);
}

static void batch_read_reports_overrun_and_counts_lost_like_single_reads(void **state)
{
    struct channel_writer w;
    struct channel_reader single;
    struct channel_reader batch;
    unsigned char elements[MAX_BATCH * SIZE];
    unsigned char out[MAX_BATCH * SIZE];
    size_t count = 99;
    uint64_t next = 5; /* the first element not overwritten */

    (void)state;
    open_writer(&w);
    open_reader(&single);
    open_reader(&batch);
    fill_batch(elements, 0, SLOTS + 5);
    channel_write_batch(&w, elements, SLOTS + 5);
    assert_int_equal(channel_read(&single, out), CHANNEL_OVERRUN);
    assert_int_equal(channel_read_batch(&batch, out, MAX_BATCH, &count), CHANNEL_OVERRUN);
    assert_int_equal(count, 0);
    assert_int_equal(channel_lost(&single), 5);
    assert_int_equal(channel_lost(&batch), 5);
    assert_int_equal(drain_in_batches(&batch, MAX_BATCH, &next), SLOTS);
}

static void batch_overrun_in_the_middle_of_a_batch_discards_it(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    unsigned char elements[MAX_BATCH * SIZE];
    unsigned char out[MAX_BATCH * SIZE];
    size_t count = 99;
    uint64_t next = 3;

    (void)state;
    open_writer(&w);
    open_reader(&r);
    fill_batch(elements, 0, SLOTS);
    channel_write_batch(&w, elements, SLOTS);
    /* The writer announces elements 7..9 (slots 0..2) but has not published them. */
    test_set_field(single_buf.mem, CHANNEL_OFF_WSC, SLOTS + 3);
    assert_int_equal(channel_read_batch(&r, out, MAX_BATCH, &count), CHANNEL_OVERRUN);
    assert_int_equal(count, 0);
    assert_int_equal(channel_lost(&r), 3);
    assert_int_equal(drain_in_batches(&r, MAX_BATCH, &next), SLOTS - 3);
}

static void batch_write_longer_than_the_ring_keeps_its_last_elements(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    unsigned char elements[MAX_BATCH * SIZE];
    unsigned char out[SIZE];
    uint64_t next = 2 * SLOTS + 3;

    (void)state;
    open_writer(&w);
    open_reader(&r);
    fill_batch(elements, 0, 3 * SLOTS + 3);
    channel_write_batch(&w, elements, 3 * SLOTS + 3);
    assert_int_equal(channel_read(&r, out), CHANNEL_OVERRUN);
    assert_int_equal(channel_lost(&r), 2 * SLOTS + 3);
    assert_int_equal(drain_in_batches(&r, 2, &next), SLOTS);
}

static void batch_read_with_max_zero_copies_nothing(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    unsigned char elements[SLOTS * SIZE];
    unsigned char out[SIZE];
    size_t count = 99;

    (void)state;
    open_writer(&w);
    assert_int_equal(channel_reader_init(&r, single_buf.mem, mem_size, TEST_PROTOCOL, SIZE), 0);
    memset(out, 0x77, sizeof(out));
    /* State changes are still reported... */
    assert_int_equal(channel_read_batch(&r, out, 0, &count), CHANNEL_EPOCH_CHANGED);
    fill_batch(elements, 0, 2);
    channel_write_batch(&w, elements, 2);
    /* ...but no element is consumed or copied. */
    assert_int_equal(channel_read_batch(&r, out, 0, &count), CHANNEL_NO_DATA);
    assert_int_equal(count, 0);
    assert_int_equal(out[0], 0x77);
    assert_int_equal(channel_read(&r, out), CHANNEL_SUCCESS);
    assert_true(test_element_is(out, SIZE, 0));
}

static void empty_batch_write_changes_nothing(void **state)
{
    struct channel_writer w;
    unsigned char before[64 + SLOTS * SIZE];
    unsigned char element[SIZE];

    (void)state;
    open_writer(&w);
    memcpy(before, single_buf.mem, sizeof(before));
    channel_write_batch(&w, element, 0);
    assert_memory_equal(before, single_buf.mem, sizeof(before));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batch_write_leaves_the_same_bytes_as_single_writes),
        cmocka_unit_test(batch_write_across_2_64_matches_single_writes),
        cmocka_unit_test(batch_reads_deliver_what_single_reads_deliver),
        cmocka_unit_test(batch_read_wraps_around_the_ring_end),
        cmocka_unit_test(batch_read_reports_overrun_and_counts_lost_like_single_reads),
        cmocka_unit_test(batch_overrun_in_the_middle_of_a_batch_discards_it),
        cmocka_unit_test(batch_write_longer_than_the_ring_keeps_its_last_elements),
        cmocka_unit_test(batch_read_with_max_zero_copies_nothing),
        cmocka_unit_test(empty_batch_write_changes_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
