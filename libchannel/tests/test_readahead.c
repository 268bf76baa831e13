/*
 * Unit tests of the 8-byte reader's read-ahead (docs/channel-protocol.md, "Read-ahead"):
 * channel_read of an 8-byte element copies the published elements up to the end of the
 * slots' cache line, validates them with one wsc check and hands them out one per call
 * without touching the channel. What is copied, where a copy stops, which copies are
 * refused, and what the other calls do with elements read ahead.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"

static struct test_buffer buf;

/* A writer and a reader of `elements` 8-byte slots at mem, the reader synchronised. */
static void open_at(unsigned char *mem, struct channel_writer *w, struct channel_reader *r,
                    size_t elements)
{
    size_t mem_size = 64 + elements * 8;
    uint64_t scratch;

    assert_int_equal(channel_writer_init(w, mem, mem_size, TEST_PROTOCOL, 8, TEST_EPOCH), 0);
    assert_int_equal(channel_reader_init(r, mem, mem_size, TEST_PROTOCOL, 8), 0);
    assert_int_equal(channel_read(r, &scratch), CHANNEL_EPOCH_CHANGED);
}

static void open_channel(struct channel_writer *w, struct channel_reader *r, size_t elements)
{
    memset(buf.mem, 0xee, sizeof(buf.mem));
    open_at(buf.mem, w, r, elements);
}

/* Element seq's 8 bytes as a word (test_fill_element's bytes). */
static uint64_t word_of(uint64_t seq)
{
    unsigned char e[8];
    uint64_t v;

    test_fill_element(e, 8, seq);
    memcpy(&v, e, 8);
    return v;
}

static void write_seq(struct channel_writer *w, uint64_t first, uint64_t count)
{
    uint64_t i;

    for (i = 0; i < count; i++) {
        uint64_t v = word_of(first + i);

        channel_write(w, &v);
    }
}

/* A ring of 16 slots whose first line holds elements 0 to 7, none read yet. */
static void open_line_written(struct channel_writer *w, struct channel_reader *r)
{
    open_channel(w, r, 16);
    write_seq(w, 0, 8);
}

/* The next read delivers seq, and afterwards `ahead` elements wait read ahead. */
static void expect_read(struct channel_reader *r, uint64_t seq, uint64_t ahead)
{
    uint64_t v = 0;

    assert_int_equal(channel_read(r, &v), CHANNEL_SUCCESS);
    assert_true(v == word_of(seq));
    assert_int_equal(r->ahead_count, ahead);
}

static void expect_result(struct channel_reader *r, enum channel_result expected)
{
    uint64_t v;

    assert_int_equal(channel_read(r, &v), expected);
}

/* Reads first .. first + count - 1, however they are read ahead. */
static void expect_elements(struct channel_reader *r, uint64_t first, uint64_t count)
{
    uint64_t i;

    for (i = 0; i < count; i++) {
        uint64_t v = 0;

        assert_int_equal(channel_read(r, &v), CHANNEL_SUCCESS);
        assert_true(v == word_of(first + i));
    }
}

/*
 * One read copies the line's published elements; the next seven are handed out with the
 * channel unmapped (PROT_NONE): they do not touch it. The eighth copies the next line.
 */
static void read_ahead_hands_out_a_line_without_touching_the_channel(void **state)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *mem = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                              -1, 0);
    struct channel_writer w;
    struct channel_reader r;
    uint64_t i;

    (void)state;
    assert_true(mem != MAP_FAILED);
    open_at(mem, &w, &r, 64);
    write_seq(&w, 0, 20);
    expect_read(&r, 0, CHANNEL_READ_AHEAD - 1);
    assert_int_equal(mprotect(mem, page, PROT_NONE), 0);
    for (i = 1; i < CHANNEL_READ_AHEAD; i++) {
        expect_read(&r, i, CHANNEL_READ_AHEAD - 1 - i);
    }
    assert_int_equal(mprotect(mem, page, PROT_READ | PROT_WRITE), 0);
    expect_read(&r, 8, 7);
    expect_elements(&r, 9, 7);
    /* Four of the third line are published: one read takes them all. */
    expect_read(&r, 16, 3);
    expect_elements(&r, 17, 3);
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(channel_lost(&r), 0);
    munmap(mem, page);
}

/* A copy stops at the end of the slots' line and at the ring's last slot. */
static void read_ahead_stops_at_the_line_and_at_the_end_of_the_ring(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_channel(&w, &r, 12); /* slots 0-7 and 8-11: the ring ends inside a line */
    write_seq(&w, 0, 5);
    expect_read(&r, 0, 4);
    expect_elements(&r, 1, 4);
    write_seq(&w, 5, 10); /* slots 5-11, then 0-2 */
    expect_read(&r, 5, 2); /* 5, 6, 7: the end of the first line */
    expect_elements(&r, 6, 2);
    expect_read(&r, 8, 3); /* 8 to 11: the end of the ring */
    expect_elements(&r, 9, 3);
    expect_read(&r, 12, 2); /* slots 0-2 */
    expect_elements(&r, 13, 2);
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(channel_lost(&r), 0);
}

/* Element rc announced as being overwritten: nothing copied ahead is delivered. */
static void read_ahead_refuses_a_line_whose_first_element_is_being_overwritten(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_line_written(&w, &r);
    /* The writer has begun element 16, which overwrites element 0. */
    test_set_field(buf.mem, CHANNEL_OFF_WSC, 17);
    expect_result(&r, CHANNEL_OVERRUN);
    assert_int_equal(r.ahead_count, 0);
    assert_true(channel_lost(&r) >= 1);
    assert_true(r.rc >= 1);
}

/*
 * Elements read ahead were intact when copied: they are delivered after the writer has
 * lapped the reader, then the overrun is reported and counted exactly.
 */
static void elements_read_ahead_are_delivered_after_a_lap_and_losses_stay_exact(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    uint64_t delivered = 0;

    (void)state;
    open_line_written(&w, &r);
    expect_read(&r, 0, 7);
    delivered++;
    write_seq(&w, 8, 40); /* slots 0-15 rewritten more than twice */
    expect_elements(&r, 1, 7);
    delivered += 7;
    expect_result(&r, CHANNEL_OVERRUN);
    /* The writer is away: the reader resumes at the oldest intact element, 48 - 16. */
    assert_int_equal(channel_lost(&r), 32 - 8);
    expect_elements(&r, 32, 16);
    delivered += 16;
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(delivered + channel_lost(&r), 48);
}

/* A new epoch or a deactivation is reported once what was read ahead is handed out. */
static void epoch_change_and_deactivation_come_after_the_elements_read_ahead(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_line_written(&w, &r);
    expect_read(&r, 0, 7);
    assert_int_equal(channel_writer_init(&w, buf.mem, 64 + 16 * 8, TEST_PROTOCOL, 8, TEST_EPOCH2),
                     0);
    write_seq(&w, 1000, 3);
    expect_elements(&r, 1, 7);
    expect_result(&r, CHANNEL_EPOCH_CHANGED);
    expect_read(&r, 1000, 2);
    channel_deactivate(&w);
    assert_true(channel_has_data(&r));
    expect_elements(&r, 1001, 2);
    expect_result(&r, CHANNEL_INACTIVE);
    assert_int_equal(channel_lost(&r), 0);
}

/* channel_has_data counts elements read ahead; channel_drain skips them (not as lost). */
static void has_data_and_drain_know_the_elements_read_ahead(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_line_written(&w, &r);
    expect_read(&r, 0, 7);
    /* Everything written is read ahead: wc = rc, yet there is data. */
    assert_true(channel_has_data(&r));
    expect_elements(&r, 1, 6);
    assert_true(channel_has_data(&r));
    expect_read(&r, 7, 0);
    assert_false(channel_has_data(&r));
    write_seq(&w, 8, 8);
    expect_read(&r, 8, 7);
    channel_drain(&r);
    assert_false(channel_has_data(&r));
    assert_int_equal(r.ahead_count, 0);
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(channel_lost(&r), 0);
    write_seq(&w, 16, 1);
    expect_read(&r, 16, 0);
    /* Draining a channel that went inactive skips what was read ahead too. */
    write_seq(&w, 17, 8);
    expect_read(&r, 17, 6);
    channel_deactivate(&w);
    channel_drain(&r);
    assert_false(channel_has_data(&r));
    expect_result(&r, CHANNEL_INACTIVE);
}

/* A batch read takes the elements read ahead first, then reads the channel again. */
static void batch_read_hands_out_the_elements_read_ahead_first(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    uint64_t many[16];
    size_t count = 99;
    size_t i;

    (void)state;
    open_channel(&w, &r, 32);
    write_seq(&w, 0, 20);
    expect_read(&r, 0, 7);
    assert_int_equal(channel_read_batch(&r, many, 4, &count), CHANNEL_SUCCESS);
    assert_int_equal(count, 4);
    for (i = 0; i < 4; i++) {
        assert_true(many[i] == word_of(1 + i));
    }
    assert_int_equal(channel_read_batch(&r, many, 16, &count), CHANNEL_SUCCESS);
    assert_int_equal(count, 3);
    for (i = 0; i < 3; i++) {
        assert_true(many[i] == word_of(5 + i));
    }
    assert_int_equal(channel_read_batch(&r, many, 16, &count), CHANNEL_SUCCESS);
    assert_int_equal(count, 12);
    for (i = 0; i < 12; i++) {
        assert_true(many[i] == word_of(8 + i));
    }
    /* max 0 copies nothing, read ahead or not. */
    write_seq(&w, 20, 4);
    expect_read(&r, 20, 3);
    assert_int_equal(channel_read_batch(&r, many, 0, &count), CHANNEL_NO_DATA);
    assert_int_equal(count, 0);
    expect_elements(&r, 21, 3);
}

/*
 * Across the 2^64 wrap on a ring whose size does not divide 2^64, slot numbering jumps
 * (element 2^64 - 1 is in slot 3 of 12, element 0 in slot 0): copies on either side
 * come from the right slots.
 */
static void read_ahead_stops_at_the_2_64_wrap(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    const uint64_t start = UINT64_MAX - 2; /* 2^64 - 3, slot 1 */

    (void)state;
    open_channel(&w, &r, 12);
    test_set_counters(&w, start);
    channel_drain(&r);
    write_seq(&w, start, 3);
    expect_read(&r, start, 2); /* 2^64 - 3 .. 2^64 - 1, in slots 1-3 */
    expect_elements(&r, start + 1, 2);
    /* (A reader behind a writer past the wrap is overrun: channel_overwritten.) */
    write_seq(&w, 0, 5);
    expect_read(&r, 0, 4); /* elements 0 to 4 from slot 0 */
    expect_elements(&r, 1, 4);
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(channel_lost(&r), 0);
}

/* Only 8-byte readers read ahead; other sizes never buffer anything. */
static void other_element_sizes_do_not_read_ahead(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    unsigned char e[16];
    unsigned i;

    (void)state;
    memset(buf.mem, 0, sizeof(buf.mem));
    assert_int_equal(channel_writer_init(&w, buf.mem, 64 + 16 * 16, TEST_PROTOCOL, 16, TEST_EPOCH),
                     0);
    assert_int_equal(channel_reader_init(&r, buf.mem, 64 + 16 * 16, TEST_PROTOCOL, 16), 0);
    assert_int_equal(channel_read(&r, e), CHANNEL_EPOCH_CHANGED);
    for (i = 0; i < 8; i++) {
        test_fill_element(e, 16, i);
        channel_write(&w, e);
    }
    assert_int_equal(channel_read(&r, e), CHANNEL_SUCCESS);
    assert_int_equal(r.ahead_count, 0);
    assert_int_equal(r.rc, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_ahead_hands_out_a_line_without_touching_the_channel),
        cmocka_unit_test(read_ahead_stops_at_the_line_and_at_the_end_of_the_ring),
        cmocka_unit_test(read_ahead_refuses_a_line_whose_first_element_is_being_overwritten),
        cmocka_unit_test(elements_read_ahead_are_delivered_after_a_lap_and_losses_stay_exact),
        cmocka_unit_test(epoch_change_and_deactivation_come_after_the_elements_read_ahead),
        cmocka_unit_test(has_data_and_drain_know_the_elements_read_ahead),
        cmocka_unit_test(batch_read_hands_out_the_elements_read_ahead_first),
        cmocka_unit_test(read_ahead_stops_at_the_2_64_wrap),
        cmocka_unit_test(other_element_sizes_do_not_read_ahead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
