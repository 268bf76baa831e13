/*
 * What the linux-stream writer and reader share: the element they stream (a sequence
 * number, the time it was written and a payload derived from the sequence number,
 * closed by a checksum, so a reader can tell a lost element, a gap in sequence
 * numbers, from a corrupt one, a bad checksum or a sequence number going backwards),
 * and small helpers for option parsing and time.
 */
#ifndef STREAM_COMMON_H
#define STREAM_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* Payload protocol id of this example's channels ("lnxstrm1"). */
#define STREAM_PROTOCOL 0x6c6e787374726d31ULL

/* Set on the writer's last element: readers stop when they see it. */
#define STREAM_FLAG_LAST 1u

#define STREAM_PAYLOAD_WORDS 4

struct stream_element {
    uint64_t sequence; /* 0, 1, 2, ... per writer epoch */
    uint64_t time_ns;  /* CLOCK_MONOTONIC when written */
    uint64_t flags;    /* STREAM_FLAG_* */
    uint64_t payload[STREAM_PAYLOAD_WORDS];
    uint64_t checksum; /* stream_checksum() of everything above */
};

_Static_assert(sizeof(struct stream_element) == 64, "one cache line per element");

/* A 64-bit mixer (splitmix64 finaliser): every input bit affects every output bit. */
static inline uint64_t stream_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static inline uint64_t stream_checksum(const struct stream_element *e)
{
    uint64_t sum = stream_mix(e->sequence ^ 0x53545245414dULL);
    unsigned i;

    sum = stream_mix(sum ^ e->time_ns);
    sum = stream_mix(sum ^ e->flags);
    for (i = 0; i < STREAM_PAYLOAD_WORDS; i++) {
        sum = stream_mix(sum ^ e->payload[i]);
    }
    return sum;
}

static inline void stream_fill(struct stream_element *e, uint64_t sequence, uint64_t time_ns,
                               uint64_t flags)
{
    unsigned i;

    e->sequence = sequence;
    e->time_ns = time_ns;
    e->flags = flags;
    for (i = 0; i < STREAM_PAYLOAD_WORDS; i++) {
        e->payload[i] = stream_mix(sequence * STREAM_PAYLOAD_WORDS + i);
    }
    e->checksum = stream_checksum(e);
}

static inline uint64_t stream_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Parse a whole decimal number; false on junk or overflow. */
static inline bool stream_parse_u64(const char *text, uint64_t *value)
{
    char *end = NULL;
    unsigned long long v;

    if (text == NULL || *text < '0' || *text > '9') {
        return false;
    }
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') {
        return false;
    }
    *value = (uint64_t)v;
    return true;
}

/* Sleep for a number of nanoseconds (below one second). */
static inline void stream_sleep_ns(long ns)
{
    struct timespec ts = { 0, ns };

    nanosleep(&ts, NULL);
}

#endif /* STREAM_COMMON_H */
