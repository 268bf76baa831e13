/*
 * Concurrency soak: one writer thread and three reader threads over a memfd, mapped
 * read-write for the writer and PROT_READ (one mapping each) for the readers. The
 * writer streams sequence-numbered, checksummed elements with a mix of single and batch
 * writes; the readers use single reads, batch reads and a mix. Every SUCCESS element
 * must be intact and the next in sequence once losses are accounted for; losses must
 * appear only with CHANNEL_OVERRUN and channel_lost() must count them exactly, so that
 * at the end delivered + lost equals what was written, for every reader.
 *
 * MOAT_SOAK_ELEMENTS sets how many elements to write (default 10 million) for long
 * soaks. Threads report failures through counters (cmocka is not thread-safe), and the
 * program exits nonzero on any failure.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "libchannel.h"

#define SOAK_PROTOCOL  0x736f616b2d746573ULL /* "soak-tes" */
#define SOAK_EPOCH     0x5eedu
#define SOAK_SLOTS     256u
#define SOAK_READERS   3
#define SOAK_MAX_BATCH 48u
#define SOAK_DEFAULT   10000000ULL
#define SOAK_PHASE     65536u
#define SOAK_PACE_SPINS 200u

/*
 * 44 bytes: not a multiple of 8, so slots alternate between word-aligned and not and
 * both copy paths race with the writer. seq, 28 payload bytes derived from seq, and a
 * checksum over both.
 */
enum { ELEMENT_SIZE = 44, PAYLOAD_OFF = 8, PAYLOAD_SIZE = 28, CHECKSUM_OFF = 36 };

enum reader_mode { MODE_SINGLE, MODE_BATCH, MODE_MIXED };

struct reader_report {
    uint64_t delivered;
    uint64_t lost;
    uint64_t overruns;
    uint64_t next; /* sequence number the reader expects next: delivered + lost */
};

static int channel_fd;
static size_t channel_size;
static uint64_t total_elements;
static pthread_barrier_t start_barrier;
static atomic_bool writer_done;
static atomic_ulong failures;
static volatile uint64_t spin_sink;

static void fail(const char *who, const char *what, uint64_t a, uint64_t b)
{
    if (atomic_fetch_add(&failures, 1u) < 10u) {
        fprintf(stderr, "FAIL %s: %s (%llu, %llu)\n", who, what, (unsigned long long)a,
                (unsigned long long)b);
    }
}

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static void store_le64(unsigned char *p, uint64_t v)
{
    int i;

    for (i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

/* FNV-1a over seq and payload. */
static uint64_t checksum(const unsigned char *element)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    int i;

    for (i = 0; i < CHECKSUM_OFF; i++) {
        h = (h ^ element[i]) * 0x100000001b3ULL;
    }
    return h;
}

static unsigned char payload_byte(uint64_t seq, int i)
{
    return (unsigned char)((seq * 0x9e3779b97f4a7c15ULL) >> (i % 8 * 8)) ^ (unsigned char)(i * 37);
}

static void make_element(unsigned char *element, uint64_t seq)
{
    int i;

    store_le64(element, seq);
    for (i = 0; i < PAYLOAD_SIZE; i++) {
        element[PAYLOAD_OFF + i] = payload_byte(seq, i);
    }
    store_le64(element + CHECKSUM_OFF, checksum(element));
}

/* Intact: checksum and every payload byte agree with the sequence number. */
static int element_intact(const unsigned char *element)
{
    uint64_t seq = load_le64(element);
    int i;

    if (load_le64(element + CHECKSUM_OFF) != checksum(element)) {
        return 0;
    }
    for (i = 0; i < PAYLOAD_SIZE; i++) {
        if (element[PAYLOAD_OFF + i] != payload_byte(seq, i)) {
            return 0;
        }
    }
    return 1;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void *map_channel(int prot)
{
    void *mem = mmap(NULL, channel_size, prot, MAP_SHARED, channel_fd, 0);

    if (mem == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return mem;
}

static void *writer_main(void *arg)
{
    struct channel_writer w;
    static unsigned char batch[SOAK_MAX_BATCH * ELEMENT_SIZE];
    void *mem = map_channel(PROT_READ | PROT_WRITE);
    uint64_t rng = 0x1234567u;
    uint64_t seq = 0;

    (void)arg;
    if (channel_writer_init(&w, mem, channel_size, SOAK_PROTOCOL, ELEMENT_SIZE, SOAK_EPOCH) != 0) {
        fail("writer", "init", 0, 0);
    }
    pthread_barrier_wait(&start_barrier); /* readers may synchronise now */
    pthread_barrier_wait(&start_barrier); /* they have */
    while (seq < total_elements) {
        uint64_t r = xorshift(&rng);
        uint64_t count = 1;
        uint64_t i;

        /* A third of the writes are batches of up to SOAK_MAX_BATCH elements. */
        if (r % 3u == 0u) {
            count = 1u + (r >> 8) % SOAK_MAX_BATCH;
        }
        if (count > total_elements - seq) {
            count = total_elements - seq;
        }
        for (i = 0; i < count; i++) {
            make_element(batch + i * ELEMENT_SIZE, seq + i);
        }
        if (count == 1u) {
            channel_write(&w, batch);
        } else {
            channel_write_batch(&w, batch, count);
        }
        seq += count;
        /*
         * Alternate free-running stretches (readers are lapped: overruns, copies racing
         * overwrites) with paced ones (readers keep up: long runs of successes).
         */
        if ((seq / SOAK_PHASE) % 2u == 1u) {
            for (i = 0; i < SOAK_PACE_SPINS * count; i++) {
                atomic_signal_fence(memory_order_seq_cst);
                spin_sink++;
            }
        }
    }
    atomic_store(&writer_done, true);
    munmap(mem, channel_size);
    return NULL;
}

/* Account for one read's outcome; returns false once the stream is finished. */
static bool check_result(const char *who, struct channel_reader *r, struct reader_report *rep,
                         enum channel_result result, const unsigned char *out, size_t count,
                         bool done)
{
    uint64_t lost = channel_lost(r);
    size_t i;

    if (result == CHANNEL_OVERRUN) {
        if (lost <= rep->lost) {
            fail(who, "overrun without counted loss", lost, rep->lost);
        }
        rep->next += lost - rep->lost;
        rep->lost = lost;
        rep->overruns++;
        return true;
    }
    if (lost != rep->lost) {
        fail(who, "loss counted without overrun", lost, rep->lost);
        rep->lost = lost;
    }
    if (result == CHANNEL_NO_DATA) {
        if (done) {
            return false;
        }
        sched_yield();
        return true;
    }
    if (result != CHANNEL_SUCCESS) {
        fail(who, "unexpected result", (uint64_t)result, rep->next);
        return false;
    }
    for (i = 0; i < count; i++) {
        const unsigned char *element = out + i * ELEMENT_SIZE;

        if (!element_intact(element)) {
            fail(who, "torn element returned as SUCCESS", load_le64(element), rep->next);
        } else if (load_le64(element) != rep->next) {
            fail(who, "out of sequence", load_le64(element), rep->next);
        }
        rep->next++;
        rep->delivered++;
    }
    return true;
}

struct reader_args {
    enum reader_mode mode;
    const char *name;
    struct reader_report report;
};

static void *reader_thread(void *arg)
{
    struct reader_args *a = arg;
    struct channel_reader r;
    unsigned char out[SOAK_MAX_BATCH * ELEMENT_SIZE];
    const void *mem = map_channel(PROT_READ);
    uint64_t rng = 0x9876u + (uint64_t)a->mode;
    bool running = true;

    if (channel_reader_init(&r, mem, channel_size, SOAK_PROTOCOL, ELEMENT_SIZE) != 0) {
        fail(a->name, "init", 0, 0);
    }
    pthread_barrier_wait(&start_barrier);
    if (channel_read(&r, out) != CHANNEL_EPOCH_CHANGED) {
        fail(a->name, "first read is not EPOCH_CHANGED", 0, 0);
    }
    pthread_barrier_wait(&start_barrier);
    while (running) {
        bool done = atomic_load(&writer_done);
        bool batch = a->mode == MODE_BATCH || (a->mode == MODE_MIXED && (xorshift(&rng) & 1u));
        enum channel_result result;
        size_t count = 1;

        if (batch) {
            size_t max = 1u + (size_t)(xorshift(&rng) % SOAK_MAX_BATCH);

            result = channel_read_batch(&r, out, max, &count);
        } else {
            result = channel_read(&r, out);
        }
        running = check_result(a->name, &r, &a->report, result, out, count, done);
    }
    munmap((void *)mem, channel_size);
    return NULL;
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    static struct reader_args readers[SOAK_READERS] = {
        {MODE_SINGLE, "reader-single", {0, 0, 0, 0}},
        {MODE_BATCH, "reader-batch", {0, 0, 0, 0}},
        {MODE_MIXED, "reader-mixed", {0, 0, 0, 0}},
    };
    pthread_t reader_threads[SOAK_READERS];
    pthread_t writer_thread;
    const char *env = getenv("MOAT_SOAK_ELEMENTS");
    double start;
    double elapsed;
    int i;

    total_elements = (env != NULL) ? strtoull(env, NULL, 10) : SOAK_DEFAULT;
    channel_size = 64u + SOAK_SLOTS * ELEMENT_SIZE;
    channel_fd = memfd_create("libchannel-soak", MFD_CLOEXEC);
    if (channel_fd < 0 || ftruncate(channel_fd, (off_t)channel_size) != 0) {
        perror("memfd");
        return 2;
    }
    pthread_barrier_init(&start_barrier, NULL, SOAK_READERS + 1);
    start = now_seconds();
    pthread_create(&writer_thread, NULL, writer_main, NULL);
    for (i = 0; i < SOAK_READERS; i++) {
        pthread_create(&reader_threads[i], NULL, reader_thread, &readers[i]);
    }
    pthread_join(writer_thread, NULL);
    for (i = 0; i < SOAK_READERS; i++) {
        pthread_join(reader_threads[i], NULL);
    }
    elapsed = now_seconds() - start;

    printf("%llu elements written in %.2f s (%.1f M/s)\n", (unsigned long long)total_elements,
           elapsed, (double)total_elements / elapsed / 1e6);
    for (i = 0; i < SOAK_READERS; i++) {
        const struct reader_report *rep = &readers[i].report;

        printf("%-14s delivered %10llu  lost %10llu  overruns %8llu\n", readers[i].name,
               (unsigned long long)rep->delivered, (unsigned long long)rep->lost,
               (unsigned long long)rep->overruns);
        if (rep->delivered + rep->lost != total_elements || rep->next != total_elements) {
            fail(readers[i].name, "delivered + lost != written", rep->delivered + rep->lost,
                 total_elements);
        }
        if (rep->delivered == 0u && total_elements > 0u) {
            fail(readers[i].name, "delivered nothing", 0, 0);
        }
    }
    close(channel_fd);
    if (atomic_load(&failures) != 0u) {
        printf("%lu failures\n", atomic_load(&failures));
        return 1;
    }
    return 0;
}
