/*
 * libFuzzer target for the channel reader. The input supplies the reader's
 * configuration, the initial channel image (header and slots) and a list of operations
 * that interleave reads with header and slot mutations and with honest writer calls.
 * The reader sees the channel through a PROT_READ mapping that ends exactly at a
 * PROT_NONE guard page (or starts right after one), destinations are heap buffers of
 * the exact size, and the target is built with ASan and UBSan: any read outside the
 * channel, write outside a destination or undefined behaviour is a crash.
 *
 * Input layout:
 *   byte 0      element size - 1 (1..256)
 *   byte 1      slot count - 1 (1..64), reader side
 *   byte 2      bits 0-1: tail bytes / 8 after the slots; bit 2: channel at the start
 *               of its pages (else at the end); bit 3: reader expects another protocol
 *   byte 3-4    image length n (little-endian), then n image bytes (header + slots,
 *               zero-padded or cut to the channel size)
 *   rest        operations, one byte each plus arguments (see run_ops)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "channel_atomic.h"
#include "libchannel.h"

#define FUZZ_PROTOCOL 0x66757a7a2d726478ULL /* "fuzz-rdx" */
#define FUZZ_MAX_PAGES 8u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static unsigned char *rw_view; /* the whole memfd, read-write: the "writer's" side */
static size_t page_size;

/* A cursor over the input that yields zeros once it runs out. */
struct input {
    const uint8_t *data;
    size_t size;
    size_t at;
};

static uint8_t next_byte(struct input *in)
{
    return (in->at < in->size) ? in->data[in->at++] : 0u;
}

static uint64_t next_u64(struct input *in)
{
    uint64_t value = 0;
    unsigned int i;

    for (i = 0; i < 8u; i++) {
        value |= (uint64_t)next_byte(in) << (8u * i);
    }
    return value;
}

static void setup_once(void)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    memfd = memfd_create("libchannel-fuzz", MFD_CLOEXEC);
    if (memfd < 0 || ftruncate(memfd, (off_t)(FUZZ_MAX_PAGES * page_size)) != 0) {
        perror("memfd");
        abort();
    }
    rw_view = mmap(NULL, FUZZ_MAX_PAGES * page_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (rw_view == MAP_FAILED) {
        perror("mmap");
        abort();
    }
}

/* Map the first `pages` pages of the memfd read-only between two guard pages. */
static unsigned char *map_read_only(size_t pages, unsigned char **base)
{
    size_t length = (pages + 2u) * page_size;

    *base = mmap(NULL, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (*base == MAP_FAILED ||
        mmap(*base + page_size, pages * page_size, PROT_READ, MAP_SHARED | MAP_FIXED, memfd, 0) ==
            MAP_FAILED) {
        perror("mmap");
        abort();
    }
    return *base + page_size;
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_reader: %s\n", what);
        abort();
    }
}

static void check_reader(const struct channel_reader *r, uint64_t *last_lost)
{
    check(channel_lost(r) >= *last_lost, "lost decreased");
    *last_lost = channel_lost(r);
    check(r->elements == 0u || r->elements <= (r->mem_size - 64u) / r->element_size,
          "accepted an element count beyond the mapping");
    check(r->ahead_count < CHANNEL_READ_AHEAD && (r->element_size == 8u || r->ahead_count == 0u),
          "read ahead CHANNEL_READ_AHEAD or more, or not 8-byte elements");
}

/*
 * Operations (op byte % 10):
 *   0-2 channel_read            3 channel_read_batch, max = 1 + byte % 16
 *   4   channel_has_data        5 channel_drain
 *   6   header field byte % 8 := next 8 bytes
 *   7   slot byte at (2 bytes) % size := byte
 *   8   channel_writer_init on the same memory, byte selects honest or odd parameters
 *   9   channel_write_batch of 1 + byte % 8 elements taken from the input
 */
static void run_ops(struct input *in, struct channel_reader *r, unsigned char *chan_rw,
                    size_t mem_size, size_t element_size)
{
    struct channel_writer w;
    unsigned char *one = malloc(element_size);
    uint64_t last_lost = 0;
    int writer_ready = 0;
    unsigned int steps;

    check(one != NULL, "malloc");
    for (steps = 0; steps < 256u && in->at < in->size; steps++) {
        uint8_t op = next_byte(in) % 10u;

        if (op <= 2u) {
            enum channel_result result = channel_read(r, one);

            check(result <= CHANNEL_INCOMPATIBLE, "invalid result");
        } else if (op == 3u) {
            size_t max = 1u + next_byte(in) % 16u;
            unsigned char *many = malloc(max * element_size);
            size_t count = 999;
            enum channel_result result;

            check(many != NULL, "malloc");
            result = channel_read_batch(r, many, max, &count);
            check((result == CHANNEL_SUCCESS) == (count != 0u) && count <= max,
                  "batch count inconsistent with result");
            free(many);
        } else if (op == 4u) {
            (void)channel_has_data(r);
        } else if (op == 5u) {
            channel_drain(r);
        } else if (op == 6u) {
            size_t field = 8u * (next_byte(in) % 8u);

            channel_store_u64_relaxed(chan_rw + field, next_u64(in));
        } else if (op == 7u) {
            size_t at = next_byte(in);

            at |= (size_t)next_byte(in) << 8;
            channel_store_u8_relaxed(chan_rw + at % mem_size, next_byte(in));
        } else if (op == 8u) {
            uint8_t how = next_byte(in);
            size_t size = (how & 1u) ? element_size : 1u + how % 64u;
            uint64_t protocol = (how & 2u) ? FUZZ_PROTOCOL : 1u + how;

            writer_ready = channel_writer_init(&w, chan_rw, mem_size - 8u * (how >> 6), protocol,
                                               size, 1u + next_byte(in)) == 0;
        } else if (writer_ready) {
            size_t count = 1u + next_byte(in) % 8u;
            size_t bytes = count * (size_t)w.element_size;
            unsigned char *src = malloc(bytes);
            size_t i;

            check(src != NULL, "malloc");
            for (i = 0; i < bytes; i++) {
                src[i] = next_byte(in);
            }
            channel_write_batch(&w, src, count);
            free(src);
        }
        check_reader(r, &last_lost);
    }
    free(one);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size, 0};
    struct channel_reader r;
    size_t element_size;
    size_t slots;
    size_t mem_size;
    size_t pages;
    size_t offset;
    size_t image;
    size_t i;
    uint8_t flags;
    unsigned char *base;
    unsigned char *ro;

    if (memfd < 0) {
        setup_once();
    }
    element_size = 1u + next_byte(&in);
    slots = 1u + next_byte(&in) % 64u;
    flags = next_byte(&in);
    mem_size = 64u + element_size * slots;
    mem_size = (mem_size + 7u) / 8u * 8u + 8u * (flags & 3u);
    pages = (mem_size + page_size - 1u) / page_size;
    /* The channel ends at the trailing guard page, or starts after the leading one. */
    offset = (flags & 4u) ? 0u : pages * page_size - mem_size;

    memset(rw_view, 0, pages * page_size);
    image = next_byte(&in);
    image |= (size_t)next_byte(&in) << 8;
    for (i = 0; i < image; i++) {
        uint8_t b = next_byte(&in);

        if (i < mem_size) {
            rw_view[offset + i] = b;
        }
    }

    ro = map_read_only(pages, &base);
    check(channel_reader_init(&r, ro + offset, mem_size,
                              (flags & 8u) ? FUZZ_PROTOCOL + 1u : FUZZ_PROTOCOL,
                              element_size) == 0,
          "reader_init refused a valid layout");
    run_ops(&in, &r, rw_view + offset, mem_size, element_size);
    munmap(base, (pages + 2u) * page_size);
    return 0;
}
