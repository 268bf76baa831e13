/*
 * linux-bridge: the element both sides stream, for the native subject (freestanding) and
 * the Linux program on the host alike. 64 bytes: a sequence number counting from 0, a
 * flag on the last element, a payload derived from the sequence number and a checksum
 * over all of it, so a reader tells intact, lost and corrupt elements apart.
 */
#ifndef BRIDGE_COMMON_H
#define BRIDGE_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#define BRIDGE_PROTOCOL    0x62726467u /* "brdg" */
#define BRIDGE_UP          "host.up"   /* the host writes, the native subject reads */
#define BRIDGE_DOWN        "host.down" /* the native subject writes, the host reads */
#define BRIDGE_FLAG_END    1u          /* the writer's last element */
#define BRIDGE_DOWN_COUNT  3000u       /* elements the native subject sends */
#define BRIDGE_PAYLOAD_WORDS 5u

struct bridge_element {
    uint64_t seq;
    uint64_t flags;
    uint64_t payload[BRIDGE_PAYLOAD_WORDS];
    uint64_t check;
};

_Static_assert(sizeof(struct bridge_element) == 64, "one 64-byte element");

/* FNV-1a over the words before the checksum. */
static inline uint64_t bridge_checksum(const struct bridge_element *e)
{
    uint64_t c = 0xcbf29ce484222325u;
    c = (c ^ e->seq) * 0x100000001b3u;
    c = (c ^ e->flags) * 0x100000001b3u;
    for (unsigned i = 0; i < BRIDGE_PAYLOAD_WORDS; i++) {
        c = (c ^ e->payload[i]) * 0x100000001b3u;
    }
    return c;
}

static inline void bridge_make(struct bridge_element *e, uint64_t seq, bool last)
{
    e->seq = seq;
    e->flags = last ? BRIDGE_FLAG_END : 0u;
    for (unsigned i = 0; i < BRIDGE_PAYLOAD_WORDS; i++) {
        e->payload[i] = seq * 0x9e3779b97f4a7c15u + i;
    }
    e->check = bridge_checksum(e);
}

/* The checksum and the payload both match the sequence number. */
static inline bool bridge_intact(const struct bridge_element *e)
{
    if (e->check != bridge_checksum(e)) {
        return false;
    }
    for (unsigned i = 0; i < BRIDGE_PAYLOAD_WORDS; i++) {
        if (e->payload[i] != e->seq * 0x9e3779b97f4a7c15u + i) {
            return false;
        }
    }
    return true;
}

/* What a reader saw of one stream. */
struct bridge_tally {
    uint64_t received;   /* intact elements */
    uint64_t corrupt;    /* bad checksum or payload */
    uint64_t miscounted; /* a sequence number other than the reader's count says */
    uint64_t joined_at;  /* where the reader started: elements before it were gone before
                          * it synchronised (not losses) */
    uint64_t total;      /* the writer's count, from its last element; 0 until then */
};

/*
 * Count one element a read returned as CHANNEL_SUCCESS, with the reader's lost counter
 * (channel_lost) at that moment. Every element before it was either received or counted
 * as lost, so its sequence number must be joined_at + received + lost, exactly.
 */
static inline void bridge_count(struct bridge_tally *t, const struct bridge_element *e,
                                uint64_t lost)
{
    if (!bridge_intact(e)) {
        t->corrupt++;
        return;
    }
    if (t->received == 0u && t->miscounted == 0u) {
        t->joined_at = e->seq >= lost ? e->seq - lost : 0u;
    }
    if (e->seq != t->joined_at + t->received + lost) {
        t->miscounted++;
    }
    t->received++;
    if ((e->flags & BRIDGE_FLAG_END) != 0u) {
        t->total = e->seq + 1u;
    }
}

/* Every element accounted for: what the writer wrote = those gone before the reader
 * joined + received + lost, and each loss reported where it happened. */
static inline bool bridge_tally_ok(const struct bridge_tally *t, uint64_t lost)
{
    return t->total != 0u && t->corrupt == 0u && t->miscounted == 0u &&
           t->joined_at + t->received + lost == t->total;
}

#endif /* BRIDGE_COMMON_H */
