/*
 * Private to libchannel/src: header field offsets, slot arithmetic and the payload copy
 * loops shared by the writer and the reader.
 *
 * The copies move bytes between private memory and channel memory with relaxed atomic
 * accesses only (8-byte words where the channel address is 8-byte aligned, single bytes
 * elsewhere), so a reader copying a slot the writer is overwriting races without
 * undefined behaviour; the reader finds out afterwards from wsc that the copy is torn.
 * They are written as plain loops, never as memcpy, so the freestanding objects need no
 * C library and no compiler turns them into a call. Everything here is static inline:
 * each object file stands alone.
 */
#ifndef CHANNEL_INTERNAL_H
#define CHANNEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel_atomic.h"
#include "libchannel.h"

/* Byte offsets of the header fields (SHMStream v2, docs/channel-protocol.md). */
enum {
    CHANNEL_OFF_TRANSPORT = 0,
    CHANNEL_OFF_EPOCH = 8,
    CHANNEL_OFF_PROTOCOL = 16,
    CHANNEL_OFF_SIZE = 24,
    CHANNEL_OFF_ELEMENTS = 32,
    CHANNEL_OFF_RESERVED = 40,
    CHANNEL_OFF_WSC = 48,
    CHANNEL_OFF_WC = 56,
};

/*
 * For the reader's rare paths (synchronising, overruns): kept out of line, so inlining
 * them does not crowd the registers and code of the read loop (measured: 15% on 64-byte
 * reads).
 */
#define CHANNEL_SLOW_PATH __attribute__((noinline))

/*
 * For what a one-element call's fast path hands on to (the 8-byte reader's refill, the
 * general copies): kept out of line so that the fast path itself is a leaf needing no
 * stack frame or saved registers (each push is a store, and stores queue behind the
 * channel stores that wait for their cache line).
 */
#define CHANNEL_OUT_OF_LINE __attribute__((noinline))

/* Channel memory must be aligned to this, so header fields are naturally aligned. */
#define CHANNEL_ALIGNMENT 8u

/* Counter distances above this mean "behind", not "ahead" (modular comparison). */
#define CHANNEL_HALF_RANGE 0x8000000000000000ULL

/*
 * What the init functions establish and every later call keeps, as ACSL predicates for
 * the proofs (proof/libchannel, docs/assurance.md). A reader's ring, whatever element
 * count it accepted, lies inside its own mapping, which it may read and which does not
 * overlap its struct; a writer's ring lies inside memory it may write.
 */
/*@ predicate channel_reader_ok(struct channel_reader *r) =
      \valid_read(r) &&
      CHANNEL_HEADER_SIZE <= r->mem_size && 1 <= r->element_size &&
      r->element_size <= r->mem_size - CHANNEL_HEADER_SIZE &&
      r->elements * r->element_size <= r->mem_size - CHANNEL_HEADER_SIZE &&
      \valid_read(r->mem + (0 .. r->mem_size - 1)) &&
      \separated(r, r->mem + (0 .. r->mem_size - 1));

    predicate channel_writer_ok(struct channel_writer *w) =
      \valid(w) &&
      (w->mem != \null ==>
        CHANNEL_HEADER_SIZE + w->elements * w->element_size <= UINT64_MAX &&
        \valid(w->mem + (0 .. CHANNEL_HEADER_SIZE + w->elements * w->element_size - 1)) &&
        \separated(w, w->mem + (0 .. CHANNEL_HEADER_SIZE + w->elements * w->element_size - 1)));

    predicate channel_reader_kept{L1, L2}(struct channel_reader *r) =
      \at(r->mem, L1) == \at(r->mem, L2) && \at(r->mem_size, L1) == \at(r->mem_size, L2) &&
      \at(r->element_size, L1) == \at(r->element_size, L2) &&
      \at(r->protocol, L1) == \at(r->protocol, L2);
*/

/*
 * The argument checks both init functions share, in the documented order. Returns 0 or
 * a CHANNEL_ERR_* value.
 */
/*@ assigns \nothing;
    ensures \result == 0 || \result == CHANNEL_ERR_NULL || \result == CHANNEL_ERR_ALIGN ||
            \result == CHANNEL_ERR_ELEMENT_SIZE || \result == CHANNEL_ERR_PROTOCOL ||
            \result == CHANNEL_ERR_TOO_SMALL;
    ensures \result == 0 ==> mem != \null && element_size >= 1 && protocol != 0 &&
            mem_size >= CHANNEL_HEADER_SIZE && mem_size - CHANNEL_HEADER_SIZE >= element_size;
*/
static inline int channel_check_layout(const void *mem, uint64_t mem_size, uint64_t protocol,
                                       uint64_t element_size)
{
    if (mem == NULL) {
        return CHANNEL_ERR_NULL;
    }
    if (((uintptr_t)mem % CHANNEL_ALIGNMENT) != 0u) {
        return CHANNEL_ERR_ALIGN;
    }
    if (element_size == 0u) {
        return CHANNEL_ERR_ELEMENT_SIZE;
    }
    if (protocol == 0u) {
        return CHANNEL_ERR_PROTOCOL;
    }
    if (mem_size < CHANNEL_HEADER_SIZE || mem_size - CHANNEL_HEADER_SIZE < element_size) {
        return CHANNEL_ERR_TOO_SMALL;
    }
    return 0;
}

/* Byte offset of slot pos; the caller guarantees pos < elements and a validated size. */
/*@ requires CHANNEL_HEADER_SIZE + pos * element_size <= UINT64_MAX;
    assigns \nothing;
    ensures \result == CHANNEL_HEADER_SIZE + pos * element_size;
*/
static inline uint64_t channel_slot_offset(uint64_t pos, uint64_t element_size)
{
    return CHANNEL_HEADER_SIZE + pos * element_size;
}

/*
 * Slot of the element after the one in slot pos, whose counter value is next_index.
 * Counters are modular: when one wraps past 2^64 to 0 its slot is 0 % elements = 0,
 * which differs from pos + 1 unless elements divides 2^64.
 */
/*@ requires pos < elements;
    assigns \nothing;
    ensures \result < elements;
*/
static inline uint64_t channel_next_pos(uint64_t pos, uint64_t next_index, uint64_t elements)
{
    uint64_t next = pos + 1u;

    if (next >= elements || next_index == 0u) {
        next = 0u;
    }
    return next;
}

/*
 * Whether the writer, having begun element wsc - 1, may have overwritten element rc.
 * Within a lap this is wsc - rc > elements (modular, so it holds across 2^64). At the
 * 2^64 wrap slot numbering jumps unless elements is a power of two (counter % elements
 * restarts at 0), so an element after the wrap can land in the slot of one just before
 * it: when the writer has begun an element past the wrap and rc is before it, the
 * reader assumes the worst.
 */
/*@ assigns \nothing; */
static inline bool channel_overwritten(uint64_t rc, uint64_t wsc, uint64_t elements)
{
    bool power_of_two = (elements & (elements - 1u)) == 0u;

    return wsc - rc > elements || (!power_of_two && wsc != 0u && wsc < rc);
}

/*
 * Little-endian 8 bytes of private memory as a word. Spelt out rather than looped (or
 * memcpy'd): gcc and clang both turn exactly this shape into one unaligned load, with
 * no aliasing question and no library call.
 */
/*@ requires \valid_read(src + (0 .. 7));
    assigns \nothing;
*/
static inline uint64_t channel_get_le64(const unsigned char *src)
{
    return (uint64_t)src[0] | (uint64_t)src[1] << 8 | (uint64_t)src[2] << 16 |
           (uint64_t)src[3] << 24 | (uint64_t)src[4] << 32 | (uint64_t)src[5] << 40 |
           (uint64_t)src[6] << 48 | (uint64_t)src[7] << 56;
}

/* A word into 8 bytes of private memory, little-endian (merged into one store). */
/*@ requires \valid(dst + (0 .. 7));
    assigns dst[0 .. 7];
*/
static inline void channel_put_le64(unsigned char *dst, uint64_t value)
{
    dst[0] = (unsigned char)value;
    dst[1] = (unsigned char)(value >> 8);
    dst[2] = (unsigned char)(value >> 16);
    dst[3] = (unsigned char)(value >> 24);
    dst[4] = (unsigned char)(value >> 32);
    dst[5] = (unsigned char)(value >> 40);
    dst[6] = (unsigned char)(value >> 48);
    dst[7] = (unsigned char)(value >> 56);
}

/*
 * The three copy loops walk the channel-side byte offset j from offset up to end (the
 * slot's first byte and one past its last), never a length: each loop's condition
 * bounds j by end itself, so an analyser that knows end <= mem_size knows every access
 * is inside the mapping (docs/architecture.md, "Code shapes for the proofs").
 */

/* Copy channel bytes [offset, end) from private src into channel memory at mem. */
/*@ requires CHANNEL_ALIGNMENT <= offset <= end;
    requires \valid(mem + (offset .. end - 1));
    requires \valid_read(src + (0 .. end - offset - 1));
    assigns mem[offset .. end - 1];
*/
static inline void channel_copy_to_channel(unsigned char *mem, uint64_t offset, uint64_t end,
                                           const unsigned char *src)
{
    uint64_t j = offset;

    /*@ loop invariant offset <= j <= end;
        loop assigns j, mem[offset .. end - 1];
        loop variant end - j; */
    while (j < end && (j % CHANNEL_ALIGNMENT) != 0u) {
        channel_store_u8_relaxed(mem + j, src[j - offset]);
        j++;
    }
    /*@ loop invariant offset <= j <= end;
        loop assigns j, mem[offset .. end - 1];
        loop variant end - j; */
    while (j <= end - 8u) {
        channel_store_u64_relaxed(mem + j, channel_get_le64(src + (j - offset)));
        j += 8u;
    }
    /*@ loop invariant offset <= j <= end;
        loop assigns j, mem[offset .. end - 1];
        loop variant end - j; */
    while (j < end) {
        channel_store_u8_relaxed(mem + j, src[j - offset]);
        j++;
    }
}

/* Copy channel bytes [offset, end) of channel memory at mem into private dst. */
/*@ requires CHANNEL_ALIGNMENT <= offset <= end;
    requires \valid_read(mem + (offset .. end - 1));
    requires \valid(dst + (0 .. end - offset - 1));
    assigns dst[0 .. end - offset - 1];
*/
static inline void channel_copy_from_channel(unsigned char *dst, const unsigned char *mem,
                                             uint64_t offset, uint64_t end)
{
    uint64_t j = offset;

    /*@ loop invariant offset <= j <= end;
        loop assigns j, dst[0 .. end - offset - 1];
        loop variant end - j; */
    while (j < end && (j % CHANNEL_ALIGNMENT) != 0u) {
        dst[j - offset] = channel_load_u8_relaxed(mem + j);
        j++;
    }
    /*@ loop invariant offset <= j <= end;
        loop assigns j, dst[0 .. end - offset - 1];
        loop variant end - j; */
    while (j <= end - 8u) {
        channel_put_le64(dst + (j - offset), channel_load_u64_relaxed(mem + j));
        j += 8u;
    }
    /*@ loop invariant offset <= j <= end;
        loop assigns j, dst[0 .. end - offset - 1];
        loop variant end - j; */
    while (j < end) {
        dst[j - offset] = channel_load_u8_relaxed(mem + j);
        j++;
    }
}

/* Zero channel bytes [offset, end) of channel memory at mem. */
/*@ requires CHANNEL_ALIGNMENT <= offset <= end;
    requires \valid(mem + (offset .. end - 1));
    assigns mem[offset .. end - 1];
*/
static inline void channel_zero_channel(unsigned char *mem, uint64_t offset, uint64_t end)
{
    uint64_t j = offset;

    /*@ loop invariant offset <= j <= end;
        loop assigns j, mem[offset .. end - 1];
        loop variant end - j; */
    while (j < end && (j % CHANNEL_ALIGNMENT) != 0u) {
        channel_store_u8_relaxed(mem + j, 0u);
        j++;
    }
    /*@ loop invariant offset <= j <= end;
        loop assigns j, mem[offset .. end - 1];
        loop variant end - j; */
    while (j <= end - 8u) {
        channel_store_u64_relaxed(mem + j, 0u);
        j += 8u;
    }
    /*@ loop invariant offset <= j <= end;
        loop assigns j, mem[offset .. end - 1];
        loop variant end - j; */
    while (j < end) {
        channel_store_u8_relaxed(mem + j, 0u);
        j++;
    }
}

#endif /* CHANNEL_INTERNAL_H */
