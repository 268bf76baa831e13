/*
 * The writer side of a SHMStream v2 channel: initialisation, resumption after a restart,
 * single and batch writes, deactivation. The writer trusts only its own struct, reads
 * channel memory only once, when resuming, and orders its stores so that readers can
 * detect torn copies (docs/channel-protocol.md, "Memory ordering").
 */
#include "channel_internal.h"
#include "libchannel.h"

/* What initialising and resuming both check; the ring's element count in *elements. */
/*@ requires \valid(elements);
    assigns *elements;
    ensures \result == 0 ==> w != \null && mem != \null && element_size >= 1 && protocol != 0 &&
            mem_size >= CHANNEL_HEADER_SIZE && mem_size - CHANNEL_HEADER_SIZE >= element_size &&
            *elements == (mem_size - CHANNEL_HEADER_SIZE) / element_size;
    ensures \result != 0 ==> *elements == \old(*elements);
*/
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

/*@ requires w == \null || \valid(w);
    requires mem != \null ==> \valid((unsigned char *)mem + (0 .. mem_size - 1));
    requires w != \null && mem != \null ==>
             \separated(w, (unsigned char *)mem + (0 .. mem_size - 1));
    assigns *w, ((unsigned char *)mem)[0 .. mem_size - 1];
    ensures \result == 0 ==> channel_writer_ok(w) && w->mem == mem &&
            w->element_size == element_size && w->elements >= 1 &&
            CHANNEL_HEADER_SIZE + w->elements * w->element_size <= mem_size;
*/
int channel_writer_init(struct channel_writer *w, void *mem, size_t mem_size, uint64_t protocol,
                        size_t element_size, uint64_t epoch)
{
    unsigned char *base = mem;
    uint64_t elements = 0;
    uint64_t ring;
    uint64_t ring_bytes;
    int err;

    err = writer_check_layout(w, mem, mem_size, protocol, element_size, &elements);
    if (err != 0) {
        return err;
    }
    if (epoch == CHANNEL_NULL_EPOCH) {
        return CHANNEL_ERR_EPOCH;
    }
    /* The slots' bytes as a difference, not a product: no analyser loses that it fits. */
    ring = mem_size - CHANNEL_HEADER_SIZE;
    ring_bytes = ring - ring % element_size;
    /*@ assert ring_bytes == elements * element_size; */

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
    channel_zero_channel(base, CHANNEL_HEADER_SIZE, CHANNEL_HEADER_SIZE + ring_bytes);
    /* Publishing the epoch publishes everything above (readers load it with acquire). */
    channel_store_u64_release(base + CHANNEL_OFF_EPOCH, epoch);
    w->epoch = epoch;
    return 0;
}

/*@ requires w == \null || \valid(w);
    requires mem != \null ==> \valid((unsigned char *)mem + (0 .. mem_size - 1));
    requires w != \null && mem != \null ==>
             \separated(w, (unsigned char *)mem + (0 .. mem_size - 1));
    assigns *w;
    ensures \result == 0 ==> channel_writer_ok(w) && w->mem == mem &&
            w->element_size == element_size && w->elements >= 1 &&
            CHANNEL_HEADER_SIZE + w->elements * w->element_size <= mem_size;
*/
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
    /*@ assert elements >= 1 && elements * element_size <= mem_size - CHANNEL_HEADER_SIZE; */
    w->mem = base;
    w->element_size = element_size;
    w->elements = elements;
    w->wc = wc;
    w->pos = wc % elements;
    w->epoch = epoch;
    return 0;
}

/* False for a writer that was never initialised or was deactivated: writes are dropped. */
/*@ requires w == \null || \valid_read(w);
    assigns \nothing;
    ensures \result <==> (w != \null && w->mem != \null && w->epoch != CHANNEL_NULL_EPOCH &&
                         w->elements != 0 && w->element_size != 0);
*/
static bool writer_is_active(const struct channel_writer *w)
{
    return w != NULL && w->mem != NULL && w->epoch != CHANNEL_NULL_EPOCH && w->elements != 0u &&
           w->element_size != 0u;
}

/* Slot of the next element: the cached position, recomputed if it is out of range. */
/*@ requires \valid_read(w) && w->elements != 0;
    assigns \nothing;
    ensures \result < w->elements;
*/
static uint64_t writer_pos(const struct channel_writer *w)
{
    if (w->pos < w->elements) {
        return w->pos;
    }
    return w->wc % w->elements;
}

/*
 * channel_write of an element of any size other than 8 bytes: the general copy, out of
 * line so that the 8-byte path of channel_write needs no stack frame. pos is the slot
 * of element w->wc (checked by the caller).
 */
/*@ requires \valid(w) && channel_writer_ok(w) && w->mem != \null;
    requires w->elements != 0 && w->element_size != 0 && pos < w->elements;
    requires \valid_read(element + (0 .. w->element_size - 1));
    assigns w->wc, w->pos,
            w->mem[CHANNEL_OFF_WSC .. CHANNEL_HEADER_SIZE + w->elements * w->element_size - 1];
    ensures channel_writer_ok(w) && w->mem == \old(w->mem) &&
            w->elements == \old(w->elements) && w->element_size == \old(w->element_size);
*/
CHANNEL_OUT_OF_LINE static void writer_write_copy(struct channel_writer *w,
                                                  const unsigned char *element, uint64_t pos)
{
    unsigned char *mem = w->mem;
    uint64_t size = w->element_size;
    uint64_t elements = w->elements;
    uint64_t wc = w->wc;
    uint64_t offset;
    uint64_t end;

    /* Announce the overwrite before touching the slot; readers check wsc after copying. */
    channel_store_u64_relaxed(mem + CHANNEL_OFF_WSC, wc + 1u);
    channel_fence_release();
    /*@ assert pos * size + size <= elements * size; */
    offset = channel_slot_offset(pos, size);
    end = offset + size;
    /*@ assert end <= CHANNEL_HEADER_SIZE + elements * size; */
    channel_copy_to_channel(mem, offset, end, element);
    channel_store_u64_release(mem + CHANNEL_OFF_WC, wc + 1u);

    w->wc = wc + 1u;
    w->pos = channel_next_pos(pos, wc + 1u, elements);
}

/*@ requires w == \null || channel_writer_ok(w);
    requires w != \null && w->mem != \null && element != \null ==>
             \valid_read((const unsigned char *)element + (0 .. w->element_size - 1));
    assigns w->wc, w->pos,
            w->mem[CHANNEL_OFF_WSC .. CHANNEL_HEADER_SIZE + w->elements * w->element_size - 1];
    ensures w != \null ==> channel_writer_ok(w) && w->mem == \old(w->mem) &&
            w->elements == \old(w->elements) && w->element_size == \old(w->element_size);
*/
void channel_write(struct channel_writer *w, const void *element)
{
    unsigned char *mem;
    uint64_t elements;
    uint64_t wc;
    uint64_t pos;
    uint64_t value;

    if (!writer_is_active(w) || element == NULL) {
        return;
    }
    /* Locals: the compiler cannot keep struct fields in registers across atomic stores. */
    mem = w->mem;
    elements = w->elements;
    wc = w->wc;
    pos = writer_pos(w);
    if (w->element_size != 8u) {
        writer_write_copy(w, element, pos);
        return;
    }
    value = channel_get_le64(element);

    /* Announce the overwrite before touching the slot; readers check wsc after copying. */
    channel_store_u64_relaxed(mem + CHANNEL_OFF_WSC, wc + 1u);
    channel_fence_release();
    /* An 8-byte slot is 8-byte aligned (64 + pos * 8): one word, no copy loop. */
    /*@ assert pos * 8 + 8 <= elements * 8; */
    channel_store_u64_relaxed(mem + channel_slot_offset(pos, 8u), value);
    channel_store_u64_release(mem + CHANNEL_OFF_WC, wc + 1u);

    w->wc = wc + 1u;
    w->pos = channel_next_pos(pos, wc + 1u, elements);
}

/*@ requires w == \null || channel_writer_ok(w);
    requires w != \null && w->mem != \null && elements != \null ==>
             \valid_read((const unsigned char *)elements + (0 .. count * w->element_size - 1));
    assigns w->wc, w->pos,
            w->mem[CHANNEL_OFF_WSC .. CHANNEL_HEADER_SIZE + w->elements * w->element_size - 1];
    ensures w != \null ==> channel_writer_ok(w) && w->mem == \old(w->mem) &&
            w->elements == \old(w->elements) && w->element_size == \old(w->element_size);
*/
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
    /*@ loop invariant skip <= i <= count && pos < elements_total;
        loop assigns i, index, pos,
                     mem[CHANNEL_HEADER_SIZE .. CHANNEL_HEADER_SIZE + elements_total * size - 1];
        loop variant count - i; */
    for (i = skip; i < count; i++) {
        uint64_t slot = channel_slot_offset(pos, size);
        uint64_t slot_end = slot + size;

        /*@ assert pos * size + size <= elements_total * size; */
        /*@ assert slot_end <= CHANNEL_HEADER_SIZE + elements_total * size; */
        /*@ assert i * size + size <= count * size; */
        channel_copy_to_channel(mem, slot, slot_end, src + i * size);
        index++;
        pos = channel_next_pos(pos, index, elements_total);
    }
    channel_store_u64_release(mem + CHANNEL_OFF_WC, end);

    w->wc = end;
    w->pos = pos;
}

/*@ requires w == \null || channel_writer_ok(w);
    assigns w->epoch, w->mem[CHANNEL_OFF_EPOCH .. CHANNEL_OFF_EPOCH + 7];
    ensures w != \null ==> channel_writer_ok(w);
*/
void channel_deactivate(struct channel_writer *w)
{
    if (w == NULL || w->mem == NULL) {
        return;
    }
    channel_store_u64_release(w->mem + CHANNEL_OFF_EPOCH, CHANNEL_NULL_EPOCH);
    w->epoch = CHANNEL_NULL_EPOCH;
}
