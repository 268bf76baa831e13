/*
 * Helpers shared by the libchannel unit tests: a properly aligned channel buffer, direct
 * access to header fields (tests poke the wire format to set up states a writer would
 * take years to reach), and elements whose every byte is derived from a sequence number
 * so that any mix-up shows.
 */
#ifndef CHANNEL_TEST_UTIL_H
#define CHANNEL_TEST_UTIL_H

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "channel_internal.h"
#include "libchannel.h"

#define TEST_PROTOCOL 0x6d6f61742d746573ULL /* "moat-tes" */
#define TEST_EPOCH    0x1111u
#define TEST_EPOCH2   0x2222u

/* Room for a channel of up to 64 KiB, with a canary area after it. */
struct test_buffer {
    alignas(64) unsigned char mem[65536 + 256];
};

static inline uint64_t test_get_field(const void *mem, size_t offset)
{
    uint64_t value;

    memcpy(&value, (const unsigned char *)mem + offset, sizeof(value));
    return value;
}

static inline void test_set_field(void *mem, size_t offset, uint64_t value)
{
    memcpy((unsigned char *)mem + offset, &value, sizeof(value));
}

/* Byte i of element seq: distinct for nearby seq and for every position. */
static inline unsigned char test_element_byte(uint64_t seq, size_t i)
{
    uint64_t x = seq * 0x9e3779b97f4a7c15ULL + (uint64_t)i * 0xbf58476d1ce4e5b9ULL;

    x ^= x >> 29;
    return (unsigned char)(x ^ (x >> 17));
}

static inline void test_fill_element(unsigned char *element, size_t size, uint64_t seq)
{
    size_t i;

    for (i = 0; i < size; i++) {
        element[i] = test_element_byte(seq, i);
    }
}

static inline int test_element_is(const unsigned char *element, size_t size, uint64_t seq)
{
    size_t i;

    for (i = 0; i < size; i++) {
        if (element[i] != test_element_byte(seq, i)) {
            return 0;
        }
    }
    return 1;
}

/* Element seq of an 8-byte channel (test_fill_element's bytes) as a word. */
static inline uint64_t test_word(uint64_t seq)
{
    unsigned char e[8];
    uint64_t v;

    test_fill_element(e, 8, seq);
    memcpy(&v, e, 8);
    return v;
}

/* Make the writer and the header believe counters are at value (start-of-epoch state). */
static inline void test_set_counters(struct channel_writer *w, uint64_t value)
{
    w->wc = value;
    w->pos = value % w->elements;
    test_set_field(w->mem, CHANNEL_OFF_WSC, value);
    test_set_field(w->mem, CHANNEL_OFF_WC, value);
}

#endif /* CHANNEL_TEST_UTIL_H */
