/*
 * Hostile writer: one thread scribbles random values into the header and slots of a
 * channel while reader threads read it through a PROT_READ mapping. Built with ASan and
 * UBSan (no recovery) and the library sources compiled in, so that any out-of-bounds
 * access, division by zero, misaligned access or other undefined behaviour in a reader
 * aborts the test. Each reader's channel ends exactly at a PROT_NONE guard page, and the
 * mapping starts after one, so reading past either end faults; destinations are heap
 * buffers of the exact size, so ASan sees any write past them.
 *
 * The readers also check what they can: results are valid, batch counts are within
 * bounds, lost never decreases, the validated element count fits the mapping, elements
 * read ahead are never more than CHANNEL_READ_AHEAD - 1 (so a change is reported after
 * at most that many; only the 8-byte reader has any), and every reader keeps making
 * calls (no unbounded loop). MOAT_HOSTILE_SECONDS sets the run time
 * (default 3); the run goes on (up to ten times that) until every reader has seen both
 * SUCCESS and OVERRUN, and the 8-byte reader has handed out elements it read ahead.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "channel_atomic.h"
#include "libchannel.h"

#define HOSTILE_PROTOCOL 0x686f7374696c6521ULL /* "hostile!" */
#define HOSTILE_PAGES    4u
#define HOSTILE_READERS  3

/* Where each reader's channel starts in the shared pages, and its element size. */
struct reader_config {
    size_t offset;       /* multiple of 8; the channel runs to the end of the mapping */
    size_t element_size; /* not all multiples of 8 */
};

static const struct reader_config configs[HOSTILE_READERS] = {
    {8 * 3, 8}, /* its last slot ends the mapping in the middle of a cache line */
    {8 * 37, 13},
    {8 * 500, 1000},
};

static size_t page_size;
static size_t map_size;
static unsigned char *rw_map; /* the scribbler's view */
static const unsigned char *ro_map;
static atomic_bool stop;
static atomic_ulong failures;

static void fail(int reader, const char *what, uint64_t value)
{
    if (atomic_fetch_add(&failures, 1u) < 10u) {
        fprintf(stderr, "FAIL reader %d: %s (%llu)\n", reader, what, (unsigned long long)value);
    }
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Map the memfd at `prot` between two PROT_NONE guard pages. */
static unsigned char *map_guarded(int fd, int prot)
{
    unsigned char *base = mmap(NULL, map_size + 2 * page_size, PROT_NONE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (base == MAP_FAILED ||
        mmap(base + page_size, map_size, prot, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return base + page_size;
}

/* A header field value chosen to get past validation often, and to hurt when it does. */
static uint64_t nasty_value(uint64_t *rng, uint64_t good)
{
    switch (xorshift(rng) % 8u) {
    case 0:
        return good;
    case 1:
        return good + 1u;
    case 2:
        return good - 1u;
    case 3:
        return 0;
    case 4:
        return UINT64_MAX - (xorshift(rng) % 4u);
    case 5:
        return (uint64_t)1 << (xorshift(rng) % 64u);
    case 6:
        return xorshift(rng) % 1024u;
    default:
        return xorshift(rng);
    }
}

static void store_field(size_t channel, size_t field, uint64_t value)
{
    channel_store_u64_relaxed(rw_map + channel + field, value);
}

/* Lay down a mostly plausible header for reader k, every field possibly wrong. */
static void scribble_header(uint64_t *rng, int k)
{
    size_t at = configs[k].offset;
    uint64_t capacity = (map_size - at - 64u) / configs[k].element_size;
    uint64_t wc = nasty_value(rng, xorshift(rng) % (4u * capacity + 1u));

    store_field(at, 8, 0);
    store_field(at, 0, (xorshift(rng) % 16u) ? CHANNEL_TRANSPORT_MARKER : xorshift(rng));
    store_field(at, 16, (xorshift(rng) % 16u) ? HOSTILE_PROTOCOL : nasty_value(rng, 1));
    store_field(at, 24, (xorshift(rng) % 8u) ? configs[k].element_size
                                            : nasty_value(rng, configs[k].element_size));
    store_field(at, 32, nasty_value(rng, capacity));
    store_field(at, 48, (xorshift(rng) % 2u) ? wc : nasty_value(rng, wc));
    store_field(at, 56, wc);
    store_field(at, 8, (xorshift(rng) % 8u) ? 1u + xorshift(rng) % 3u : nasty_value(rng, 1));
}

static void *scribbler_main(void *arg)
{
    uint64_t rng = 0xdeadbeefcafef00dULL;

    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        uint64_t r = xorshift(&rng);
        int k = (int)(r % HOSTILE_READERS);
        size_t at = configs[k].offset;

        switch ((r >> 8) % 4u) {
        case 0:
            scribble_header(&rng, k);
            break;
        case 1: {
            /* One header field of one channel. */
            size_t field = 8u * (size_t)((r >> 16) % 8u);

            store_field(at, field, nasty_value(&rng, xorshift(&rng) % 64u));
            break;
        }
        case 2: {
            /* Counters run on as if an honest writer were busy. */
            uint64_t wc = channel_load_u64_relaxed(rw_map + at + 56);
            uint64_t step = 1u + (r >> 16) % 8u;

            store_field(at, 48, wc + step);
            store_field(at, 56, wc + step);
            break;
        }
        default: {
            /* Random bytes anywhere in the mapping. */
            size_t off = (size_t)(xorshift(&rng) % map_size);
            size_t len = 1u + (size_t)(r >> 16) % 256u;
            size_t i;

            for (i = 0; i < len && off + i < map_size; i++) {
                channel_store_u8_relaxed(rw_map + off + i, (uint8_t)xorshift(&rng));
            }
            break;
        }
        }
    }
    return NULL;
}

struct reader_args {
    int index;
    uint64_t calls;
    uint64_t results[CHANNEL_INCOMPATIBLE + 1];
    atomic_bool seen_success; /* read by main while the reader runs */
    atomic_bool seen_overrun;
    atomic_bool seen_hand_out; /* a read served from elements read ahead (8-byte reader) */
    uint64_t hand_outs;
};

/* Checks that hold whatever the writer did. */
static void check_reader(int k, const struct channel_reader *r, uint64_t *last_lost)
{
    if (channel_lost(r) < *last_lost) {
        fail(k, "lost decreased", channel_lost(r));
    }
    *last_lost = channel_lost(r);
    if (r->elements != 0u && r->elements > (r->mem_size - 64u) / r->element_size) {
        fail(k, "accepted an element count beyond the mapping", r->elements);
    }
    if (r->ahead_count >= CHANNEL_READ_AHEAD || (r->element_size != 8u && r->ahead_count != 0u)) {
        fail(k, "read ahead CHANNEL_READ_AHEAD or more, or not 8-byte elements",
             r->ahead_count);
    }
}

static void count_result(int k, struct reader_args *a, enum channel_result result)
{
    if ((unsigned)result > (unsigned)CHANNEL_INCOMPATIBLE) {
        fail(k, "invalid result", (uint64_t)result);
        return;
    }
    a->results[result]++;
    if (result == CHANNEL_SUCCESS) {
        atomic_store_explicit(&a->seen_success, true, memory_order_relaxed);
    } else if (result == CHANNEL_OVERRUN) {
        atomic_store_explicit(&a->seen_overrun, true, memory_order_relaxed);
    }
}

/* True when every reader has been past validation (SUCCESS) and seen an OVERRUN. */
static bool all_readers_exercised(struct reader_args *args)
{
    int i;

    for (i = 0; i < HOSTILE_READERS; i++) {
        if (!atomic_load_explicit(&args[i].seen_success, memory_order_relaxed) ||
            !atomic_load_explicit(&args[i].seen_overrun, memory_order_relaxed) ||
            (configs[i].element_size == 8u &&
             !atomic_load_explicit(&args[i].seen_hand_out, memory_order_relaxed))) {
            return false;
        }
    }
    return true;
}

static void *reader_main(void *arg)
{
    struct reader_args *a = arg;
    int k = a->index;
    size_t size = configs[k].element_size;
    size_t mem_size = map_size - configs[k].offset;
    unsigned char *one = malloc(size);
    struct channel_reader r;
    uint64_t rng = 0x1234u + (uint64_t)k;
    uint64_t last_lost = 0;

    if (one == NULL ||
        channel_reader_init(&r, ro_map + configs[k].offset, mem_size, HOSTILE_PROTOCOL, size) != 0) {
        fail(k, "setup", 0);
        return NULL;
    }
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        uint64_t op = xorshift(&rng) % 16u;
        enum channel_result result;

        if (op < 8u) {
            uint64_t ahead = r.ahead_count;

            result = channel_read(&r, one);
            count_result(k, a, result);
            if (result == CHANNEL_SUCCESS && ahead != 0u && r.ahead_count == ahead - 1u) {
                a->hand_outs++;
                atomic_store_explicit(&a->seen_hand_out, true, memory_order_relaxed);
            }
        } else if (op < 14u) {
            size_t max = 1u + (size_t)(xorshift(&rng) % 64u);
            unsigned char *many = malloc(max * size);
            size_t count = 12345;

            if (many == NULL) {
                fail(k, "malloc", max);
                break;
            }
            result = channel_read_batch(&r, many, max, &count);
            count_result(k, a, result);
            if ((result == CHANNEL_SUCCESS) != (count != 0u) || count > max) {
                fail(k, "batch count inconsistent with result", count);
            }
            free(many);
        } else if (op == 14u) {
            channel_drain(&r);
        } else {
            (void)channel_has_data(&r);
        }
        check_reader(k, &r, &last_lost);
        a->calls++;
    }
    free(one);
    return NULL;
}

int main(void)
{
    struct reader_args args[HOSTILE_READERS];
    pthread_t readers[HOSTILE_READERS];
    pthread_t scribbler;
    const char *env = getenv("MOAT_HOSTILE_SECONDS");
    unsigned int seconds = (env != NULL) ? (unsigned int)strtoul(env, NULL, 10) : 3u;
    struct timespec pause = {0, 0};
    int fd;
    int i;

    page_size = (size_t)sysconf(_SC_PAGESIZE);
    map_size = HOSTILE_PAGES * page_size;
    fd = memfd_create("libchannel-hostile", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)map_size) != 0) {
        perror("memfd");
        return 2;
    }
    rw_map = map_guarded(fd, PROT_READ | PROT_WRITE);
    ro_map = map_guarded(fd, PROT_READ);

    pthread_create(&scribbler, NULL, scribbler_main, NULL);
    for (i = 0; i < HOSTILE_READERS; i++) {
        memset(&args[i], 0, sizeof(args[i]));
        atomic_init(&args[i].seen_success, false);
        atomic_init(&args[i].seen_overrun, false);
        atomic_init(&args[i].seen_hand_out, false);
        args[i].index = i;
        pthread_create(&readers[i], NULL, reader_main, &args[i]);
    }
    pause.tv_sec = (time_t)seconds;
    nanosleep(&pause, NULL);
    /*
     * On a loaded machine a reader of large elements can go seconds without an overrun;
     * keep scribbling (up to 10 times the run time) until every reader saw both.
     */
    pause.tv_sec = 0;
    pause.tv_nsec = 100 * 1000 * 1000;
    for (i = 0; i < (int)(seconds * 100u) && !all_readers_exercised(args); i++) {
        nanosleep(&pause, NULL);
    }
    atomic_store(&stop, true);
    pthread_join(scribbler, NULL);
    for (i = 0; i < HOSTILE_READERS; i++) {
        pthread_join(readers[i], NULL);
        printf("reader %d (element size %4zu): %9llu calls; success %llu, no data %llu, "
               "overrun %llu, epoch changed %llu, inactive %llu, incompatible %llu; "
               "read ahead and handed out %llu\n",
               i, configs[i].element_size, (unsigned long long)args[i].calls,
               (unsigned long long)args[i].results[CHANNEL_SUCCESS],
               (unsigned long long)args[i].results[CHANNEL_NO_DATA],
               (unsigned long long)args[i].results[CHANNEL_OVERRUN],
               (unsigned long long)args[i].results[CHANNEL_EPOCH_CHANGED],
               (unsigned long long)args[i].results[CHANNEL_INACTIVE],
               (unsigned long long)args[i].results[CHANNEL_INCOMPATIBLE],
               (unsigned long long)args[i].hand_outs);
        if (args[i].calls < 1000u) {
            fail(i, "made too few calls (stuck?)", args[i].calls);
        }
        /* A scribbler that never got a reader past validation would prove nothing. */
        if (args[i].results[CHANNEL_SUCCESS] == 0u || args[i].results[CHANNEL_OVERRUN] == 0u) {
            fail(i, "never reached SUCCESS and OVERRUN", args[i].calls);
        }
        if (configs[i].element_size == 8u && args[i].hand_outs == 0u) {
            fail(i, "never read ahead past validation", args[i].calls);
        }
    }
    if (atomic_load(&failures) != 0u) {
        printf("%lu failures\n", atomic_load(&failures));
        return 1;
    }
    return 0;
}
