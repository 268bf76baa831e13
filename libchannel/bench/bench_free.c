/*
 * Free-running scenario: the writer writes as fast as it can and never looks at its
 * readers; 1 or 3 readers read what they can and count what they lost. Measures the
 * writer's rate (per wall-clock second and per CPU-second of its own thread, since the
 * threads may share cores), what each reader delivered, and its losses. Each reader
 * checks that sequence numbers only increase and that delivered + lost = written.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "libchannel.h"

#define FREE_RUNNING UINT64_MAX

struct free_shared {
    _Alignas(64) _Atomic uint64_t total; /* elements written, FREE_RUNNING until the end */
    _Alignas(64) pthread_barrier_t start;
    const struct bench_config *cfg;
    size_t element_size;
    size_t per_call;
    struct bench_channel ch;
    struct channel_writer writer;
    struct bench_free_result *out;
    _Atomic uint64_t errors;
};

struct free_reader_arg {
    struct free_shared *f;
    unsigned index;
};

static void *free_writer(void *arg)
{
    struct free_shared *f = arg;
    unsigned char *src = bench_buffer(f->element_size * f->per_call);
    uint64_t seq = 0;
    uint64_t start;
    uint64_t cpu_start;
    uint64_t end;

    start = bench_start(f->cfg->cpus[0], &f->start);
    cpu_start = bench_thread_cpu_ns();
    do {
        unsigned i;

        for (i = 0; i < BENCH_CHECK_EVERY; i += (unsigned)f->per_call) {
            bench_stamp(src, f->element_size, f->per_call, seq);
            bench_write(&f->writer, src, f->per_call);
            seq += f->per_call;
        }
        end = bench_now_ns();
    } while (end - start < f->cfg->run_ns);
    f->out->writer_cpu_seconds = (double)(bench_thread_cpu_ns() - cpu_start) / 1e9;
    f->out->writer_seconds = (double)(end - start) / 1e9;
    f->out->written = seq;
    atomic_store_explicit(&f->total, seq, memory_order_release);
    free(src);
    return NULL;
}

static void *free_reader(void *arg)
{
    struct free_reader_arg *a = arg;
    struct free_shared *f = a->f;
    unsigned char *dst = bench_buffer(f->element_size * f->per_call);
    struct channel_reader r;
    uint64_t delivered = 0;
    uint64_t errors = 0;
    uint64_t next = 0; /* lowest sequence number that may come next */
    uint64_t total;
    uint64_t start;

    bench_pin(bench_reader_cpu(f->cfg, a->index));
    bench_reader_open(&r, &f->ch, f->element_size, dst);
    pthread_barrier_wait(&f->start);
    start = bench_now_ns();
    for (;;) {
        enum channel_result res;
        size_t n = 0;
        size_t k;

        total = atomic_load_explicit(&f->total, memory_order_acquire);
        res = bench_read(&r, dst, f->per_call, &n);
        if (res == CHANNEL_SUCCESS) {
            for (k = 0; k < n; k++) {
                uint64_t seq;

                memcpy(&seq, dst + k * f->element_size, sizeof(seq));
                errors += seq < next ? 1u : 0u;
                next = seq + 1;
            }
            delivered += n;
        } else if (res == CHANNEL_NO_DATA) {
            if (total != FREE_RUNNING) {
                break;
            }
            bench_pause();
        } else if (res != CHANNEL_OVERRUN) {
            errors++;
        }
    }
    f->out->reader_seconds[a->index] = (double)(bench_now_ns() - start) / 1e9;
    f->out->delivered[a->index] = delivered;
    f->out->lost[a->index] = channel_lost(&r);
    errors += delivered + channel_lost(&r) != total ? 1u : 0u;
    atomic_fetch_add(&f->errors, errors);
    free(dst);
    return NULL;
}

void bench_free_run(const struct bench_config *cfg, size_t element_size, bool batch,
                    unsigned reader_count, struct bench_free_result *out)
{
    struct free_reader_arg reader_args[BENCH_MAX_READERS];
    void *(*fn[BENCH_MAX_READERS + 1])(void *);
    void *args[BENCH_MAX_READERS + 1];
    struct free_shared *f = aligned_alloc(64, sizeof(*f));
    unsigned i;

    if (f == NULL || reader_count == 0 || reader_count > BENCH_MAX_READERS) {
        fprintf(stderr, "channel-bench: bad free-running setup\n");
        exit(1);
    }
    memset(f, 0, sizeof(*f));
    memset(out, 0, sizeof(*out));
    atomic_init(&f->total, FREE_RUNNING);
    atomic_init(&f->errors, 0);
    pthread_barrier_init(&f->start, NULL, reader_count + 1);
    f->cfg = cfg;
    f->element_size = element_size;
    f->per_call = batch ? cfg->batch : 1;
    f->out = out;
    bench_channel_open(&f->ch, &f->writer, element_size, cfg->slots);
    fn[0] = free_writer;
    args[0] = f;
    for (i = 0; i < reader_count; i++) {
        reader_args[i].f = f;
        reader_args[i].index = i;
        fn[i + 1] = free_reader;
        args[i + 1] = &reader_args[i];
    }
    bench_run_threads(reader_count + 1, fn, args);
    out->errors = atomic_load(&f->errors);
    bench_channel_close(&f->ch);
    pthread_barrier_destroy(&f->start);
    free(f);
}
