/*
 * Overruns of libchannel's reader compared with a model of Muen's reader (the SHMStream
 * reader of Muen's libmuchannel, which after an overrun resumes at the write counter),
 * reading the same channel at the same moments:
 * - against a writer thread that writes without pause, one reader thread alternating a
 *   call of each: libchannel's reader must report no more overruns than the model, plus
 *   one for each time the writer was held up anyway (a gap between two of its writes
 *   longer than the reader's idle test, measured with the TSC: on a shared machine the
 *   writer's thread is descheduled now and then, and then the reader takes the ring
 *   like a reader sharing the writer's CPU, below), and deliver no fewer elements;
 * - against a writer that shares the readers' CPU (it writes more than a ring, then the
 *   readers run while it waits, as subjects in their frames do): libchannel's reader
 *   must report no more overruns and deliver the ring each time, where the model
 *   delivers nothing.
 * Both check every element they deliver (its sequence number and bytes), and for
 * libchannel delivered + lost = written.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_util.h"

enum { SIZE = 8 };

static struct test_buffer buf;

/* Muen's reader policy, on the same memory: what it delivers and how often it overruns. */
struct muen_model {
    uint64_t rc;
    uint64_t elements;
    uint64_t delivered;
    uint64_t overruns;
    uint64_t next_seq; /* lowest sequence number it may still deliver */
};

static void muen_model_read(struct muen_model *m)
{
    uint64_t wc = channel_load_u64_acquire(buf.mem + CHANNEL_OFF_WC);
    unsigned char element[SIZE];
    uint64_t slot;

    if (m->rc >= wc) {
        return;
    }
    slot = 64 + (m->rc % m->elements) * SIZE;
    channel_copy_from_channel(element, buf.mem, slot, slot + SIZE);
    channel_fence_acquire();
    if (channel_load_u64_relaxed(buf.mem + CHANNEL_OFF_WSC) > m->rc + m->elements) {
        m->overruns++;
        m->rc = channel_load_u64_relaxed(buf.mem + CHANNEL_OFF_WC);
        return;
    }
    assert_true(test_element_is(element, SIZE, m->rc));
    assert_true(m->rc >= m->next_seq);
    m->next_seq = m->rc + 1;
    m->delivered++;
    m->rc++;
}

struct ours {
    struct channel_reader r;
    uint64_t delivered;
    uint64_t overruns;
};

static void ours_read(struct ours *o)
{
    unsigned char element[SIZE];
    enum channel_result res = channel_read(&o->r, element);
    uint64_t seq;

    if (res == CHANNEL_OVERRUN) {
        o->overruns++;
        return;
    }
    if (res != CHANNEL_SUCCESS) {
        assert_int_equal(res, CHANNEL_NO_DATA);
        return;
    }
    /* Element n carries n: with exact accounting it is delivered + lost. */
    seq = o->delivered + channel_lost(&o->r);
    assert_true(test_element_is(element, SIZE, seq));
    o->delivered++;
}

struct outcome {
    uint64_t written;
    uint64_t ours_overruns;
    uint64_t ours_delivered;
    uint64_t muen_overruns;
    uint64_t muen_delivered;
    uint64_t writer_gaps;
};

static void outcome_print(const char *what, size_t elements, const struct outcome *out)
{
    printf("%-12s %5zu slots: written %9llu | overruns ours %7llu, Muen %7llu | delivered ours "
           "%9llu, Muen %9llu\n",
           what, elements, (unsigned long long)out->written,
           (unsigned long long)out->ours_overruns, (unsigned long long)out->muen_overruns,
           (unsigned long long)out->ours_delivered, (unsigned long long)out->muen_delivered);
    if (out->writer_gaps != UINT64_MAX) {
        printf("%-12s writer held up %llu times\n", "", (unsigned long long)out->writer_gaps);
    }
}

/* Open the writer and ours on `elements` 8-byte slots; the model starts at 0 as well. */
static void open_both(struct channel_writer *w, struct ours *o, struct muen_model *m,
                      size_t elements)
{
    unsigned char element[SIZE];

    memset(o, 0, sizeof(*o));
    memset(m, 0, sizeof(*m));
    m->elements = elements;
    assert_int_equal(channel_writer_init(w, buf.mem, 64 + elements * SIZE, TEST_PROTOCOL, SIZE,
                                         TEST_EPOCH),
                     0);
    assert_int_equal(channel_reader_init(&o->r, buf.mem, 64 + elements * SIZE, TEST_PROTOCOL, SIZE),
                     0);
    assert_int_equal(channel_read(&o->r, element), CHANNEL_EPOCH_CHANGED);
}

/* Ours reads what is left; then every element is delivered or counted lost. */
static void ours_finish(struct ours *o, uint64_t written, size_t elements)
{
    size_t i;

    for (i = 0; i < 2 * elements + 2; i++) {
        ours_read(o);
    }
    assert_int_equal(o->delivered + channel_lost(&o->r), written);
}

/*
 * TSC ticks between two writes that count as the writer being held up: below what the
 * reader's idle test (READER_IDLE_LOOKS + 8 loads, at most a few per cycle) can take.
 */
#define WRITER_GAP_TICKS 1000u

struct nonstop_writer {
    struct channel_writer *w;
    atomic_bool stop;
    uint64_t written;
    uint64_t gaps; /* times the writer was held up */
};

static void *nonstop_writer_main(void *arg)
{
    struct nonstop_writer *nw = arg;
    unsigned char element[SIZE];
    uint64_t last = __builtin_ia32_rdtsc();
    uint64_t seq = 0;

    nw->gaps = 0;
    while (!atomic_load_explicit(&nw->stop, memory_order_relaxed)) {
        uint64_t now;

        test_fill_element(element, SIZE, seq);
        channel_write(nw->w, element);
        seq++;
        now = __builtin_ia32_rdtsc();
        nw->gaps += now - last > WRITER_GAP_TICKS ? 1u : 0u;
        last = now;
    }
    nw->written = seq;
    return NULL;
}

static struct outcome run_nonstop(size_t elements, unsigned reads)
{
    struct channel_writer w;
    struct nonstop_writer nw;
    struct ours o;
    struct muen_model m;
    struct outcome out;
    pthread_t writer;
    unsigned i;

    open_both(&w, &o, &m, elements);
    nw.w = &w;
    atomic_init(&nw.stop, false);
    assert_int_equal(pthread_create(&writer, NULL, nonstop_writer_main, &nw), 0);
    /* Wait for the writer to be under way, so both readers meet the same stream. */
    while (channel_load_u64_acquire(buf.mem + CHANNEL_OFF_WC) < 4 * elements) {
    }
    for (i = 0; i < reads; i++) {
        ours_read(&o);
        muen_model_read(&m);
    }
    atomic_store(&nw.stop, true);
    assert_int_equal(pthread_join(writer, NULL), 0);
    out.written = nw.written;
    out.ours_overruns = o.overruns;
    out.ours_delivered = o.delivered;
    out.muen_overruns = m.overruns;
    out.muen_delivered = m.delivered;
    out.writer_gaps = nw.gaps;
    ours_finish(&o, nw.written, elements);
    return out;
}

static void reader_overruns_no_more_often_than_muens_against_a_writer_that_never_pauses(
    void **state)
{
    static const size_t rings[] = { 16, 64, 1024 };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rings) / sizeof(rings[0]); i++) {
        struct outcome out = run_nonstop(rings[i], 2000000);

        outcome_print("never pauses", rings[i], &out);
        assert_true(out.muen_overruns > 0);
        assert_true(out.ours_overruns <= out.muen_overruns + out.writer_gaps);
        assert_true(out.ours_delivered >= out.muen_delivered);
    }
}

/* The writer writes `burst` elements per frame; then each reader reads until it is idle. */
static struct outcome run_frames(size_t elements, uint64_t burst, unsigned frames)
{
    struct channel_writer w;
    struct ours o;
    struct muen_model m;
    unsigned char element[SIZE];
    struct outcome out;
    uint64_t seq = 0;
    unsigned frame;

    open_both(&w, &o, &m, elements);
    for (frame = 0; frame < frames; frame++) {
        uint64_t before = o.delivered;
        unsigned i;

        for (i = 0; i < burst; i++) {
            test_fill_element(element, SIZE, seq);
            channel_write(&w, element);
            seq++;
        }
        for (i = 0; i < 2 * elements + 2; i++) {
            ours_read(&o);
            muen_model_read(&m);
        }
        /* Lapped in every frame, ours still gets the whole ring each time. */
        assert_int_equal(o.delivered - before, burst < elements ? burst : elements);
    }
    out.written = seq;
    out.ours_overruns = o.overruns;
    out.ours_delivered = o.delivered;
    out.muen_overruns = m.overruns;
    out.muen_delivered = m.delivered;
    out.writer_gaps = UINT64_MAX;
    ours_finish(&o, seq, elements);
    return out;
}

static void reader_sharing_the_writers_cpu_gets_the_ring_every_frame(void **state)
{
    static const size_t rings[] = { 8, 64, 1000 };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rings) / sizeof(rings[0]); i++) {
        struct outcome out = run_frames(rings[i], 3 * rings[i] + 1, 100);

        outcome_print("frames", rings[i], &out);
        assert_true(out.ours_overruns <= out.muen_overruns);
        assert_true(out.ours_delivered >= out.muen_delivered);
        assert_int_equal(out.ours_delivered, 100 * rings[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            reader_overruns_no_more_often_than_muens_against_a_writer_that_never_pauses),
        cmocka_unit_test(reader_sharing_the_writers_cpu_gets_the_ring_every_frame),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
