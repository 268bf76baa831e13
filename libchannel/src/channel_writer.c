/*
 * The writer side of a SHMStream v2 channel: initialisation, resumption after a restart,
 * single and batch writes, deactivation. The writer trusts only its own struct, reads
 * channel memory only once, when resuming, and orders its stores so that readers can
 * detect torn copies (docs/channel-protocol.md, "Memory ordering").
 */
#include "channel_internal.h"
#include "libchannel.h"

/* What initialising and resuming both check; the ring's element count in *elements. */
static int writer_check_layout(const struct channel_writer *w, const void *mem, size_t mem_size,
                               uint64_t protocol, size_t element_size, uint64_t *elements)
{
    int err;

    if (w == NULL) {
        return CHANNEL_ERR_NULL;
    }
    err = channel_check_layout(mem, mem_size, protocol, element_size);
    if (err == 0) {
        *elements = (mem_size - CHANNEL_HEADER_SIZE) / element_size;
    }
    return err;
}

int channel_writer_init(struct channel_writer *w, void *mem, size_t mem_size, uint64_t protocol,
                        size_t element_size, uint64_t epoch)
{
    unsigned char *base = mem;
    uint64_t elements = 0;
    int err;

    err = writer_check_layout(w, mem, mem_size, protocol, element_size, &elements);
    if (err != 0) {
        return err;
    }
    if (epoch == CHANNEL_NULL_EPOCH) {
        return CHANNEL_ERR_EPOCH;
    }

    w->mem = base;
    w->element_size = element_size;
    w->elements = elements;
    w->wc = 0u;
    w->pos = 0u;
    w->epoch = CHANNEL_NULL_EPOCH;

    /* Readers must see the channel inactive before any field or slot changes. */
    channel_store_u64_relaxed(base + CHANNEL_OFF_EPOCH, CHANNEL_NULL_EPOCH);
    channel_fence_release();
    channel_store_u64_relaxed(base + CHANNEL_OFF_TRANSPORT, CHANNEL_TRANSPORT_MARKER);
    channel_store_u64_relaxed(base + CHANNEL_OFF_PROTOCOL, protocol);
    channel_store_u64_relaxed(base + CHANNEL_OFF_SIZE, element_size);
    channel_store_u64_relaxed(base + CHANNEL_OFF_ELEMENTS, elements);
    channel_store_u64_relaxed(base + CHANNEL_OFF_RESERVED, 0u);
    channel_store_u64_relaxed(base + CHANNEL_OFF_WSC, 0u);
    channel_store_u64_relaxed(base + CHANNEL_OFF_WC, 0u);
    channel_zero_channel(base, CHANNEL_HEADER_SIZE, elements * element_size);
    /* Publishing the epoch publishes everything above (readers load it with acquire). */
    channel_store_u64_release(base + CHANNEL_OFF_EPOCH, epoch);
    w->epoch = epoch;
    return 0;
}

int channel_writer_resume(struct channel_writer *w, void *mem, size_t mem_size, uint64_t protocol,
                          size_t element_size)
{
    unsigned char *base = mem;
    uint64_t elements = 0;
    uint64_t epoch;
    uint64_t wc;
    int err;

    err = writer_check_layout(w, mem, mem_size, protocol, element_size, &elements);
    if (err != 0) {
        return err;
    }
    /* Only this writer stores to the memory, and it is not writing: one look suffices. */
    epoch = channel_load_u64_acquire(base + CHANNEL_OFF_EPOCH);
    wc = channel_load_u64_relaxed(base + CHANNEL_OFF_WC);
    if (epoch == CHANNEL_NULL_EPOCH ||
        channel_load_u64_relaxed(base + CHANNEL_OFF_TRANSPORT) != CHANNEL_TRANSPORT_MARKER ||
        channel_load_u64_relaxed(base + CHANNEL_OFF_PROTOCOL) != protocol ||
        channel_load_u64_relaxed(base + CHANNEL_OFF_SIZE) != element_size ||
        channel_load_u64_relaxed(base + CHANNEL_OFF_ELEMENTS) != elements ||
        channel_load_u64_relaxed(base + CHANNEL_OFF_WSC) != wc) {
        return CHANNEL_ERR_RESUME;
    }
    w->mem = base;
    w->element_size = element_size;
    w->elements = elements;
    w->wc = wc;
    w->pos = wc % elements;
    w->epoch = epoch;
    return 0;
}

/* False for a writer that was never initialised or was deactivated: writes are dropped. */
static bool writer_is_active(const struct channel_writer *w)
{
    return w != NULL && w->mem != NULL && w->epoch != CHANNEL_NULL_EPOCH && w->elements != 0u &&
           w->element_size != 0u;
}

/* Slot of the next element: the cached position, recomputed if it is out of range. */
static uint64_t writer_pos(const struct channel_writer *w)
{
    if (w->pos < w->elements) {
        return w->pos;
    }
    return w->wc % w->elements;
}

void channel_write(struct channel_writer *w, const void *element)
{
    uint64_t wc;
    uint64_t pos;

    if (!writer_is_active(w) || element == NULL) {
        return;
    }
    wc = w->wc;
    pos = writer_pos(w);

    /* Announce the overwrite before touching the slot; readers check wsc after copying. */
    channel_store_u64_relaxed(w->mem + CHANNEL_OFF_WSC, wc + 1u);
    channel_fence_release();
    if (w->element_size == 8u) {
        /* An 8-byte slot is 8-byte aligned (64 + pos * 8): one word, no copy loop. */
        channel_store_u64_relaxed(w->mem + channel_slot_offset(pos, 8u), channel_get_le64(element));
    } else {
        channel_copy_to_channel(w->mem, channel_slot_offset(pos, w->element_size), element,
                                w->element_size);
    }
    channel_store_u64_release(w->mem + CHANNEL_OFF_WC, wc + 1u);

    w->wc = wc + 1u;
    w->pos = channel_next_pos(pos, wc + 1u, w->elements);
}

void channel_write_batch(struct channel_writer *w, const void *elements, size_t count)
{
    const unsigned char *src = elements;
    unsigned char *mem;
    uint64_t size;
    uint64_t elements_total;
    uint64_t wc;
    uint64_t end;
    uint64_t skip = 0u;
    uint64_t index;
    uint64_t pos;
    uint64_t i;

    if (!writer_is_active(w) || elements == NULL || count == 0u) {
        return;
    }
    /* Locals: the compiler cannot keep struct fields in registers across atomic stores. */
    mem = w->mem;
    size = w->element_size;
    elements_total = w->elements;
    wc = w->wc;
    end = wc + count;
    /*
     * Of a batch longer than the ring only the last `elements` survive: skip the rest.
     * Not when the counter wraps past 2^64 inside the batch: slot numbering jumps there
     * (counter % elements), so earlier elements may survive and single writes would
     * leave them; the batch must leave the same bytes.
     */
    if (count > elements_total && !(end != 0u && end < wc)) {
        skip = count - elements_total;
    }
    index = wc + skip;
    pos = (skip == 0u) ? writer_pos(w) : index % elements_total;

    /* One wsc store covers the whole batch: every slot it will touch is announced. */
    channel_store_u64_relaxed(mem + CHANNEL_OFF_WSC, end);
    channel_fence_release();
    for (i = skip; i < count; i++) {
        channel_copy_to_channel(mem, channel_slot_offset(pos, size), src + i * size, size);
        index++;
        pos = channel_next_pos(pos, index, elements_total);
    }
    channel_store_u64_release(mem + CHANNEL_OFF_WC, end);

    w->wc = end;
    w->pos = pos;
}

void channel_deactivate(struct channel_writer *w)
{
    if (w == NULL || w->mem == NULL) {
        return;
    }
    channel_store_u64_release(w->mem + CHANNEL_OFF_EPOCH, CHANNEL_NULL_EPOCH);
    w->epoch = CHANNEL_NULL_EPOCH;
}
