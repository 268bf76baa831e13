/*
 * The reader side of a SHMStream v2 channel. A reader never stores to channel memory
 * (it works on a PROT_READ mapping) and assumes nothing about what the writer puts
 * there: every header field is loaded once into a local and validated against the
 * reader's own mapping before it is used, so no value, at any moment, makes a reader
 * read outside [mem, mem + mem_size), write outside its destination, divide by zero or
 * loop without bound. The algorithm and its ordering argument are in
 * docs/channel-protocol.md.
 */
#include "channel_internal.h"
#include "libchannel.h"

int channel_reader_init(struct channel_reader *r, const void *mem, size_t mem_size,
                        uint64_t protocol, size_t element_size)
{
    int err;

    if (r == NULL) {
        return CHANNEL_ERR_NULL;
    }
    err = channel_check_layout(mem, mem_size, protocol, element_size);
    if (err != 0) {
        return err;
    }
    r->mem = mem;
    r->mem_size = mem_size;
    r->protocol = protocol;
    r->element_size = element_size;
    r->epoch = CHANNEL_NULL_EPOCH;
    r->elements = 0u;
    r->rc = 0u;
    r->lost = 0u;
    r->pos = 0u;
    r->overrun_last = false;
    return 0;
}

/* The reader is synchronised to a compatible epoch and may touch slots. */
static bool reader_is_synced(const struct channel_reader *r)
{
    return r->epoch != CHANNEL_NULL_EPOCH && r->elements != 0u;
}

/* Forget the epoch: the next read synchronises afresh. */
static void reader_unsync(struct channel_reader *r)
{
    r->epoch = CHANNEL_NULL_EPOCH;
    r->elements = 0u;
    r->overrun_last = false;
}

/* Move to counter value rc, keeping the cached slot consistent with it. */
static void reader_seek(struct channel_reader *r, uint64_t rc)
{
    r->rc = rc;
    r->pos = rc % r->elements;
}

/* Slot of r->rc: the cached position, recomputed if it is out of range. */
static uint64_t reader_pos(const struct channel_reader *r)
{
    if (r->pos < r->elements) {
        return r->pos;
    }
    return r->rc % r->elements;
}

/*
 * Load the header afresh and synchronise to it. The header fields are loaded between an
 * acquire load of epoch and a second load of epoch after an acquire fence: if the two
 * differ the writer was (re)initialising and the fields may be mixed, so they are not
 * used. Otherwise they are checked against what the reader expects and against its
 * mapping, and the reader starts at the oldest element the writer has not begun to
 * overwrite.
 */
static enum channel_result reader_sync(struct channel_reader *r)
{
    const unsigned char *mem = r->mem;
    uint64_t epoch = channel_load_u64_acquire(mem + CHANNEL_OFF_EPOCH);
    uint64_t transport;
    uint64_t protocol;
    uint64_t size;
    uint64_t elements;
    uint64_t wsc;
    uint64_t capacity;

    reader_unsync(r);
    if (epoch == CHANNEL_NULL_EPOCH) {
        return CHANNEL_INACTIVE;
    }
    transport = channel_load_u64_relaxed(mem + CHANNEL_OFF_TRANSPORT);
    protocol = channel_load_u64_relaxed(mem + CHANNEL_OFF_PROTOCOL);
    size = channel_load_u64_relaxed(mem + CHANNEL_OFF_SIZE);
    elements = channel_load_u64_relaxed(mem + CHANNEL_OFF_ELEMENTS);
    wsc = channel_load_u64_relaxed(mem + CHANNEL_OFF_WSC);
    channel_fence_acquire();
    if (channel_load_u64_relaxed(mem + CHANNEL_OFF_EPOCH) != epoch) {
        return CHANNEL_INACTIVE;
    }

    /* An incompatible epoch is remembered (elements 0) so reads answer without reloading. */
    r->epoch = epoch;
    if (r->element_size == 0u || r->mem_size < CHANNEL_HEADER_SIZE) {
        return CHANNEL_INCOMPATIBLE;
    }
    capacity = (r->mem_size - CHANNEL_HEADER_SIZE) / r->element_size;
    if (transport != CHANNEL_TRANSPORT_MARKER || protocol != r->protocol ||
        size != r->element_size || elements == 0u || elements > capacity) {
        return CHANNEL_INCOMPATIBLE;
    }
    r->elements = elements;
    reader_seek(r, (wsc > elements) ? wsc - elements : 0u);
    return CHANNEL_EPOCH_CHANGED;
}

/*
 * The writer may have overwritten element rc (channel_overwritten). Skip to the oldest
 * element it has not begun to overwrite, wsc - elements, and count what was skipped.
 * If the previous read was an overrun too, the writer is outpacing this reader and
 * starting at the oldest element would be overrun again at once, so leave half a ring
 * of slack instead. Where that target lies before a 2^64 wrap the writer has crossed
 * and slots jump there, start after the wrap. With an honest writer the skipped count
 * is positive (the overrun condition puts the target past rc); whatever the writer
 * wrote, lost saturates rather than wraps.
 */
static enum channel_result reader_overrun(struct channel_reader *r, uint64_t wsc)
{
    uint64_t elements = r->elements;
    uint64_t slack = r->overrun_last ? elements / 2u : 0u;
    uint64_t target = wsc - elements + slack;
    uint64_t skipped;

    if (target > wsc && (elements & (elements - 1u)) != 0u) {
        target = 0u;
    }
    skipped = target - r->rc;

    r->lost = (r->lost > UINT64_MAX - skipped) ? UINT64_MAX : r->lost + skipped;
    reader_seek(r, target);
    r->overrun_last = true;
    return CHANNEL_OVERRUN;
}

/*
 * Copy up to max elements (max >= 1) into dst and validate them all with one wsc load.
 * This is channel_read and channel_read_batch both; *count is set only on SUCCESS.
 */
static enum channel_result reader_copy(struct channel_reader *r, unsigned char *dst, uint64_t max,
                                       uint64_t *count)
{
    const unsigned char *mem = r->mem;
    uint64_t epoch = channel_load_u64_acquire(mem + CHANNEL_OFF_EPOCH);
    uint64_t elements;
    uint64_t size;
    uint64_t wc;
    uint64_t wsc;
    uint64_t pending;
    uint64_t take;
    uint64_t pos;
    uint64_t index;
    uint64_t i;

    if (epoch == CHANNEL_NULL_EPOCH || epoch != r->epoch) {
        return reader_sync(r);
    }
    if (!reader_is_synced(r)) {
        return CHANNEL_INCOMPATIBLE;
    }
    elements = r->elements;
    size = r->element_size;

    /* Acquire: the slots of every element below wc are visible once wc is. */
    wc = channel_load_u64_acquire(mem + CHANNEL_OFF_WC);
    pending = wc - r->rc;
    if (pending == 0u || pending >= CHANNEL_HALF_RANGE) {
        r->overrun_last = false;
        return CHANNEL_NO_DATA;
    }
    /* More pending than slots: the oldest is gone already, the wsc check below says so. */
    take = (pending > elements) ? 0u : pending;
    if (take > max) {
        take = max;
    }
    pos = reader_pos(r);
    index = r->rc;
    for (i = 0u; i < take; i++) {
        channel_copy_from_channel(dst + i * size, mem, channel_slot_offset(pos, size), size);
        index++;
        pos = channel_next_pos(pos, index, elements);
    }

    /* Acquire fence: if the copy saw any byte of an overwrite, these loads see its wsc. */
    channel_fence_acquire();
    wsc = channel_load_u64_relaxed(mem + CHANNEL_OFF_WSC);
    if (channel_load_u64_relaxed(mem + CHANNEL_OFF_EPOCH) != epoch) {
        return reader_sync(r);
    }
    if (channel_overwritten(r->rc, wsc, elements)) {
        return reader_overrun(r, wsc);
    }
    if (take == 0u) {
        /* wc says lapped but wsc says not: only a misbehaving writer does that. */
        r->overrun_last = false;
        return CHANNEL_NO_DATA;
    }
    r->rc = index;
    r->pos = pos;
    r->overrun_last = false;
    *count = take;
    return CHANNEL_SUCCESS;
}

enum channel_result channel_read(struct channel_reader *r, void *element)
{
    uint64_t count = 0u;

    if (r == NULL || r->mem == NULL || element == NULL) {
        return CHANNEL_INCOMPATIBLE;
    }
    return reader_copy(r, element, 1u, &count);
}

enum channel_result channel_read_batch(struct channel_reader *r, void *elements, size_t max,
                                       size_t *count)
{
    enum channel_result result;
    uint64_t copied = 0u;

    if (count != NULL) {
        *count = 0u;
    }
    if (r == NULL || r->mem == NULL || elements == NULL || count == NULL) {
        return CHANNEL_INCOMPATIBLE;
    }
    result = reader_copy(r, elements, max, &copied);
    *count = copied;
    return result;
}

void channel_drain(struct channel_reader *r)
{
    uint64_t wc;

    if (r == NULL || r->mem == NULL) {
        return;
    }
    /* Skipping "everything written so far" needs an epoch to count in. */
    if (channel_load_u64_acquire(r->mem + CHANNEL_OFF_EPOCH) != r->epoch) {
        (void)reader_sync(r);
    }
    if (!reader_is_synced(r)) {
        return;
    }
    wc = channel_load_u64_acquire(r->mem + CHANNEL_OFF_WC);
    reader_seek(r, wc);
    r->overrun_last = false;
}

bool channel_has_data(const struct channel_reader *r)
{
    uint64_t epoch;
    uint64_t pending;

    if (r == NULL || r->mem == NULL) {
        return false;
    }
    epoch = channel_load_u64_acquire(r->mem + CHANNEL_OFF_EPOCH);
    if (epoch != r->epoch) {
        /* Becoming inactive, or a new epoch to synchronise to, is worth a read. */
        return true;
    }
    if (!reader_is_synced(r)) {
        return false;
    }
    pending = channel_load_u64_acquire(r->mem + CHANNEL_OFF_WC) - r->rc;
    return pending != 0u && pending < CHANNEL_HALF_RANGE;
}

uint64_t channel_lost(const struct channel_reader *r)
{
    return (r == NULL) ? 0u : r->lost;
}
