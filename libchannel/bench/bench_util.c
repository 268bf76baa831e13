/*
 * channel-bench helpers: clocks, CPU pinning, the shared-memory channel (one memfd
 * mapped twice, like a real writer and reader in different processes) and the plain
 * memcpy ceiling.
 */
#include <errno.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "libchannel.h"

uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_thread_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_span_begin(struct bench_span *span)
{
    span->wall_ns = bench_now_ns();
    span->cpu_ns = bench_thread_cpu_ns();
}

double bench_span_share(const struct bench_span *span)
{
    uint64_t cpu = bench_thread_cpu_ns() - span->cpu_ns;
    uint64_t wall = bench_now_ns() - span->wall_ns;

    return wall == 0 ? 1.0 : (double)cpu / (double)wall;
}

void bench_pin(int cpu)
{
    cpu_set_t set;
    int err;

    CPU_ZERO(&set);
    CPU_SET((size_t)cpu, &set);
    err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    if (err != 0) {
        fprintf(stderr, "channel-bench: pin to CPU %d: %s\n", cpu, strerror(err));
        exit(1);
    }
}

/* The writer has cpus[0] to itself when there is another CPU; readers share the rest. */
int bench_reader_cpu(const struct bench_config *cfg, unsigned reader)
{
    if (cfg->cpu_count < 2) {
        return cfg->cpus[0];
    }
    return cfg->cpus[1 + reader % (cfg->cpu_count - 1)];
}

void bench_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

unsigned char *bench_buffer(size_t bytes)
{
    unsigned char *buf = aligned_alloc(64, (bytes + 63) & ~(size_t)63);

    if (buf == NULL) {
        fprintf(stderr, "channel-bench: out of memory\n");
        exit(1);
    }
    memset(buf, 0, bytes);
    return buf;
}

void bench_stamp(unsigned char *elements, size_t element_size, size_t n, uint64_t first)
{
    size_t k;

    for (k = 0; k < n; k++) {
        uint64_t seq = first + k;

        memcpy(elements + k * element_size, &seq, sizeof(seq));
    }
}

void bench_channel_open(struct bench_channel *ch, struct channel_writer *w, size_t element_size,
                        unsigned slots)
{
    int fd;

    ch->size = CHANNEL_HEADER_SIZE + element_size * slots;
    fd = memfd_create("channel-bench", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)ch->size) != 0) {
        fprintf(stderr, "channel-bench: memfd: %s\n", strerror(errno));
        exit(1);
    }
    ch->rw = mmap(NULL, ch->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ch->ro = mmap(NULL, ch->size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (ch->rw == MAP_FAILED || ch->ro == MAP_FAILED) {
        fprintf(stderr, "channel-bench: mmap: %s\n", strerror(errno));
        exit(1);
    }
    if (channel_writer_init(w, ch->rw, ch->size, BENCH_PROTOCOL, element_size,
                            bench_now_ns() | 1u) != 0) {
        fprintf(stderr, "channel-bench: cannot set up a channel of %zu-byte elements\n",
                element_size);
        exit(1);
    }
}

void bench_channel_close(struct bench_channel *ch)
{
    munmap(ch->rw, ch->size);
    munmap((void *)(uintptr_t)ch->ro, ch->size);
}

void bench_reader_open(struct channel_reader *r, const struct bench_channel *ch,
                       size_t element_size, void *scratch)
{
    enum channel_result res = CHANNEL_INACTIVE;
    unsigned tries;

    if (channel_reader_init(r, ch->ro, ch->size, BENCH_PROTOCOL, element_size) != 0) {
        fprintf(stderr, "channel-bench: channel_reader_init failed\n");
        exit(1);
    }
    for (tries = 0; tries < 4 && res != CHANNEL_NO_DATA; tries++) {
        res = channel_read(r, scratch);
    }
    if (res != CHANNEL_NO_DATA) {
        fprintf(stderr, "channel-bench: reader cannot synchronise (result %d)\n", (int)res);
        exit(1);
    }
}

uint64_t bench_start(int cpu, pthread_barrier_t *barrier)
{
    bench_pin(cpu);
    pthread_barrier_wait(barrier);
    return bench_now_ns();
}

void bench_write(struct channel_writer *w, const unsigned char *src, size_t per_call)
{
    if (per_call == 1) {
        channel_write(w, src);
    } else {
        channel_write_batch(w, src, per_call);
    }
}

enum channel_result bench_read(struct channel_reader *r, unsigned char *dst, size_t per_call, size_t *count)
{
    enum channel_result res;

    if (per_call == 1) {
        res = channel_read(r, dst);
        *count = res == CHANNEL_SUCCESS ? 1 : 0;
        return res;
    }
    return channel_read_batch(r, dst, per_call, count);
}

void bench_run_threads(unsigned thread_count, void *(*fn[])(void *), void *args[])
{
    pthread_t threads[BENCH_MAX_READERS + 1];
    unsigned i;

    for (i = 0; i < thread_count; i++) {
        if (pthread_create(&threads[i], NULL, fn[i], args[i]) != 0) {
            fprintf(stderr, "channel-bench: pthread_create failed\n");
            exit(1);
        }
    }
    for (i = 0; i < thread_count; i++) {
        pthread_join(threads[i], NULL);
    }
}

/* Ping-pong state for bench_round_trip_ns: each side on a cache line of its own. */
struct bench_ping {
    _Alignas(64) _Atomic uint64_t ping;
    _Alignas(64) _Atomic uint64_t pong;
    _Alignas(64) pthread_barrier_t start;
    const struct bench_config *cfg;
    uint64_t rounds;
    uint64_t ns;
};

static void *bench_ping_side(void *arg)
{
    struct bench_ping *p = arg;
    uint64_t start = bench_start(p->cfg->cpus[0], &p->start);
    uint64_t i;

    for (i = 1; i <= p->rounds; i++) {
        atomic_store_explicit(&p->ping, i, memory_order_release);
        while (atomic_load_explicit(&p->pong, memory_order_acquire) != i) {
        }
    }
    p->ns = bench_now_ns() - start;
    return NULL;
}

static void *bench_pong_side(void *arg)
{
    struct bench_ping *p = arg;
    uint64_t i;

    bench_start(bench_reader_cpu(p->cfg, 0), &p->start);
    for (i = 1; i <= p->rounds; i++) {
        while (atomic_load_explicit(&p->ping, memory_order_acquire) != i) {
        }
        atomic_store_explicit(&p->pong, i, memory_order_release);
    }
    return NULL;
}

/*
 * Median time for a cache line to go from the writer's CPU to the reader's and back:
 * the machine's cost of one hand-over, which bounds every one-element-per-call figure
 * and changes when a hypervisor moves virtual CPUs.
 */
double bench_round_trip_ns(const struct bench_config *cfg)
{
    void *(*fn[2])(void *) = { bench_ping_side, bench_pong_side };
    struct bench_ping *p = (struct bench_ping *)(void *)bench_buffer(sizeof(*p));
    double samples[9];
    void *args[2] = { p, p };
    unsigned i;
    unsigned j;

    p->cfg = cfg;
    p->rounds = 20000;
    for (i = 0; i < 9; i++) {
        atomic_store(&p->ping, 0);
        atomic_store(&p->pong, 0);
        pthread_barrier_init(&p->start, NULL, 2);
        bench_run_threads(2, fn, args);
        pthread_barrier_destroy(&p->start);
        samples[i] = (double)p->ns / (double)p->rounds;
    }
    /* Insertion sort; the median is the middle sample. */
    for (i = 1; i < 9; i++) {
        double v = samples[i];

        for (j = i; j > 0 && samples[j - 1] > v; j--) {
            samples[j] = samples[j - 1];
        }
        samples[j] = v;
    }
    free(p);
    return samples[4];
}

/*
 * The ceiling: one thread copying elements into a ring of the same slot count with
 * plain memcpy of a run-time size (as the library copies), one element or one batch
 * per call.
 */
void bench_memcpy_run(const struct bench_config *cfg, size_t element_size, bool batch,
                      struct bench_flow_result *out)
{
    size_t per_call = batch ? cfg->batch : 1;
    unsigned char *ring = bench_buffer(element_size * cfg->slots);
    unsigned char *src = bench_buffer(element_size * per_call);
    volatile size_t opaque_size = element_size;
    struct bench_span span;
    uint64_t copied = 0;
    uint64_t start;
    uint64_t end;
    size_t pos = 0;

    memset(src, 0x5a, element_size * per_call);
    bench_pin(cfg->cpus[0]);
    bench_span_begin(&span);
    start = bench_now_ns();
    end = start;
    while (end - start < cfg->run_ns) {
        unsigned i;

        for (i = 0; i < BENCH_CHECK_EVERY; i += (unsigned)per_call) {
            size_t n = per_call;
            size_t first;

            memcpy(src, &copied, sizeof(copied));
            /* A batch that meets the end of the ring is two copies, as in a channel. */
            first = cfg->slots - pos < n ? cfg->slots - pos : n;
            memcpy(ring + pos * element_size, src, first * opaque_size);
            if (first < n) {
                memcpy(ring, src + first * element_size, (n - first) * opaque_size);
            }
            pos = (pos + n) % cfg->slots;
            copied += n;
        }
        end = bench_now_ns();
    }
    out->cpu_share = bench_span_share(&span);
    out->seconds = (double)(end - start) / 1e9;
    out->elements = copied;
    out->lost = 0;
    /* The copies must happen: tell the compiler the ring is used. */
    __asm__ volatile("" : : "r"(ring) : "memory");
    free(ring);
    free(src);
}
