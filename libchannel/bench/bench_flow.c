/*
 * Flow-controlled scenario: one writer, one reader, nothing may be lost.
 *
 * libchannel: the reader publishes how many elements it has consumed on a cache line of
 * its own (in a real system, a reverse channel); the writer remembers the last value it
 * saw and looks again only when the ring would otherwise be lapped, so it never
 * overwrites an unread element. ck_ring SPSC: the same slot count, ck's typed API
 * (CK_RING_PROTOTYPE), which copies the whole element into and out of the ring as
 * libchannel does. Both keep at most slots - 1 elements in flight (ck_ring's limit).
 * Every element carries its sequence number; the reader checks it.
 */
#include <ck_ring.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "libchannel.h"

#define FLOW_RUNNING UINT64_MAX

struct flow_shared {
    _Alignas(64) _Atomic uint64_t reader_pos; /* the reverse channel: elements consumed */
    _Alignas(64) _Atomic uint64_t total;      /* elements written, FLOW_RUNNING until the end */
    _Alignas(64) pthread_barrier_t start;
    const struct bench_config *cfg;
    size_t element_size;
    size_t per_call; /* elements per write/read call */
    struct bench_channel ch;
    struct channel_writer writer;
    struct ck_ring *ring;
    void *ring_slots;
    uint64_t writer_start_ns;
    uint64_t reader_end_ns;
    double writer_share; /* CPU time / wall time of each thread while measuring */
    double reader_share;
    uint64_t received;
    uint64_t lost;
};

/* Check the sequence numbers of n received elements; returns how many were wrong. */
static uint64_t flow_check(const unsigned char *buf, size_t element_size, size_t n,
                           uint64_t first)
{
    uint64_t bad = 0;
    size_t k;

    for (k = 0; k < n; k++) {
        uint64_t seq;

        memcpy(&seq, buf + k * element_size, sizeof(seq));
        bad += seq != first + k ? 1u : 0u;
    }
    return bad;
}

static void *flow_channel_writer(void *arg)
{
    struct flow_shared *f = arg;
    const uint64_t limit = f->cfg->slots - 1u;
    unsigned char *src = bench_buffer(f->element_size * f->per_call);
    struct bench_span span;
    uint64_t known = 0;
    uint64_t seq = 0;
    uint64_t start;

    start = bench_start(f->cfg->cpus[0], &f->start);
    bench_span_begin(&span);
    f->writer_start_ns = start;
    do {
        unsigned i;

        if (f->per_call == 1) {
            /* One element per call: the same loop as ck_ring's below, the call direct. */
            for (i = 0; i < BENCH_CHECK_EVERY; i++) {
                while (seq + 1 - known > limit) {
                    bench_pause();
                    known = atomic_load_explicit(&f->reader_pos, memory_order_acquire);
                }
                memcpy(src, &seq, sizeof(seq));
                channel_write(&f->writer, src);
                seq++;
            }
            continue;
        }
        for (i = 0; i < BENCH_CHECK_EVERY; i += (unsigned)f->per_call) {
            while (seq + f->per_call - known > limit) {
                bench_pause();
                known = atomic_load_explicit(&f->reader_pos, memory_order_acquire);
            }
            bench_stamp(src, f->element_size, f->per_call, seq);
            bench_write(&f->writer, src, f->per_call);
            seq += f->per_call;
        }
    } while (bench_now_ns() - start < f->cfg->run_ns);
    f->writer_share = bench_span_share(&span);
    atomic_store_explicit(&f->total, seq, memory_order_release);
    free(src);
    return NULL;
}

static void *flow_channel_reader(void *arg)
{
    struct flow_shared *f = arg;
    unsigned char *dst = bench_buffer(f->element_size * f->per_call);
    struct channel_reader r;
    struct bench_span span;
    uint64_t bad = 0;
    uint64_t got = 0;
    uint64_t total;

    bench_pin(bench_reader_cpu(f->cfg, 0));
    bench_reader_open(&r, &f->ch, f->element_size, dst);
    pthread_barrier_wait(&f->start);
    bench_span_begin(&span);
    for (;;) {
        enum channel_result res;
        size_t n = 0;

        total = atomic_load_explicit(&f->total, memory_order_acquire);
        if (f->per_call == 1) {
            res = channel_read(&r, dst);
            n = 1;
        } else {
            res = bench_read(&r, dst, f->per_call, &n);
        }
        if (res == CHANNEL_SUCCESS) {
            bad += flow_check(dst, f->element_size, n, got);
            got += n;
            atomic_store_explicit(&f->reader_pos, got, memory_order_release);
        } else if (res == CHANNEL_NO_DATA) {
            if (total != FLOW_RUNNING) {
                break;
            }
            bench_pause();
        } else {
            bad++;
        }
    }
    f->reader_end_ns = bench_now_ns();
    f->reader_share = bench_span_share(&span);
    f->received = got;
    f->lost = bad + channel_lost(&r) + (total > got ? total - got : 0);
    free(dst);
    return NULL;
}

static struct flow_shared *flow_shared_new(const struct bench_config *cfg, size_t element_size,
                                           size_t per_call)
{
    struct flow_shared *f = aligned_alloc(64, sizeof(*f));

    if (f == NULL) {
        fprintf(stderr, "channel-bench: out of memory\n");
        exit(1);
    }
    memset(f, 0, sizeof(*f));
    atomic_init(&f->reader_pos, 0);
    atomic_init(&f->total, FLOW_RUNNING);
    pthread_barrier_init(&f->start, NULL, 2);
    f->cfg = cfg;
    f->element_size = element_size;
    f->per_call = per_call;
    return f;
}

static void flow_finish(struct flow_shared *f, struct bench_flow_result *out)
{
    out->seconds = (double)(f->reader_end_ns - f->writer_start_ns) / 1e9;
    out->elements = f->received;
    out->lost = f->lost;
    out->cpu_share = f->writer_share < f->reader_share ? f->writer_share : f->reader_share;
    pthread_barrier_destroy(&f->start);
    free(f);
}

void bench_flow_channel_run(const struct bench_config *cfg, size_t element_size, bool batch,
                            struct bench_flow_result *out)
{
    struct flow_shared *f = flow_shared_new(cfg, element_size, batch ? cfg->batch : 1);
    void *(*fn[2])(void *) = { flow_channel_writer, flow_channel_reader };
    void *args[2] = { f, f };

    bench_channel_open(&f->ch, &f->writer, element_size, cfg->slots);
    bench_run_threads(2, fn, args);
    bench_channel_close(&f->ch);
    flow_finish(f, out);
}

/*
 * ck_ring's typed interface for each element size: a struct of that size, copied by
 * value. The adapters give the four sizes one signature; each loop below is inlined
 * into a per-size thread function, so every call to them is direct.
 */
#define BENCH_CK_TYPE(n)                                                                       \
    struct bench_ck_##n {                                                                      \
        unsigned char bytes[n];                                                                \
    };                                                                                         \
    CK_RING_PROTOTYPE(bench##n, bench_ck_##n)                                                  \
    static inline bool bench_ck_put_##n(struct ck_ring *ring, void *slots, void *element)     \
    {                                                                                          \
        return ck_ring_enqueue_spsc_bench##n(ring, slots, element);                            \
    }                                                                                          \
    static inline bool bench_ck_get_##n(struct ck_ring *ring, void *slots, void *element)     \
    {                                                                                          \
        return ck_ring_dequeue_spsc_bench##n(ring, slots, element);                            \
    }

BENCH_CK_TYPE(8)
BENCH_CK_TYPE(64)
BENCH_CK_TYPE(256)
BENCH_CK_TYPE(4096)

typedef bool (*bench_ck_op)(struct ck_ring *ring, void *slots, void *element);

static inline __attribute__((always_inline)) void flow_ck_write_loop(struct flow_shared *f,
                                                                     bench_ck_op put)
{
    unsigned char *src = bench_buffer(f->element_size);
    struct bench_span span;
    uint64_t seq = 0;
    uint64_t start;

    start = bench_start(f->cfg->cpus[0], &f->start);
    bench_span_begin(&span);
    f->writer_start_ns = start;
    do {
        unsigned i;

        for (i = 0; i < BENCH_CHECK_EVERY; i++) {
            memcpy(src, &seq, sizeof(seq));
            while (!put(f->ring, f->ring_slots, src)) {
                bench_pause();
            }
            seq++;
        }
    } while (bench_now_ns() - start < f->cfg->run_ns);
    f->writer_share = bench_span_share(&span);
    atomic_store_explicit(&f->total, seq, memory_order_release);
    free(src);
}

static inline __attribute__((always_inline)) void flow_ck_read_loop(struct flow_shared *f,
                                                                    bench_ck_op get)
{
    unsigned char *dst = bench_buffer(f->element_size);
    struct bench_span span;
    uint64_t bad = 0;
    uint64_t got = 0;
    uint64_t total;

    bench_pin(bench_reader_cpu(f->cfg, 0));
    pthread_barrier_wait(&f->start);
    bench_span_begin(&span);
    for (;;) {
        total = atomic_load_explicit(&f->total, memory_order_acquire);
        if (get(f->ring, f->ring_slots, dst)) {
            bad += flow_check(dst, f->element_size, 1, got);
            got++;
        } else if (total != FLOW_RUNNING) {
            break;
        } else {
            bench_pause();
        }
    }
    f->reader_end_ns = bench_now_ns();
    f->reader_share = bench_span_share(&span);
    f->received = got;
    f->lost = bad + (total > got ? total - got : 0);
    free(dst);
}

#define BENCH_CK_THREADS(n)                                                                    \
    static void *flow_ck_writer_##n(void *arg)                                                 \
    {                                                                                          \
        flow_ck_write_loop(arg, bench_ck_put_##n);                                             \
        return NULL;                                                                           \
    }                                                                                          \
    static void *flow_ck_reader_##n(void *arg)                                                 \
    {                                                                                          \
        flow_ck_read_loop(arg, bench_ck_get_##n);                                              \
        return NULL;                                                                           \
    }

BENCH_CK_THREADS(8)
BENCH_CK_THREADS(64)
BENCH_CK_THREADS(256)
BENCH_CK_THREADS(4096)

int bench_flow_ck_run(const struct bench_config *cfg, size_t element_size,
                      struct bench_flow_result *out)
{
    static const struct {
        size_t size;
        void *(*writer)(void *);
        void *(*reader)(void *);
    } kinds[] = {
        { 8, flow_ck_writer_8, flow_ck_reader_8 },
        { 64, flow_ck_writer_64, flow_ck_reader_64 },
        { 256, flow_ck_writer_256, flow_ck_reader_256 },
        { 4096, flow_ck_writer_4096, flow_ck_reader_4096 },
    };
    struct flow_shared *f;
    void *(*fn[2])(void *) = { NULL, NULL };
    void *args[2];
    size_t k;

    for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        if (kinds[k].size == element_size) {
            fn[0] = kinds[k].writer;
            fn[1] = kinds[k].reader;
        }
    }
    if (fn[0] == NULL) {
        return -1;
    }
    f = flow_shared_new(cfg, element_size, 1);
    f->ring = (struct ck_ring *)(void *)bench_buffer(sizeof(*f->ring));
    f->ring_slots = bench_buffer(element_size * cfg->slots);
    ck_ring_init(f->ring, cfg->slots);
    args[0] = f;
    args[1] = f;
    bench_run_threads(2, fn, args);
    free(f->ring);
    free(f->ring_slots);
    flow_finish(f, out);
    return 0;
}
