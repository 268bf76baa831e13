/*
 * Unit tests of the 8-byte reader's read-ahead (docs/channel-protocol.md, "Read-ahead"):
 * channel_read of an 8-byte element copies the published elements from the next one on,
 * up to CHANNEL_READ_AHEAD (AHEAD below) and never past the ring's last slot, validates
 * them with one wsc check and hands them out one per call without touching the channel.
 * What is copied, where a copy stops (not at a cache line), which copies are refused,
 * that a change is reported after at most AHEAD - 1 elements read ahead, and what the
 * other calls do with elements read ahead. Every count is written in terms of AHEAD.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"

#define AHEAD ((uint64_t)CHANNEL_READ_AHEAD)

_Static_assert(CHANNEL_READ_AHEAD >= 4u && CHANNEL_READ_AHEAD % 2u == 0u,
               "the tests below split a read-ahead in halves and quarters");

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

static void write_seq(struct channel_writer *w, uint64_t first, uint64_t count)
{
    uint64_t i;

    for (i = 0; i < count; i++) {
        uint64_t v = test_word(first + i);

        channel_write(w, &v);
    }
}

/* A ring of 2 * AHEAD slots holding elements 0 to AHEAD - 1, none read yet. */
static void open_ahead_written(struct channel_writer *w, struct channel_reader *r)
{
    open_channel(w, r, 2 * AHEAD);
    write_seq(w, 0, AHEAD);
}

/* The next read delivers seq, and afterwards `ahead` elements wait read ahead. */
static void expect_read(struct channel_reader *r, uint64_t seq, uint64_t ahead)
{
    uint64_t v = 0;

    assert_int_equal(channel_read(r, &v), CHANNEL_SUCCESS);
    assert_true(v == test_word(seq));
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
        assert_true(v == test_word(first + i));
    }
}

/*
 * Reads while they succeed, checking that they deliver first, first + 1, ...; returns
 * how many did and stores the first other result in *result.
 */
static uint64_t read_until_not_success(struct channel_reader *r, uint64_t first,
                                       enum channel_result *result)
{
    uint64_t n = 0;

    for (;;) {
        uint64_t v = 0;
        enum channel_result res = channel_read(r, &v);

        if (res != CHANNEL_SUCCESS) {
            *result = res;
            return n;
        }
        assert_true(v == test_word(first + n));
        n++;
        assert_true(n <= 4 * AHEAD); /* no unbounded run of successes */
    }
}

/*
 * One read copies AHEAD published elements; the next AHEAD - 1 are handed out with the
 * channel unmapped (PROT_NONE): they do not touch it. The one after copies AHEAD more.
 */
static void read_ahead_hands_out_its_elements_without_touching_the_channel(void **state)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *mem = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                              -1, 0);
    struct channel_writer w;
    struct channel_reader r;
    uint64_t i;

    (void)state;
    assert_true(mem != MAP_FAILED);
    assert_true(64 + 4 * AHEAD * 8 <= page);
    open_at(mem, &w, &r, 4 * AHEAD);
    write_seq(&w, 0, 2 * AHEAD + 4);
    expect_read(&r, 0, AHEAD - 1);
    assert_int_equal(mprotect(mem, page, PROT_NONE), 0);
    for (i = 1; i < AHEAD; i++) {
        expect_read(&r, i, AHEAD - 1 - i);
    }
    assert_int_equal(mprotect(mem, page, PROT_READ | PROT_WRITE), 0);
    expect_read(&r, AHEAD, AHEAD - 1);
    expect_elements(&r, AHEAD + 1, AHEAD - 1);
    /* Four more are published: one read takes them all. */
    expect_read(&r, 2 * AHEAD, 3);
    expect_elements(&r, 2 * AHEAD + 1, 3);
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(channel_lost(&r), 0);
    munmap(mem, page);
}

/*
 * A copy takes AHEAD elements from wherever the reader is, across cache-line boundaries,
 * and stops at the ring's last slot and at what is published.
 */
static void read_ahead_stops_at_its_depth_and_at_the_end_of_the_ring_not_at_a_line(void **state)
{
    const uint64_t ring = AHEAD + AHEAD / 2; /* the ring ends half way into a second copy */
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_channel(&w, &r, ring);
    write_seq(&w, 0, 5);
    expect_read(&r, 0, 4); /* what is published: 0 to 4 */
    expect_elements(&r, 1, 4);
    write_seq(&w, 5, ring); /* slots 5 to ring - 1, then 0 to 4: a whole ring pending */
    expect_read(&r, 5, AHEAD - 1); /* slots 5 to AHEAD + 4, across the line at slot 8 */
    expect_elements(&r, 6, AHEAD - 1);
    expect_read(&r, AHEAD + 5, ring - AHEAD - 6); /* up to the ring's last slot */
    expect_elements(&r, AHEAD + 6, ring - AHEAD - 6);
    expect_read(&r, ring, 4); /* slots 0 to 4 */
    expect_elements(&r, ring + 1, 4);
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(channel_lost(&r), 0);
}

/*
 * From every slot of a ring whose size is no multiple of AHEAD, with 1 to a ring of
 * elements pending: one read copies min(pending, AHEAD, slots to the ring's end), never a
 * slot the writer has not published (those hold 0xee bytes); then a new epoch, a
 * deactivation or an overrun is reported after exactly the AHEAD - 1 or fewer elements
 * read ahead, each intact and in order, and an overrun's losses are exact.
 */
enum change { CHANGE_EPOCH, CHANGE_DEACTIVATE, CHANGE_OVERRUN };

static void change_is_reported_after_at_most_ahead_minus_one_elements(void **state)
{
    const uint64_t ring = 2 * AHEAD + 3;
    const uint64_t pendings[] = {1, 2, AHEAD - 1, AHEAD, AHEAD + 1, 2 * AHEAD, ring};
    uint64_t start;
    size_t p;
    int c;

    (void)state;
    for (start = 0; start < ring; start++) {
        for (p = 0; p < sizeof(pendings) / sizeof(pendings[0]); p++) {
            for (c = CHANGE_EPOCH; c <= CHANGE_OVERRUN; c++) {
                const uint64_t pending = pendings[p];
                struct channel_writer w;
                struct channel_reader r;
                enum channel_result res = CHANNEL_SUCCESS;
                uint64_t take = pending;
                uint64_t written = pending;
                uint64_t handed;

                if (take > AHEAD) {
                    take = AHEAD;
                }
                if (take > ring - start) {
                    take = ring - start;
                }
                open_channel(&w, &r, ring);
                test_set_counters(&w, start); /* the reader at slot start, nothing pending */
                channel_drain(&r);
                write_seq(&w, start, pending);
                expect_read(&r, start, take - 1);
                if (c == CHANGE_EPOCH) {
                    assert_int_equal(channel_writer_init(&w, buf.mem, 64 + ring * 8,
                                                         TEST_PROTOCOL, 8, TEST_EPOCH2),
                                     0);
                    write_seq(&w, 5000, 2);
                } else if (c == CHANGE_DEACTIVATE) {
                    channel_deactivate(&w);
                } else {
                    write_seq(&w, start + pending, ring + 1); /* laps the reader */
                    written += ring + 1;
                }
                handed = read_until_not_success(&r, start + 1, &res);
                assert_true(handed <= AHEAD - 1);
                assert_int_equal(handed, take - 1);
                assert_int_equal(res, c == CHANGE_EPOCH        ? CHANNEL_EPOCH_CHANGED
                                      : c == CHANGE_DEACTIVATE ? CHANNEL_INACTIVE
                                                               : CHANNEL_OVERRUN);
                if (c == CHANGE_EPOCH) {
                    expect_elements(&r, 5000, 2);
                } else if (c == CHANGE_OVERRUN) {
                    /* The writer is away: resumed at the oldest intact element. */
                    uint64_t resume = start + written - ring;

                    assert_int_equal(channel_lost(&r), resume - (start + take));
                    expect_elements(&r, resume, ring);
                    assert_int_equal(take + ring + channel_lost(&r), written);
                }
                expect_result(&r, c == CHANGE_DEACTIVATE ? CHANNEL_INACTIVE : CHANNEL_NO_DATA);
                if (c != CHANGE_OVERRUN) {
                    assert_int_equal(channel_lost(&r), 0);
                }
            }
        }
    }
}

/* Element rc announced as being overwritten: nothing copied ahead is delivered. */
static void read_ahead_refuses_a_copy_whose_first_element_is_being_overwritten(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_ahead_written(&w, &r);
    /* The writer has begun element 2 * AHEAD, which overwrites element 0. */
    test_set_field(buf.mem, CHANNEL_OFF_WSC, 2 * AHEAD + 1);
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
    open_ahead_written(&w, &r);
    expect_read(&r, 0, AHEAD - 1);
    delivered++;
    write_seq(&w, AHEAD, 5 * AHEAD); /* the 2 * AHEAD slots rewritten more than twice */
    expect_elements(&r, 1, AHEAD - 1);
    delivered += AHEAD - 1;
    expect_result(&r, CHANNEL_OVERRUN);
    /* The writer is away: the reader resumes at the oldest intact element, 6A - 2A. */
    assert_int_equal(channel_lost(&r), 4 * AHEAD - AHEAD);
    expect_elements(&r, 4 * AHEAD, 2 * AHEAD);
    delivered += 2 * AHEAD;
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(delivered + channel_lost(&r), 6 * AHEAD);
}

/* A new epoch or a deactivation is reported once what was read ahead is handed out. */
static void epoch_change_and_deactivation_come_after_the_elements_read_ahead(void **state)
{
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    open_ahead_written(&w, &r);
    expect_read(&r, 0, AHEAD - 1);
    assert_int_equal(
        channel_writer_init(&w, buf.mem, 64 + 2 * AHEAD * 8, TEST_PROTOCOL, 8, TEST_EPOCH2), 0);
    write_seq(&w, 1000, 3);
    expect_elements(&r, 1, AHEAD - 1);
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
    open_ahead_written(&w, &r);
    expect_read(&r, 0, AHEAD - 1);
    /* Everything written is read ahead: wc = rc, yet there is data. */
    assert_true(channel_has_data(&r));
    expect_elements(&r, 1, AHEAD - 2);
    assert_true(channel_has_data(&r));
    expect_read(&r, AHEAD - 1, 0);
    assert_false(channel_has_data(&r));
    write_seq(&w, AHEAD, AHEAD);
    expect_read(&r, AHEAD, AHEAD - 1);
    channel_drain(&r);
    assert_false(channel_has_data(&r));
    assert_int_equal(r.ahead_count, 0);
    expect_result(&r, CHANNEL_NO_DATA);
    assert_int_equal(channel_lost(&r), 0);
    write_seq(&w, 2 * AHEAD, 1);
    expect_read(&r, 2 * AHEAD, 0);
    /* Draining a channel that went inactive skips what was read ahead too. */
    write_seq(&w, 2 * AHEAD + 1, AHEAD);
    expect_read(&r, 2 * AHEAD + 1, AHEAD - 1);
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
    uint64_t many[2 * CHANNEL_READ_AHEAD];
    size_t count = 99;
    size_t i;

    (void)state;
    open_channel(&w, &r, 4 * AHEAD);
    write_seq(&w, 0, 2 * AHEAD + 4);
    expect_read(&r, 0, AHEAD - 1);
    assert_int_equal(channel_read_batch(&r, many, 4, &count), CHANNEL_SUCCESS);
    assert_int_equal(count, 4);
    for (i = 0; i < 4; i++) {
        assert_true(many[i] == test_word(1 + i));
    }
    assert_int_equal(channel_read_batch(&r, many, 2 * AHEAD, &count), CHANNEL_SUCCESS);
    assert_int_equal(count, AHEAD - 5);
    for (i = 0; i < AHEAD - 5; i++) {
        assert_true(many[i] == test_word(5 + i));
    }
    assert_int_equal(channel_read_batch(&r, many, 2 * AHEAD, &count), CHANNEL_SUCCESS);
    assert_int_equal(count, AHEAD + 4);
    for (i = 0; i < AHEAD + 4; i++) {
        assert_true(many[i] == test_word(AHEAD + i));
    }
    /* max 0 copies nothing, read ahead or not. */
    write_seq(&w, 2 * AHEAD + 4, 4);
    expect_read(&r, 2 * AHEAD + 4, 3);
    assert_int_equal(channel_read_batch(&r, many, 0, &count), CHANNEL_NO_DATA);
    assert_int_equal(count, 0);
    expect_elements(&r, 2 * AHEAD + 5, 3);
}

/*
 * Across the 2^64 wrap on a ring whose size does not divide 2^64, slot numbering jumps
 * (element 2^64 - 1 is in slot 3 of 12, element 0 in slot 0): copies on either side
 * come from the right slots. (The ring is smaller than AHEAD: copies stop at its end.)
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
        cmocka_unit_test(read_ahead_hands_out_its_elements_without_touching_the_channel),
        cmocka_unit_test(read_ahead_stops_at_its_depth_and_at_the_end_of_the_ring_not_at_a_line),
        cmocka_unit_test(change_is_reported_after_at_most_ahead_minus_one_elements),
        cmocka_unit_test(read_ahead_refuses_a_copy_whose_first_element_is_being_overwritten),
        cmocka_unit_test(elements_read_ahead_are_delivered_after_a_lap_and_losses_stay_exact),
        cmocka_unit_test(epoch_change_and_deactivation_come_after_the_elements_read_ahead),
        cmocka_unit_test(has_data_and_drain_know_the_elements_read_ahead),
        cmocka_unit_test(batch_read_hands_out_the_elements_read_ahead_first),
        cmocka_unit_test(read_ahead_stops_at_the_2_64_wrap),
        cmocka_unit_test(other_element_sizes_do_not_read_ahead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
