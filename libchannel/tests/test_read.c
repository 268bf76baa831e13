/*
 * Unit tests of single-element reads and writes: every result code, overrun and lost
 * accounting, counters past 2^32 and across 2^64, epoch changes, deactivation,
 * incompatible headers, element sizes that are not multiples of 8.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_util.h"

static struct test_buffer buf;

/* A writer and a reader over `elements` slots of `size` bytes at the start of buf. */
static void open_channel(struct channel_writer *w, struct channel_reader *r, size_t elements,
                         size_t size)
{
    size_t mem_size = 64 + elements * size;

    memset(buf.mem, 0xee, sizeof(buf.mem));
    assert_int_equal(channel_writer_init(w, buf.mem, mem_size, TEST_PROTOCOL, size, TEST_EPOCH), 0);
    assert_int_equal(channel_reader_init(r, buf.mem, mem_size, TEST_PROTOCOL, size), 0);
}

static void write_seq(struct channel_writer *w, uint64_t first, uint64_t count)
{
    unsigned char element[256];
    uint64_t i;

    /* Counted with i: first + count may wrap past 2^64. */
    for (i = 0; i < count; i++) {
        test_fill_element(element, (size_t)w->element_size, first + i);
        channel_write(w, element);
    }
}

/* Read one element and check it is seq. */
static void expect_element(struct channel_reader *r, uint64_t seq)
{
    unsigned char element[256];

    assert_int_equal(channel_read(r, element), CHANNEL_SUCCESS);
    assert_true(test_element_is(element, (size_t)r->element_size, seq));
}

static void expect_result(struct channel_reader *r, enum channel_result expected)
{
    unsigned char element[256];

    assert_int_equal(channel_read(r, element), expected);
}

/* The next read reports an overrun, and the reader has now lost lost_total in all. */
static void expect_overrun(struct channel_reader *r, uint64_t lost_total)
{
    expect_result(r, CHANNEL_OVERRUN);
    assert_int_equal(channel_lost(r), lost_total);
}

/* Read count elements and check they are first, first + 1, ... (modulo 2^64). */
static void expect_elements(struct channel_reader *r, uint64_t first, uint64_t count)
{
    uint64_t i;

    for (i = 0; i < count; i++) {
        expect_element(r, first + i);
    }
}

/* A channel of `elements` 16-byte slots and a reader synchronised to it. */
static void open_synced(struct channel_writer *w, struct channel_reader *r, size_t elements)
{
    open_channel(w, r, elements, 16);
    expect_result(r, CHANNEL_EPOCH_CHANGED);
}

static void reader_reports_inactive_before_any_writer(void **state)
{
    struct channel_reader r;

    (void)state;
    memset(buf.mem, 0, sizeof(buf.mem));
    assert_int_equal(channel_reader_init(&r, buf.mem, 4096, TEST_PROTOCOL, 8), 0);
    expect_result(&r, CHANNEL_INACTIVE);
    assert_false(channel_has_data(&r));
}

static void reader_reports_epoch_changed_then_no_data_on_a_fresh_channel(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_channel(&w, &r, 4, 16);
    assert_true(channel_has_data(&r));
    expect_result(&r, CHANNEL_EPOCH_CHANGED);
    assert_false(channel_has_data(&r));
    expect_result(&r, CHANNEL_NO_DATA);
}

static void reader_reads_elements_in_write_order(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    uint64_t seq;

    (void)state;
    open_synced(&w, &r, 4);
    for (seq = 0; seq < 40; seq += 3) {
        write_seq(&w, seq, 3);
        assert_true(channel_has_data(&r));
        expect_elements(&r, seq, 3);
        assert_false(channel_has_data(&r));
        expect_result(&r, CHANNEL_NO_DATA);
    }
    assert_int_equal(channel_lost(&r), 0);
}

static void reader_detects_overrun_after_lap_and_counts_lost_exactly(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_synced(&w, &r, 4);
    write_seq(&w, 0, 7);
    expect_overrun(&r, 3);
    /* It continues at the oldest element the writer has not touched since. */
    expect_elements(&r, 3, 4);
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(channel_lost(&r), 3);
}

static void reader_treats_element_being_overwritten_as_lost(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_synced(&w, &r, 4);
    write_seq(&w, 0, 4);
    /* The writer has started element 4 (slot 0, holding element 0) but not finished. */
    test_set_field(buf.mem, CHANNEL_OFF_WSC, 5);
    expect_overrun(&r, 1);
    expect_elements(&r, 1, 3);
    expect_result(&r, CHANNEL_NO_DATA);
}

static void reader_outpaced_twice_in_a_row_resumes_at_the_writers_newest(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_synced(&w, &r, 8);
    write_seq(&w, 0, 20);
    /* The writer is idle while the reader looks: the ring (12..19) is intact. */
    expect_overrun(&r, 12);
    write_seq(&w, 20, 10);
    /* Overrun again before any success: the writer is outpacing the reader, which now
     * resumes at wc (30), a whole ring away from the next overwrite, as Muen's does. */
    expect_overrun(&r, 30);
    expect_result(&r, CHANNEL_NO_DATA);
    write_seq(&w, 30, 8);
    expect_elements(&r, 30, 8);
    expect_result(&r, CHANNEL_NO_DATA);
    /* A success in between makes the next overrun a first one again. */
    write_seq(&w, 38, 9);
    expect_overrun(&r, 31);
    expect_element(&r, 39);
}

static void reader_outpaced_by_a_batch_longer_than_the_ring_resumes_at_oldest(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_synced(&w, &r, 8);
    write_seq(&w, 0, 10);
    expect_overrun(&r, 2);
    /* Next, a batch of 20 has begun at wc = 10 (wsc = 30): wc is a lap behind wsc. */
    test_set_field(buf.mem, CHANNEL_OFF_WSC, 30);
    expect_overrun(&r, 22);
    /* The batch finishes: elements 22..29 are the ring's last 8. */
    test_set_counters(&w, 22);
    write_seq(&w, 22, 8);
    expect_elements(&r, 22, 8);
    expect_result(&r, CHANNEL_NO_DATA);
}

static void reader_never_counts_more_lost_than_the_writer_has_begun(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_synced(&w, &r, 8);
    write_seq(&w, 0, 10);
    expect_overrun(&r, 2);
    write_seq(&w, 10, 10);
    /* A wc beyond wsc (only a misbehaving writer stores that) is not a resume point. */
    test_set_field(buf.mem, CHANNEL_OFF_WC, 1000);
    expect_overrun(&r, 12);
    assert_true(channel_lost(&r) <= test_get_field(buf.mem, CHANNEL_OFF_WSC));
}

static void reader_joining_late_starts_at_oldest_element_without_loss(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_channel(&w, &r, 4, 16);
    write_seq(&w, 0, 10);
    expect_result(&r, CHANNEL_EPOCH_CHANGED);
    expect_elements(&r, 6, 4);
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(channel_lost(&r), 0);
}

/* A writer and a reader whose counters stand at start, the reader caught up. */
static void open_channel_at(struct channel_writer *w, struct channel_reader *r, size_t elements,
                            uint64_t start)
{
    open_channel(w, r, elements, 16);
    test_set_counters(w, start);
    expect_result(r, CHANNEL_EPOCH_CHANGED);
    channel_drain(r);
}

static void counters_run_past_2_32_without_truncation(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    const uint64_t start = (1ULL << 32) - 3;

    (void)state;
    open_channel_at(&w, &r, 5, start);
    write_seq(&w, start, 5);
    expect_elements(&r, start, 5);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_WC), start + 5);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_WSC), start + 5);
    /* A lap across 2^32 is still an exact overrun. */
    write_seq(&w, start + 5, 7);
    expect_overrun(&r, 2);
    expect_element(&r, start + 7);
}

static void reader_keeping_up_crosses_2_64_without_loss(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    const uint64_t start = UINT64_MAX - 2; /* 2^64 - 3 */
    uint64_t i;

    (void)state;
    /* 5 does not divide 2^64: slot numbering jumps from 0 (2^64 - 1) to 0 (0). */
    open_channel_at(&w, &r, 5, start);
    for (i = 0; i < 6; i++) {
        write_seq(&w, start + i, 1);
        expect_element(&r, start + i);
        expect_result(&r, CHANNEL_NO_DATA);
    }
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_WC), 3); /* wrapped */
    /* Past the wrap, laps are exact again. */
    write_seq(&w, start + 6, 7);
    expect_overrun(&r, 2);
    expect_elements(&r, start + 8, 5);
    expect_result(&r, CHANNEL_NO_DATA);
}

static void reader_behind_at_2_64_wrap_resumes_after_it_and_counts_lost(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    const uint64_t start = UINT64_MAX - 2;

    (void)state;
    open_channel_at(&w, &r, 5, start);
    /* Element 0 lands in the slot of element 2^64 - 1, less than a lap after it. */
    write_seq(&w, start, 6);
    expect_overrun(&r, 3);
    expect_elements(&r, 0, 3);
    expect_result(&r, CHANNEL_NO_DATA);
}

static void power_of_two_ring_crosses_2_64_behind_without_loss(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    const uint64_t start = UINT64_MAX - 1;

    (void)state;
    /* 4 divides 2^64: slots stay consecutive across the wrap, a full lap is readable. */
    open_channel_at(&w, &r, 4, start);
    write_seq(&w, start, 4);
    expect_elements(&r, start, 4);
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(channel_lost(&r), 0);
}

static void overrun_straddling_2_64_counts_lost_exactly(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    const uint64_t start = UINT64_MAX - 5;

    (void)state;
    open_channel_at(&w, &r, 4, start);
    write_seq(&w, start, 11); /* rc = 2^64 - 6, wc = 5 after the wrap */
    expect_overrun(&r, 7);
    expect_element(&r, start + 7);
}

static void reader_resumes_after_the_2_64_wrap_when_its_target_is_before_it(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    const uint64_t start = UINT64_MAX - 9; /* 2^64 - 10 */

    (void)state;
    /* 5 slots: counter % 5 jumps at the wrap, so no element before it is safe to resume at. */
    open_channel_at(&w, &r, 5, start);
    write_seq(&w, start, 2);
    /* A batch of 10 crossing the wrap has begun (wsc = 2), none of it finished. */
    test_set_field(buf.mem, CHANNEL_OFF_WSC, 2);
    expect_overrun(&r, 10);
    test_set_counters(&w, 0);
    write_seq(&w, 0, 2);
    expect_elements(&r, 0, 2);
    expect_result(&r, CHANNEL_NO_DATA);
}

static void lost_saturates_instead_of_wrapping(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_synced(&w, &r, 4);
    r.lost = UINT64_MAX - 1;
    write_seq(&w, 0, 7);
    expect_overrun(&r, UINT64_MAX);
}

static void epoch_change_mid_stream_restarts_the_reader(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_synced(&w, &r, 4);
    write_seq(&w, 0, 3);
    expect_element(&r, 0);
    assert_int_equal(channel_writer_init(&w, buf.mem, 64 + 4 * 16, TEST_PROTOCOL, 16, TEST_EPOCH2),
                     0);
    write_seq(&w, 100, 2);
    assert_true(channel_has_data(&r));
    expect_result(&r, CHANNEL_EPOCH_CHANGED);
    expect_element(&r, 100);
    expect_element(&r, 101);
    expect_result(&r, CHANNEL_NO_DATA);
    /* Unread elements of the old epoch are not overrun losses. */
    assert_int_equal(channel_lost(&r), 0);
}

static void deactivation_makes_readers_inactive_and_drops_writes(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_synced(&w, &r, 4);
    write_seq(&w, 0, 2);
    expect_element(&r, 0);
    channel_deactivate(&w);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_EPOCH), CHANNEL_NULL_EPOCH);
    assert_true(channel_has_data(&r)); /* the state change is worth a read */
    expect_result(&r, CHANNEL_INACTIVE);
    assert_false(channel_has_data(&r));
    expect_result(&r, CHANNEL_INACTIVE);
    write_seq(&w, 2, 3);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_WC), 2);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_EPOCH), CHANNEL_NULL_EPOCH);
}

static void reactivation_resynchronises_even_with_the_same_epoch(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_synced(&w, &r, 4);
    write_seq(&w, 0, 3);
    expect_element(&r, 0);
    channel_deactivate(&w);
    expect_result(&r, CHANNEL_INACTIVE);
    assert_int_equal(channel_writer_init(&w, buf.mem, 64 + 4 * 16, TEST_PROTOCOL, 16, TEST_EPOCH),
                     0);
    write_seq(&w, 50, 1);
    expect_result(&r, CHANNEL_EPOCH_CHANGED);
    expect_element(&r, 50);
    expect_result(&r, CHANNEL_NO_DATA);
}

/*
 * 8-byte elements take channel_read's own path, which remembers the write counter
 * between calls, loads the epoch only after its copy, and copies ahead up to
 * CHANNEL_READ_AHEAD published elements to hand them out one per call. Those are delivered even when
 * the writer re-initialises, deactivates or laps the reader after the copy (they were
 * intact when copied); then every state change must be seen, also while the reader
 * believes elements are pending.
 */
static void eight_byte_reads_see_epoch_changes_deactivation_and_overruns(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_channel(&w, &r, 4, 8);
    expect_result(&r, CHANNEL_EPOCH_CHANGED);
    write_seq(&w, 0, 3);
    expect_element(&r, 0); /* 1 and 2 are read ahead */
    assert_int_equal(channel_writer_init(&w, buf.mem, 64 + 4 * 8, TEST_PROTOCOL, 8, TEST_EPOCH2),
                     0);
    write_seq(&w, 100, 3);
    expect_elements(&r, 1, 2);
    expect_result(&r, CHANNEL_EPOCH_CHANGED);
    expect_element(&r, 100); /* 101 and 102 are read ahead */
    channel_deactivate(&w);
    expect_elements(&r, 101, 2);
    expect_result(&r, CHANNEL_INACTIVE);
    assert_int_equal(channel_writer_init(&w, buf.mem, 64 + 4 * 8, TEST_PROTOCOL, 8, TEST_EPOCH),
                     0);
    expect_result(&r, CHANNEL_EPOCH_CHANGED);
    write_seq(&w, 0, 2);
    expect_element(&r, 0); /* 1 is read ahead */
    /* The writer laps the reader: 1 was copied before, element 2 is lost. */
    write_seq(&w, 2, 5);
    expect_element(&r, 1);
    expect_overrun(&r, 1);
    expect_elements(&r, 3, 4);
    expect_result(&r, CHANNEL_NO_DATA);
    /* An element being overwritten while known pending is not delivered. */
    write_seq(&w, 7, 1);
    test_set_field(buf.mem, CHANNEL_OFF_WSC, 12);
    expect_overrun(&r, 2);
    expect_result(&r, CHANNEL_NO_DATA);
}

/* A header as a writer would lay it down for a reader of 4 slots of 16 bytes. */
static void put_header(uint64_t transport, uint64_t protocol, uint64_t size, uint64_t elements,
                       uint64_t epoch)
{
    test_set_field(buf.mem, CHANNEL_OFF_TRANSPORT, transport);
    test_set_field(buf.mem, CHANNEL_OFF_PROTOCOL, protocol);
    test_set_field(buf.mem, CHANNEL_OFF_SIZE, size);
    test_set_field(buf.mem, CHANNEL_OFF_ELEMENTS, elements);
    test_set_field(buf.mem, CHANNEL_OFF_WSC, 0);
    test_set_field(buf.mem, CHANNEL_OFF_WC, 0);
    test_set_field(buf.mem, CHANNEL_OFF_EPOCH, epoch);
}

static void expect_incompatible_header(uint64_t transport, uint64_t protocol, uint64_t size,
                                       uint64_t elements)
{
    struct channel_reader r;

    memset(buf.mem, 0, sizeof(buf.mem));
    assert_int_equal(channel_reader_init(&r, buf.mem, 64 + 4 * 16, TEST_PROTOCOL, 16), 0);
    put_header(transport, protocol, size, elements, TEST_EPOCH);
    test_set_field(buf.mem, CHANNEL_OFF_WC, 1);
    expect_result(&r, CHANNEL_INCOMPATIBLE);
    /* It stays incompatible, and has_data does not keep announcing it. */
    assert_false(channel_has_data(&r));
    expect_result(&r, CHANNEL_INCOMPATIBLE);
    /* A compatible re-initialisation (new epoch) is picked up. */
    put_header(CHANNEL_TRANSPORT_MARKER, TEST_PROTOCOL, 16, 4, TEST_EPOCH2);
    assert_true(channel_has_data(&r));
    expect_result(&r, CHANNEL_EPOCH_CHANGED);
    expect_result(&r, CHANNEL_NO_DATA);
}

static void reader_rejects_wrong_protocol(void **state)
{
    (void)state;
    expect_incompatible_header(CHANNEL_TRANSPORT_MARKER, TEST_PROTOCOL + 1, 16, 4);
}

static void reader_rejects_wrong_element_size(void **state)
{
    (void)state;
    expect_incompatible_header(CHANNEL_TRANSPORT_MARKER, TEST_PROTOCOL, 8, 4);
    expect_incompatible_header(CHANNEL_TRANSPORT_MARKER, TEST_PROTOCOL, 0, 4);
    expect_incompatible_header(CHANNEL_TRANSPORT_MARKER, TEST_PROTOCOL, 17, 4);
}

static void reader_rejects_wrong_transport_marker(void **state)
{
    (void)state;
    expect_incompatible_header(CHANNEL_TRANSPORT_MARKER ^ 1u, TEST_PROTOCOL, 16, 4);
}

static void reader_rejects_element_count_zero_or_beyond_its_mapping(void **state)
{
    (void)state;
    expect_incompatible_header(CHANNEL_TRANSPORT_MARKER, TEST_PROTOCOL, 16, 0);
    expect_incompatible_header(CHANNEL_TRANSPORT_MARKER, TEST_PROTOCOL, 16, 5);
    expect_incompatible_header(CHANNEL_TRANSPORT_MARKER, TEST_PROTOCOL, 16, UINT64_MAX);
    /* elements * size wraps to a small number: must still be rejected. */
    expect_incompatible_header(CHANNEL_TRANSPORT_MARKER, TEST_PROTOCOL, 16, (1ULL << 60) + 1);
}

static void reader_rejects_mapping_smaller_than_writers_channel(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    assert_int_equal(channel_writer_init(&w, buf.mem, 64 + 8 * 16, TEST_PROTOCOL, 16, TEST_EPOCH),
                     0);
    assert_int_equal(channel_reader_init(&r, buf.mem, 64 + 8 * 16 - 1, TEST_PROTOCOL, 16), 0);
    expect_result(&r, CHANNEL_INCOMPATIBLE);
}

static void reader_accepts_mapping_larger_than_the_channel(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    assert_int_equal(channel_writer_init(&w, buf.mem, 64 + 8 * 16, TEST_PROTOCOL, 16, TEST_EPOCH),
                     0);
    assert_int_equal(channel_reader_init(&r, buf.mem, 4096, TEST_PROTOCOL, 16), 0);
    expect_result(&r, CHANNEL_EPOCH_CHANGED);
    write_seq(&w, 0, 10);
    expect_overrun(&r, 2);
    expect_element(&r, 2);
}

static void odd_element_sizes_round_trip_without_touching_neighbours(void **state)
{
    static const size_t sizes[] = {1, 3, 7, 9, 13, 63, 65, 255};
    struct channel_writer w;
    struct channel_reader r;
    unsigned char element[256 + 16];
    size_t k;
    size_t i;
    uint64_t seq;

    (void)state;
    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t size = sizes[k];

        open_channel(&w, &r, 5, size);
        expect_result(&r, CHANNEL_EPOCH_CHANGED);
        for (seq = 0; seq < 12; seq++) {
            write_seq(&w, seq, 1);
            memset(element, 0xcc, sizeof(element));
            assert_int_equal(channel_read(&r, element), CHANNEL_SUCCESS);
            assert_true(test_element_is(element, size, seq));
            /* The reader writes exactly element_size bytes. */
            for (i = size; i < sizeof(element); i++) {
                assert_int_equal(element[i], 0xcc);
            }
        }
        /* The writer never wrote past its last slot. */
        for (i = 64 + 5 * size; i < sizeof(buf.mem); i++) {
            assert_int_equal(buf.mem[i], 0xee);
        }
    }
}

static void drain_skips_what_is_written_without_counting_loss(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_channel(&w, &r, 4, 16);
    write_seq(&w, 0, 9);
    channel_drain(&r); /* synchronises to the epoch first */
    assert_false(channel_has_data(&r));
    expect_result(&r, CHANNEL_NO_DATA);
    write_seq(&w, 9, 1);
    expect_element(&r, 9);
    assert_int_equal(channel_lost(&r), 0);
}

static void reader_never_stores_to_channel_memory(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    unsigned char before[64 + 4 * 16];
    size_t count;
    unsigned char out[4 * 16];

    (void)state;
    open_channel(&w, &r, 4, 16);
    write_seq(&w, 0, 6);
    memcpy(before, buf.mem, sizeof(before));
    expect_result(&r, CHANNEL_EPOCH_CHANGED);
    expect_element(&r, 2);
    (void)channel_read_batch(&r, out, 4, &count);
    channel_drain(&r);
    (void)channel_has_data(&r);
    expect_result(&r, CHANNEL_NO_DATA);
    assert_memory_equal(before, buf.mem, sizeof(before));
}

static void null_arguments_are_refused_without_crashing(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    unsigned char element[16];
    size_t count = 7;

    (void)state;
    open_channel(&w, &r, 4, 16);
    assert_int_equal(channel_read(NULL, element), CHANNEL_INCOMPATIBLE);
    assert_int_equal(channel_read(&r, NULL), CHANNEL_INCOMPATIBLE);
    assert_int_equal(channel_read_batch(&r, NULL, 1, &count), CHANNEL_INCOMPATIBLE);
    assert_int_equal(count, 0);
    assert_int_equal(channel_read_batch(&r, element, 1, NULL), CHANNEL_INCOMPATIBLE);
    channel_write(NULL, element);
    channel_write(&w, NULL);
    channel_write_batch(&w, NULL, 3);
    channel_deactivate(NULL);
    channel_drain(NULL);
    assert_false(channel_has_data(NULL));
    assert_int_equal(channel_lost(NULL), 0);
    assert_int_equal(test_get_field(buf.mem, CHANNEL_OFF_WC), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reader_reports_inactive_before_any_writer),
        cmocka_unit_test(reader_reports_epoch_changed_then_no_data_on_a_fresh_channel),
        cmocka_unit_test(reader_reads_elements_in_write_order),
        cmocka_unit_test(reader_detects_overrun_after_lap_and_counts_lost_exactly),
        cmocka_unit_test(reader_treats_element_being_overwritten_as_lost),
        cmocka_unit_test(reader_outpaced_twice_in_a_row_resumes_at_the_writers_newest),
        cmocka_unit_test(reader_outpaced_by_a_batch_longer_than_the_ring_resumes_at_oldest),
        cmocka_unit_test(reader_never_counts_more_lost_than_the_writer_has_begun),
        cmocka_unit_test(reader_joining_late_starts_at_oldest_element_without_loss),
        cmocka_unit_test(counters_run_past_2_32_without_truncation),
        cmocka_unit_test(reader_keeping_up_crosses_2_64_without_loss),
        cmocka_unit_test(reader_behind_at_2_64_wrap_resumes_after_it_and_counts_lost),
        cmocka_unit_test(power_of_two_ring_crosses_2_64_behind_without_loss),
        cmocka_unit_test(overrun_straddling_2_64_counts_lost_exactly),
        cmocka_unit_test(reader_resumes_after_the_2_64_wrap_when_its_target_is_before_it),
        cmocka_unit_test(lost_saturates_instead_of_wrapping),
        cmocka_unit_test(epoch_change_mid_stream_restarts_the_reader),
        cmocka_unit_test(deactivation_makes_readers_inactive_and_drops_writes),
        cmocka_unit_test(reactivation_resynchronises_even_with_the_same_epoch),
        cmocka_unit_test(eight_byte_reads_see_epoch_changes_deactivation_and_overruns),
        cmocka_unit_test(reader_rejects_wrong_protocol),
        cmocka_unit_test(reader_rejects_wrong_element_size),
        cmocka_unit_test(reader_rejects_wrong_transport_marker),
        cmocka_unit_test(reader_rejects_element_count_zero_or_beyond_its_mapping),
        cmocka_unit_test(reader_rejects_mapping_smaller_than_writers_channel),
        cmocka_unit_test(reader_accepts_mapping_larger_than_the_channel),
        cmocka_unit_test(odd_element_sizes_round_trip_without_touching_neighbours),
        cmocka_unit_test(drain_skips_what_is_written_without_counting_loss),
        cmocka_unit_test(reader_never_stores_to_channel_memory),
        cmocka_unit_test(null_arguments_are_refused_without_crashing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
