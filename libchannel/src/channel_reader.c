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

/*@ requires r == \null || \valid(r);
    requires mem != \null ==> \valid_read((const unsigned char *)mem + (0 .. mem_size - 1));
    requires r != \null && mem != \null ==>
             \separated(r, (const unsigned char *)mem + (0 .. mem_size - 1));
    assigns *r;
    ensures \result == 0 ==> channel_reader_ok(r) && r->mem == mem && r->mem_size == mem_size &&
            r->element_size == element_size && r->protocol == protocol && r->elements == 0;
*/
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
    r->wc_seen = 0u;
    r->overrun_last = false;
    r->ahead_count = 0u;
    /*@ loop invariant 0 <= k <= CHANNEL_READ_AHEAD;
        loop assigns k, r->ahead[0 .. CHANNEL_READ_AHEAD - 1];
        loop variant CHANNEL_READ_AHEAD - k; */
    for (uint64_t k = 0u; k < CHANNEL_READ_AHEAD; k++) {
        r->ahead[k] = 0u;
    }
    return 0;
}

/* The reader is synchronised to a compatible epoch and may touch slots. */
/*@ requires \valid_read(r);
    assigns \nothing;
    ensures \result <==> (r->epoch != CHANNEL_NULL_EPOCH && r->elements != 0);
*/
static bool reader_is_synced(const struct channel_reader *r)
{
    return r->epoch != CHANNEL_NULL_EPOCH && r->elements != 0u;
}

/* Forget the epoch: the next read synchronises afresh. */
/*@ requires \valid(r);
    assigns r->epoch, r->elements, r->overrun_last, r->ahead_count;
    ensures r->epoch == CHANNEL_NULL_EPOCH && r->elements == 0;
*/
static void reader_unsync(struct channel_reader *r)
{
    r->epoch = CHANNEL_NULL_EPOCH;
    r->elements = 0u;
    r->overrun_last = false;
    r->ahead_count = 0u;
}

/*
 * Move to counter value rc, keeping the cached slot consistent with it; wc unknown.
 * Nothing is read ahead when a read gets here (a read refills only once all is handed
 * out); channel_drain drops what is.
 */
/*@ requires \valid(r) && r->elements != 0;
    assigns r->rc, r->pos, r->wc_seen;
    ensures r->rc == rc && r->pos < r->elements;
*/
static void reader_seek(struct channel_reader *r, uint64_t rc)
{
    r->rc = rc;
    r->pos = rc % r->elements;
    r->wc_seen = rc;
}

/*
 * How many elements read ahead are waiting to be handed out: r->ahead_count when it is
 * 1 to CHANNEL_READ_AHEAD, else 0 (the library never stores more; the check makes any
 * value of the field safe to use as an index).
 */
/*@ requires \valid_read(r);
    assigns \nothing;
    ensures \result <= CHANNEL_READ_AHEAD;
*/
static uint64_t reader_ahead(const struct channel_reader *r)
{
    uint64_t n = r->ahead_count;

    return (n - 1u < CHANNEL_READ_AHEAD) ? n : 0u;
}

/* Slot of r->rc: the cached position, recomputed if it is out of range. */
/*@ requires \valid_read(r) && r->elements != 0;
    assigns \nothing;
    ensures \result < r->elements;
*/
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
/*@ requires \valid(r) && channel_reader_ok(r);
    assigns *r;
    ensures channel_reader_ok(r);
    ensures channel_reader_kept{Pre, Post}(r);
    ensures \result != CHANNEL_SUCCESS;
*/
CHANNEL_SLOW_PATH static enum channel_result reader_sync(struct channel_reader *r)
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
    /*@ assert capacity * r->element_size <= r->mem_size - CHANNEL_HEADER_SIZE; */
    /*@ assert elements * r->element_size <= capacity * r->element_size; */
    r->elements = elements;
    reader_seek(r, (wsc > elements) ? wsc - elements : 0u);
    return CHANNEL_EPOCH_CHANGED;
}

/* Looks at wsc after an overrun, beyond one per element byte, that tell a busy writer. */
#define READER_IDLE_LOOKS 4096u

/*
 * Whether the writer seems to be away: wc is what it was before this read's copy
 * (wc_before) and wsc does not move for READER_IDLE_LOOKS + element_size more loads,
 * longer than a writer takes to store one element. A writer that writes without pause
 * moves them in that time; one that is descheduled, or waits for its next frame on this
 * reader's CPU, does not. Bounded by the reader's own element size.
 */
/*@ requires channel_reader_ok(r);
    assigns \nothing;
*/
static bool reader_writer_idle(const struct channel_reader *r, uint64_t wsc, uint64_t wc,
                               uint64_t wc_before)
{
    uint64_t looks = READER_IDLE_LOOKS + r->element_size;
    uint64_t i;

    if (wc != wc_before) {
        return false;
    }
    /*@ loop invariant 0 <= i <= looks;
        loop assigns i;
        loop variant looks - i; */
    for (i = 0u; i < looks; i++) {
        if (channel_load_u64_relaxed(r->mem + CHANNEL_OFF_WSC) != wsc) {
            return false;
        }
    }
    return true;
}

/*
 * The writer may have overwritten element rc (channel_overwritten). Where to resume:
 * - While the writer is at work, at its write counter wc as loaded now, where Muen's
 *   reader resumes: the writer has to begin a whole ring of elements before it
 *   overwrites that one, so a reader outpaced by a writer that never pauses delivers for
 *   as long as it can before its next overrun. (The oldest element not yet begun,
 *   wsc - elements, is the one such a writer overwrites next.)
 * - While it is away (reader_writer_idle), and unless the previous read was an overrun
 *   too, at that oldest element: the ring's contents are intact and the reader gets
 *   them, as a reader sharing its CPU with the writer (or woken after a burst) must.
 * wc is used only where it lies after the oldest element and not after wsc as loaded
 * after it (wsc_now), as seen from rc; otherwise (a batch longer than the ring in
 * flight, or a hostile writer) the reader resumes at the oldest. Where the target lies
 * before a 2^64 wrap the writer has crossed and slots jump there, start after the wrap.
 * With an honest writer the skipped count is positive (the overrun condition puts the
 * oldest past rc); whatever the writer wrote, lost saturates rather than wraps.
 */
/*@ requires \valid(r) && channel_reader_ok(r) && r->elements != 0;
    assigns r->lost, r->rc, r->pos, r->wc_seen, r->overrun_last;
    ensures \result == CHANNEL_OVERRUN;
*/
CHANNEL_SLOW_PATH static enum channel_result reader_overrun(struct channel_reader *r,
                                                            uint64_t wsc, uint64_t wc_before)
{
    uint64_t elements = r->elements;
    uint64_t wc = channel_load_u64_relaxed(r->mem + CHANNEL_OFF_WC);
    uint64_t wsc_now = channel_load_u64_relaxed(r->mem + CHANNEL_OFF_WSC);
    uint64_t target = wsc - elements;
    uint64_t skipped;

    if (wc - r->rc > target - r->rc && wc - r->rc <= wsc_now - r->rc &&
        (r->overrun_last || !reader_writer_idle(r, wsc, wc, wc_before))) {
        target = wc;
    }
    if (target > wsc_now && (elements & (elements - 1u)) != 0u) {
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
 * Every slot copied is checked (by the proof, not at run time) to end inside the mapping:
 * that is what the element count reader_sync accepted guarantees.
 */
/*@ requires \valid(r) && channel_reader_ok(r);
    requires \valid(dst + (0 .. max * r->element_size - 1));
    requires \valid(count);
    requires \separated(dst + (0 .. max * r->element_size - 1), r, count);
    requires \separated(count, r);
    assigns *r, *count, dst[0 .. max * r->element_size - 1];
    ensures channel_reader_ok(r);
    ensures channel_reader_kept{Pre, Post}(r);
    ensures \result == CHANNEL_SUCCESS ==> 1 <= *count <= max;
    ensures \result != CHANNEL_SUCCESS ==> *count == \old(*count);
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
    /*@ loop invariant 0 <= i <= take && pos < elements;
        loop assigns i, index, pos, dst[0 .. max * size - 1];
        loop variant take - i; */
    for (i = 0u; i < take; i++) {
        uint64_t offset = channel_slot_offset(pos, size);
        uint64_t end = offset + size;

        /*@ assert end <= r->mem_size; */
        /*@ assert i * size + size <= max * size; */
        channel_copy_from_channel(dst + i * size, mem, offset, end);
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
        return reader_overrun(r, wsc, wc);
    }
    if (take == 0u) {
        /* wc says lapped but wsc says not: only a misbehaving writer does that. */
        r->overrun_last = false;
        return CHANNEL_NO_DATA;
    }
    r->rc = index;
    r->pos = pos;
    r->wc_seen = wc;
    r->overrun_last = false;
    *count = take;
    return CHANNEL_SUCCESS;
}

/*
 * After a successful read-ahead of take elements: the first is the caller's, the rest
 * wait read ahead; pos is the slot of the next element and wc the write counter just
 * loaded. (Its own function so that the proof of what it keeps is a small one.)
 */
/*@ requires \valid(r) && channel_reader_ok(r);
    requires 1 <= take <= CHANNEL_READ_AHEAD;
    assigns r->ahead_count, r->rc, r->pos, r->wc_seen, r->overrun_last;
    ensures channel_reader_ok(r) && channel_reader_kept{Pre, Post}(r);
*/
static void reader_advance(struct channel_reader *r, uint64_t take, uint64_t pos, uint64_t wc)
{
    r->ahead_count = take - 1u;
    r->rc += take;
    r->pos = pos;
    r->wc_seen = wc;
    r->overrun_last = false;
}

/* channel_read of one element of any size, by the general path. */
/*@ requires \valid(r) && channel_reader_ok(r);
    requires \valid(dst + (0 .. r->element_size - 1));
    requires \separated(dst + (0 .. r->element_size - 1), r);
    assigns *r, dst[0 .. r->element_size - 1];
    ensures channel_reader_ok(r);
    ensures channel_reader_kept{Pre, Post}(r);
*/
CHANNEL_OUT_OF_LINE static enum channel_result reader_read_one(struct channel_reader *r,
                                                               unsigned char *dst)
{
    uint64_t count = 0u;

    return reader_copy(r, dst, 1u, &count);
}

/* 8-byte slots per 64-byte cache line, counted from the channel's start. */
#define READER_LINE_SLOTS 8u

/* How long a reader at its writer's heels lets it fill its line: pause instructions. */
#define READER_HEELS_PAUSES 16u

/*
 * Whether the pending elements, from slot pos on, all lie in the line that holds the
 * writer's next slot, short of its end: the line the writer is filling. Lines are
 * counted from the channel's start (it is page-aligned in practice; if it is not, this
 * only guesses wrong, nothing else depends on it).
 */
/*@ assigns \nothing;
    ensures \result ==> pending < READER_LINE_SLOTS;
*/
static bool reader_in_writer_line(uint64_t pos, uint64_t pending)
{
    return pending < READER_LINE_SLOTS - pos % READER_LINE_SLOTS;
}

/*
 * A reader at its writer's heels while the writer is writing: every look at the slots'
 * line the writer is filling takes the line from the writer's CPU, and its next store
 * there must take it back. So first let the writer get on, without touching the channel
 * (READER_HEELS_PAUSES pause instructions, about 0.4 us on the machine measured, far
 * below a cache-line hand-over's cost to the writer there), then load wc once more.
 * Returns that wc if it says 1 to elements elements are pending from rc, else wc as
 * before (still published: elements are never unpublished within an epoch, and the
 * epoch check after the copy catches a re-initialisation).
 */
/*@ requires channel_reader_ok(r) && r->elements != 0;
    assigns \nothing;
    ensures \result == wc || \result - rc - 1 < r->elements;
*/
static uint64_t reader_let_writer_fill(const struct channel_reader *r, uint64_t rc, uint64_t wc)
{
    uint64_t later;
    uint64_t i;

    /*@ loop invariant 0 <= i <= READER_HEELS_PAUSES;
        loop assigns i;
        loop variant READER_HEELS_PAUSES - i; */
    for (i = 0u; i < READER_HEELS_PAUSES; i++) {
        channel_pause();
    }
    later = channel_load_u64_acquire(r->mem + CHANNEL_OFF_WC);
    return (later - rc - 1u < r->elements) ? later : wc;
}

/*
 * channel_read of an 8-byte element when nothing read ahead is left: the same protocol
 * as reader_copy in fewer steps, copying ahead. Elements [rc, wc_seen) are known to be
 * published (wc_seen is a write counter loaded with acquire in this epoch), so while the
 * reader trails the writer it copies at once and touches the header only after the
 * copy: wsc and epoch, as always, and wc for the next call, all on one cache line. It
 * copies the known-published elements from rc on, up to CHANNEL_READ_AHEAD of them (256
 * bytes of slots) and not past the ring's last slot, with one relaxed 8-byte load each
 * (slots are 8-byte aligned: 64 + pos * 8), and validates them all with the one wsc
 * check, as a batch read does. The first goes to the caller; the others wait in
 * r->ahead and the next reads hand them out without touching the channel.
 * When the writer is writing (it published more while the last copy was being
 * validated) and what is pending lies in the line it is filling, the reader lets it
 * fill that line first (reader_let_writer_fill): at most READER_HEELS_PAUSES pauses,
 * once per copy, and only then; an element published after a pause of the writer is
 * copied at once.
 * Everything that is not "intact elements" or a new epoch (no data, lapped, overrun, a
 * reader not synchronised) goes to reader_copy, which loads the header again and decides
 * as before. Out of line, so that channel_read's hand-out path needs no stack frame.
 *
 * Skipping reader_copy's first epoch load is safe: the slot offsets come from the
 * reader's own validated state, so a stale epoch can at worst make it copy slots of the
 * old layout, inside the mapping; and the epoch loaded after the acquire fence differs
 * from the reader's if a copy (or wc) saw anything a re-initialisation wrote
 * (docs/channel-protocol.md, "Memory ordering"), so such copies are never delivered.
 */
/*@ requires \valid(r) && channel_reader_ok(r);
    requires r->element_size == 8;
    requires \valid(dst + (0 .. 7));
    requires \separated(dst + (0 .. 7), r);
    assigns *r, dst[0 .. 7];
    ensures channel_reader_ok(r);
    ensures channel_reader_kept{Pre, Post}(r);
*/
CHANNEL_OUT_OF_LINE static enum channel_result reader_read_word(struct channel_reader *r,
                                                                unsigned char *dst)
{
    const unsigned char *mem = r->mem;
    uint64_t elements = r->elements;
    uint64_t rc = r->rc;
    uint64_t wc = r->wc_seen;
    uint64_t pos = r->pos;
    uint64_t take;
    uint64_t first;
    uint64_t k;
    uint64_t wsc;
    /* wc as loaded after the last copy is past it: the writer published meanwhile. */
    bool writing = wc != rc;

    if (!reader_is_synced(r)) {
        return reader_read_one(r, dst);
    }
    /* pending - 1 < elements: 1 to elements elements pending (modulo 2^64). */
    if (wc - rc - 1u >= elements) {
        wc = channel_load_u64_acquire(mem + CHANNEL_OFF_WC);
        if (wc - rc - 1u >= elements) {
            return reader_read_one(r, dst);
        }
    }
    if (pos >= elements) {
        pos = rc % elements;
    }
    if (writing && reader_in_writer_line(pos, wc - rc)) {
        wc = reader_let_writer_fill(r, rc, wc);
    }
    /*
     * The pending elements in consecutive slots, at most CHANNEL_READ_AHEAD and not past
     * the ring's last slot. (Nor past the 2^64 wrap, where slot numbering jumps unless
     * elements divides 2^64: a writer past the wrap makes this read an overrun,
     * channel_overwritten, and on a power-of-two ring the wrap is at the ring's end.)
     * Not stopped at a cache-line boundary: a reader at its writer's heels that took a
     * few would otherwise be held to the rest of that line on its next copy.
     */
    take = wc - rc;
    if (take > CHANNEL_READ_AHEAD) {
        take = CHANNEL_READ_AHEAD;
    }
    if (take > elements - pos) {
        take = elements - pos;
    }
    if (take == 0u) {
        /* Not reached (pos < elements and one is pending); says so to the analysers. */
        return reader_read_one(r, dst);
    }
    /* Element rc + j goes to r->ahead[first + j]: the last take entries. */
    /*@ assert 1 <= take <= CHANNEL_READ_AHEAD && take <= elements - pos; */
    first = CHANNEL_READ_AHEAD - take;
    /*@ loop invariant first <= k <= CHANNEL_READ_AHEAD;
        loop invariant channel_reader_ok(r) && channel_reader_kept{Pre, Here}(r);
        loop invariant r->elements == elements;
        loop assigns k, r->ahead[first .. CHANNEL_READ_AHEAD - 1];
        loop variant CHANNEL_READ_AHEAD - k; */
    for (k = first; k < CHANNEL_READ_AHEAD; k++) {
        /*@ assert (pos + (k - first)) * 8 + 8 <= elements * 8 <= r->mem_size - CHANNEL_HEADER_SIZE; */
        r->ahead[k] = channel_load_u64_relaxed(mem + channel_slot_offset(pos + (k - first), 8u));
    }

    /* Acquire fence: if a copy saw any byte of an overwrite, these loads see its wsc. */
    channel_fence_acquire();
    wsc = channel_load_u64_relaxed(mem + CHANNEL_OFF_WSC);
    if (channel_load_u64_relaxed(mem + CHANNEL_OFF_EPOCH) != r->epoch) {
        return reader_sync(r);
    }
    /* Element rc intact implies every later one copied is (the writer overwrites in order). */
    if (channel_overwritten(rc, wsc, elements)) {
        /* reader_copy sees it too (wsc only grows) and decides with fresh counters. */
        return reader_read_one(r, dst);
    }
    channel_put_le64(dst, r->ahead[first]);
    reader_advance(r, take, channel_next_pos(pos + take - 1u, rc + take, elements),
                   channel_load_u64_acquire(mem + CHANNEL_OFF_WC));
    return CHANNEL_SUCCESS;
}

/*
 * Hand out up to max elements read ahead into dst (8 bytes each); returns how many.
 * They were validated when they were copied, and the reader's counters already count
 * them, so nothing about the channel is looked at.
 */
/*@ requires \valid(r) && channel_reader_ok(r);
    requires \valid(dst + (0 .. max * 8 - 1));
    requires \separated(dst + (0 .. max * 8 - 1), r);
    assigns r->ahead_count, dst[0 .. max * 8 - 1];
    ensures channel_reader_ok(r);
    ensures channel_reader_kept{Pre, Post}(r);
    ensures \result <= max && \result <= CHANNEL_READ_AHEAD;
*/
static uint64_t reader_hand_out(struct channel_reader *r, unsigned char *dst, uint64_t max)
{
    uint64_t n = reader_ahead(r);
    uint64_t take = (n < max) ? n : max;
    uint64_t i;

    /*@ loop invariant 0 <= i <= take;
        loop assigns i, dst[0 .. max * 8 - 1];
        loop variant take - i; */
    for (i = 0u; i < take; i++) {
        /*@ assert i * 8 + 8 <= max * 8; */
        channel_put_le64(dst + i * 8u, r->ahead[CHANNEL_READ_AHEAD - n + i]);
    }
    r->ahead_count = n - take;
    return take;
}

/*@ requires r == \null || (\valid(r) && channel_reader_ok(r));
    requires r != \null && element != \null ==>
             \valid((unsigned char *)element + (0 .. r->element_size - 1)) &&
             \separated((unsigned char *)element + (0 .. r->element_size - 1), r);
    assigns *r, ((unsigned char *)element)[0 .. r->element_size - 1];
    ensures r != \null ==> channel_reader_ok(r) && channel_reader_kept{Pre, Post}(r);
*/
enum channel_result channel_read(struct channel_reader *r, void *element)
{
    uint64_t n;
    uint64_t next;

    if (r == NULL || r->mem == NULL || element == NULL) {
        return CHANNEL_INCOMPATIBLE;
    }
    if (r->element_size != 8u) {
        return reader_read_one(r, element);
    }
    /*
     * An element read ahead: validated when it was copied, so the channel is not touched.
     * n is 1 to CHANNEL_READ_AHEAD exactly when next (modulo 2^64) is a valid index: the
     * test is the index bound itself, as easy for the provers as for the CPU.
     */
    n = r->ahead_count;
    next = CHANNEL_READ_AHEAD - n;
    if (next < CHANNEL_READ_AHEAD) {
        channel_put_le64(element, r->ahead[next]);
        r->ahead_count = n - 1u;
        return CHANNEL_SUCCESS;
    }
    return reader_read_word(r, element);
}

/*@ requires r == \null || (\valid(r) && channel_reader_ok(r));
    requires count == \null || \valid(count);
    requires r != \null && count != \null ==> \separated(count, r);
    requires r != \null && elements != \null ==>
             \valid((unsigned char *)elements + (0 .. max * r->element_size - 1)) &&
             \separated((unsigned char *)elements + (0 .. max * r->element_size - 1), r);
    requires r != \null && elements != \null && count != \null ==>
             \separated((unsigned char *)elements + (0 .. max * r->element_size - 1), count);
    assigns *r, *count, ((unsigned char *)elements)[0 .. max * r->element_size - 1];
    ensures r != \null ==> channel_reader_ok(r) && channel_reader_kept{Pre, Post}(r);
    ensures count != \null ==> *count <= max;
*/
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
    /* Elements read ahead by channel_read come first; the channel is read on the next call. */
    if (r->element_size == 8u && max != 0u) {
        copied = reader_hand_out(r, elements, max);
        if (copied != 0u) {
            *count = copied;
            return CHANNEL_SUCCESS;
        }
    }
    result = reader_copy(r, elements, max, &copied);
    *count = copied;
    return result;
}

/*@ requires r == \null || (\valid(r) && channel_reader_ok(r));
    assigns *r;
    ensures r != \null ==> channel_reader_ok(r) && channel_reader_kept{Pre, Post}(r);
*/
void channel_drain(struct channel_reader *r)
{
    uint64_t wc;

    if (r == NULL || r->mem == NULL) {
        return;
    }
    /* Elements read ahead are part of what is skipped. */
    r->ahead_count = 0u;
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

/*@ requires r == \null || channel_reader_ok(r);
    assigns \nothing;
*/
bool channel_has_data(const struct channel_reader *r)
{
    uint64_t epoch;
    uint64_t pending;

    if (r == NULL || r->mem == NULL) {
        return false;
    }
    if (reader_ahead(r) != 0u) {
        return true;
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

/*@ requires r == \null || \valid_read(r);
    assigns \nothing;
*/
uint64_t channel_lost(const struct channel_reader *r)
{
    return (r == NULL) ? 0u : r->lost;
}
