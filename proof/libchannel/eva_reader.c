/*
 * EVA driver for the libchannel reader (docs/assurance.md). The mapping size, the
 * element size and the protocol are symbolic; before every call the whole mapping
 * becomes arbitrary bytes (a hostile or broken writer, at any moment) and the reader's
 * state becomes arbitrary within what channel_reader_init and reader_sync establish:
 * the init arguments kept, an element count that is 0 or fits the mapping, and every
 * other field (epoch, counters, cached slot, lost count, the count and contents of the
 * elements read ahead) any value at all.
 */
#include "__fc_builtin.h"
#include "driver.h"
#include "channel_internal.h"
#include "libchannel.h"

#define ELEMENT_MAX 4096u
#define MEM_MAX (64u + 2u * ELEMENT_MAX)
#define BATCH_MAX 4u
#define HAVOC_VALUES (8u + CHANNEL_READ_AHEAD) /* havoc_reader's 7, then havoc_ahead's */
#if HAVOC_VALUES > ANY_VALUES_MAX
#error "any_values must unroll as far as HAVOC_VALUES"
#endif

static unsigned char chan[MEM_MAX] __attribute__((aligned(8)));
static unsigned char dst[BATCH_MAX * ELEMENT_MAX];

/*
 * Any state a sequence of calls can leave, from arbitrary values: init's arguments are
 * kept and the element count is 0 or fits the mapping; the rest is anything.
 */
/*@ requires \valid(r) && channel_reader_ok(r) && \valid_read(value + (0 .. 6));
    requires \separated(r, value + (0 .. 6));
    assigns r->epoch, r->elements, r->rc, r->lost, r->pos, r->wc_seen, r->overrun_last;
    ensures channel_reader_ok(r);
*/
static void havoc_reader(struct channel_reader *r, const uint64_t value[7])
{
    uint64_t capacity = (r->mem_size - CHANNEL_HEADER_SIZE) / r->element_size;

    /*@ assert capacity * r->element_size <= r->mem_size - CHANNEL_HEADER_SIZE; */
    r->epoch = value[0];
    r->elements = value[1] % (capacity + 1u);
    r->rc = value[2];
    r->lost = value[3];
    r->pos = value[4];
    r->wc_seen = value[5];
    r->overrun_last = (value[6] & 1u) != 0u;
}

/*
 * The elements read ahead: their count, which the library trusts only when it is 1 to
 * CHANNEL_READ_AHEAD, and their contents, data only. Apart from havoc_reader, whose
 * proof is about the fields channel_reader_ok constrains.
 */
/*@ requires \valid(r) && \valid_read(value + (0 .. CHANNEL_READ_AHEAD));
    requires \separated(r, value + (0 .. CHANNEL_READ_AHEAD));
    assigns r->ahead_count, r->ahead[0 .. CHANNEL_READ_AHEAD - 1];
*/
static void havoc_ahead(struct channel_reader *r, const uint64_t value[CHANNEL_READ_AHEAD + 1])
{
    r->ahead_count = value[CHANNEL_READ_AHEAD];
    /*@ loop unroll CHANNEL_READ_AHEAD;
        loop invariant 0 <= k <= CHANNEL_READ_AHEAD;
        loop assigns k, r->ahead[0 .. CHANNEL_READ_AHEAD - 1];
        loop variant CHANNEL_READ_AHEAD - k; */
    for (unsigned k = 0u; k < CHANNEL_READ_AHEAD; k++) {
        r->ahead[k] = value[k];
    }
}

int main(void)
{
    struct channel_reader r;
    struct channel_reader scratch;
    size_t mem_size = Frama_C_size_t_interval(0u, MEM_MAX);
    size_t element_size = Frama_C_size_t_interval(0u, ELEMENT_MAX);
    uint64_t protocol = any_u64();
    size_t count;
    uint64_t value[HAVOC_VALUES];
    int calls = Frama_C_interval(0, 1000000);

    /* The argument checks, with NULL and unaligned pointers too. */
    (void)channel_reader_init(NULL, chan, mem_size, protocol, element_size);
    (void)channel_reader_init(&scratch, NULL, mem_size, protocol, element_size);
    (void)channel_reader_init(&scratch, chan + 4, Frama_C_size_t_interval(0u, MEM_MAX - 4u),
                              protocol, element_size);
    if (channel_reader_init(&r, chan, mem_size, protocol, element_size) != 0) {
        return 0;
    }
    /*@ loop invariant channel_reader_ok(&r);
        loop assigns calls, chan[0 .. MEM_MAX - 1], r, value[0 .. HAVOC_VALUES - 1],
                     dst[0 .. BATCH_MAX * ELEMENT_MAX - 1], count;
    */
    while (calls > 0) {
        calls--;
        Frama_C_make_unknown((char *)chan, MEM_MAX);
        any_values(value, HAVOC_VALUES);
        havoc_reader(&r, value);
        havoc_ahead(&r, value + 7);
        switch (Frama_C_interval(0, 5)) {
        case 0:
            (void)channel_read(&r, dst);
            break;
        case 1:
            (void)channel_read_batch(&r, dst, Frama_C_size_t_interval(0u, BATCH_MAX), &count);
            break;
        case 2:
            channel_drain(&r);
            break;
        case 3:
            (void)channel_has_data(&r);
            break;
        case 4:
            (void)channel_read(NULL, dst);
            (void)channel_read(&r, NULL);
            (void)channel_read_batch(&r, NULL, 1u, &count);
            (void)channel_read_batch(&r, dst, 1u, NULL);
            break;
        default:
            (void)channel_lost(&r);
            break;
        }
    }
    return 0;
}
