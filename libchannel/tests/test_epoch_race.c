/*
 * A writer re-initialises the channel (new epoch) while a reader is in the middle of
 * copying an element, deterministically: the channel spans two pages, the element
 * being read straddles the boundary, and the second page is PROT_NONE when the read
 * starts. The copy faults on its first word there; the SIGSEGV handler makes the page
 * accessible, re-initialises the channel with a new epoch and writes as many elements
 * as before (so wsc alone does not say the slot was overwritten), then returns, and
 * the copy resumes on the new epoch's bytes. The element the reader holds then mixes
 * two epochs: the reader must not return SUCCESS for it, only after resynchronising
 * to the new epoch, whose elements it must then deliver whole.
 *
 * The same for the 8-byte reader's read-ahead: the channel is placed so that the
 * CHANNEL_READ_AHEAD slots it copies at once straddle the boundary, half on each page.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_util.h"

#define ELEMENT 128u
#define NEW_SEQ 1000u /* sequence numbers of the new epoch's elements */

static unsigned char *map; /* two pages, holding the channel */
static size_t page;
static unsigned char *chan; /* the channel: where in map, its size and element size */
static size_t chan_size;
static size_t element;
static uint64_t rewrite; /* elements the restarted writer writes */
static struct channel_writer writer;
static volatile sig_atomic_t faults; /* times the handler ran */
static uint64_t straddler;           /* the slot across the page boundary */

static void on_segv(int sig, siginfo_t *info, void *context)
{
    (void)context;
    unsigned char *addr = info->si_addr;
    if (sig != SIGSEGV || addr < map + page || addr >= map + 2u * page || faults != 0) {
        signal(SIGSEGV, SIG_DFL); /* not ours: crash for real */
        return;
    }
    faults++;
    /* The writer restarts: new epoch, then as many elements as before, in the same slots. */
    if (mprotect(map + page, page, PROT_READ | PROT_WRITE) != 0 ||
        channel_writer_init(&writer, chan, chan_size, TEST_PROTOCOL, element, TEST_EPOCH2) != 0) {
        _exit(2);
    }
    unsigned char e[ELEMENT];
    for (uint64_t i = 0; i < rewrite; i++) {
        test_fill_element(e, element, NEW_SEQ + i);
        channel_write(&writer, e);
    }
}

static int setup(void **state)
{
    (void)state;
    page = (size_t)sysconf(_SC_PAGESIZE);
    map = mmap(NULL, 2u * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    faults = 0;
    chan = map;
    chan_size = 2u * page;
    element = ELEMENT;
    straddler = (page - CHANNEL_HEADER_SIZE) / ELEMENT;
    rewrite = straddler + 1u;
    /* It starts on the first page and ends on the second. */
    assert_true(channel_slot_offset(straddler, ELEMENT) < page);
    assert_true(channel_slot_offset(straddler, ELEMENT) + ELEMENT > page);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    signal(SIGSEGV, SIG_DFL);
    munmap(map, 2u * page);
    return 0;
}

/* Arm the handler and take the second page away. */
static void arm_the_fault(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGSEGV, &sa, NULL), 0);
    assert_int_equal(mprotect(map + page, page, PROT_NONE), 0);
}

/* Old epoch: elements 0 .. straddler written; the reader has read all before the
 * straddler. Then the second page is taken away and the handler armed. */
static void reader_at_the_straddler(struct channel_reader *r)
{
    unsigned char e[ELEMENT];
    assert_int_equal(channel_writer_init(&writer, map, 2u * page, TEST_PROTOCOL, ELEMENT,
                                         TEST_EPOCH), 0);
    for (uint64_t i = 0; i <= straddler; i++) {
        test_fill_element(e, ELEMENT, i);
        channel_write(&writer, e);
    }
    assert_int_equal(channel_reader_init(r, map, 2u * page, TEST_PROTOCOL, ELEMENT), 0);
    assert_int_equal(channel_read(r, e), CHANNEL_EPOCH_CHANGED);
    for (uint64_t i = 0; i < straddler; i++) {
        assert_int_equal(channel_read(r, e), CHANNEL_SUCCESS);
        assert_true(test_element_is(e, ELEMENT, i));
    }
    arm_the_fault();
}

/* After the mixed copy was refused: the new epoch's elements, whole and in order. */
static void reads_the_new_epoch(struct channel_reader *r, enum channel_result first)
{
    unsigned char e[ELEMENT];
    assert_int_equal(faults, 1); /* the copy did run into the re-initialisation */
    assert_int_not_equal(first, CHANNEL_SUCCESS);
    enum channel_result res = first;
    if (res != CHANNEL_EPOCH_CHANGED) {
        res = channel_read(r, e);
    }
    assert_int_equal(res, CHANNEL_EPOCH_CHANGED);
    for (uint64_t i = 0; i <= straddler; i++) {
        assert_int_equal(channel_read(r, e), CHANNEL_SUCCESS);
        assert_true(test_element_is(e, ELEMENT, NEW_SEQ + i));
    }
    assert_int_equal(channel_read(r, e), CHANNEL_NO_DATA);
}

static void read_refuses_an_element_copied_across_a_new_epoch(void **state)
{
    (void)state;
    struct channel_reader r;
    unsigned char e[ELEMENT];
    reader_at_the_straddler(&r);
    enum channel_result res = channel_read(&r, e);
    if (res == CHANNEL_SUCCESS) {
        fail_msg("channel_read returned SUCCESS for an element whose copy began in epoch "
                 "%#x and ended in epoch %#x (first byte %s, last byte %s)",
                 TEST_EPOCH, TEST_EPOCH2,
                 e[0] == test_element_byte(straddler, 0) ? "old" : "new",
                 e[ELEMENT - 1] == test_element_byte(NEW_SEQ + straddler, ELEMENT - 1)
                     ? "new" : "old");
    }
    reads_the_new_epoch(&r, res);
}

static void batch_refuses_elements_copied_across_a_new_epoch(void **state)
{
    (void)state;
    struct channel_reader r;
    unsigned char e[4 * ELEMENT];
    size_t count = 99;
    reader_at_the_straddler(&r);
    enum channel_result res = channel_read_batch(&r, e, 4, &count);
    if (res == CHANNEL_SUCCESS) {
        fail_msg("channel_read_batch returned SUCCESS (%zu elements) for a copy that began "
                 "in epoch %#x and ended in epoch %#x", count, TEST_EPOCH, TEST_EPOCH2);
    }
    assert_int_equal(count, 0);
    reads_the_new_epoch(&r, res);
}

/*
 * 8-byte elements: the first half of the CHANNEL_READ_AHEAD slots ends the first page,
 * the second half begins the second. The reader's first read copies them all at once
 * (all published); the copy faults half way and resumes on the new epoch's bytes. None
 * of it may be delivered, not even element 0, whose copy was of the old epoch: the copy
 * is validated as a whole.
 */
static void read_ahead_refuses_a_copy_made_across_a_new_epoch(void **state)
{
    (void)state;
    const uint64_t ahead = CHANNEL_READ_AHEAD;
    struct channel_reader r;
    unsigned char e[8];
    chan = map + page - CHANNEL_HEADER_SIZE - (ahead / 2u) * 8u;
    chan_size = CHANNEL_HEADER_SIZE + 2u * ahead * 8u;
    element = 8u;
    rewrite = ahead;
    assert_true(chan + channel_slot_offset(ahead / 2u, 8) == map + page);
    assert_int_equal(channel_writer_init(&writer, chan, chan_size, TEST_PROTOCOL, 8, TEST_EPOCH),
                     0);
    for (uint64_t i = 0; i < ahead; i++) {
        test_fill_element(e, 8, i);
        channel_write(&writer, e);
    }
    assert_int_equal(channel_reader_init(&r, chan, chan_size, TEST_PROTOCOL, 8), 0);
    assert_int_equal(channel_read(&r, e), CHANNEL_EPOCH_CHANGED);
    arm_the_fault();
    enum channel_result res = channel_read(&r, e);
    assert_int_equal(faults, 1);
    if (res == CHANNEL_SUCCESS) {
        fail_msg("channel_read returned SUCCESS (element %s, %llu more read ahead) for a "
                 "read-ahead whose copy began in epoch %#x and ended in epoch %#x",
                 test_element_is(e, 8, 0) ? "0 of the old epoch" : "of the new epoch",
                 (unsigned long long)r.ahead_count, TEST_EPOCH, TEST_EPOCH2);
    }
    if (res != CHANNEL_EPOCH_CHANGED) {
        res = channel_read(&r, e);
    }
    assert_int_equal(res, CHANNEL_EPOCH_CHANGED);
    for (uint64_t i = 0; i < ahead; i++) {
        assert_int_equal(channel_read(&r, e), CHANNEL_SUCCESS);
        assert_true(test_element_is(e, 8, NEW_SEQ + i));
    }
    assert_int_equal(channel_read(&r, e), CHANNEL_NO_DATA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(read_refuses_an_element_copied_across_a_new_epoch,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(batch_refuses_elements_copied_across_a_new_epoch,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(read_ahead_refuses_a_copy_made_across_a_new_epoch,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
