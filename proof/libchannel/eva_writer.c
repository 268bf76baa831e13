/*
 * EVA driver for the libchannel writer (docs/assurance.md). First the init with the
 * mapping size, element size, protocol and epoch symbolic, over arbitrary bytes, and a
 * resume over arbitrary bytes. Then
 * single and batch writes and deactivation from any state init can leave: element size
 * and element count symbolic and independent, the counter, cached slot and epoch any
 * value, over a ring just large enough for the largest such state, which is therefore
 * the mapping (64 + elements * element_size bytes fit in it, as init guarantees).
 */
#include "__fc_builtin.h"
#include "driver.h"
#include "channel_internal.h"
#include "libchannel.h"

#define ELEMENT_MAX 4096u
#define MEM_MAX (64u + 2u * ELEMENT_MAX)
#define RING_ELEMENTS_MAX 16u
#define RING_MAX (64u + RING_ELEMENTS_MAX * ELEMENT_MAX)
#define BATCH_MAX 40u

static unsigned char chan[MEM_MAX] __attribute__((aligned(8)));
static unsigned char ring[RING_MAX] __attribute__((aligned(8)));
static unsigned char src[BATCH_MAX * ELEMENT_MAX];

/* Any state after init and any calls, from arbitrary values: the ring's shape fits it. */
/*@ requires \valid(w) && \valid_read(value + (0 .. 4));
    requires \separated(w, ring + (0 .. RING_MAX - 1));
    assigns *w;
    ensures channel_writer_ok(w) && w->mem == ring;
*/
static void havoc_writer(struct channel_writer *w, const uint64_t value[5])
{
    w->mem = ring;
    w->element_size = value[0] % (ELEMENT_MAX + 1u);
    w->elements = value[1] % (RING_ELEMENTS_MAX + 1u);
    w->wc = value[2];
    w->epoch = value[3];
    w->pos = value[4];
}

int main(void)
{
    struct channel_writer w;
    size_t mem_size = Frama_C_size_t_interval(0u, MEM_MAX);
    size_t element_size = Frama_C_size_t_interval(0u, ELEMENT_MAX);
    uint64_t protocol = any_u64();
    uint64_t epoch = any_u64();
    int calls = Frama_C_interval(0, 1000000);
    uint64_t value[5];

    Frama_C_make_unknown((char *)chan, MEM_MAX);
    (void)channel_writer_init(NULL, chan, mem_size, protocol, element_size, epoch);
    (void)channel_writer_init(&w, NULL, mem_size, protocol, element_size, epoch);
    (void)channel_writer_init(&w, chan + 4, Frama_C_size_t_interval(0u, MEM_MAX - 4u), protocol,
                              element_size, epoch);
    (void)channel_writer_init(&w, chan, mem_size, protocol, element_size, epoch);
    /* Resuming reads the header once, whatever an earlier writer (or anyone) left there. */
    Frama_C_make_unknown((char *)chan, MEM_MAX);
    (void)channel_writer_resume(NULL, chan, mem_size, protocol, element_size);
    (void)channel_writer_resume(&w, chan, mem_size, protocol, element_size);

    Frama_C_make_unknown((char *)src, sizeof(src));
    /*@ loop assigns calls, w, value[0 .. 4], ring[0 .. RING_MAX - 1]; */
    while (calls > 0) {
        calls--;
        any_values(value, 5u);
        havoc_writer(&w, value);
        switch (Frama_C_interval(0, 3)) {
        case 0:
            channel_write(&w, src);
            break;
        case 1:
            channel_write_batch(&w, src, Frama_C_size_t_interval(0u, BATCH_MAX));
            break;
        case 2:
            channel_write(NULL, src);
            channel_write(&w, NULL);
            channel_write_batch(NULL, src, 1u);
            channel_write_batch(&w, NULL, 1u);
            break;
        default:
            channel_deactivate(&w);
            channel_deactivate(NULL);
            break;
        }
    }
    return 0;
}
