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

/* Channel memory must be aligned to this, so header fields are naturally aligned. */
#define CHANNEL_ALIGNMENT 8u

/* Counter distances above this mean "behind", not "ahead" (modular comparison). */
#define CHANNEL_HALF_RANGE 0x8000000000000000ULL

/*
 * The argument checks both init functions share, in the documented order. Returns 0 or
 * a CHANNEL_ERR_* value.
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
static inline uint64_t channel_slot_offset(uint64_t pos, uint64_t element_size)
{
    return CHANNEL_HEADER_SIZE + pos * element_size;
}

/*
 * Slot of the element after the one in slot pos, whose counter value is next_index.
 * Counters are modular: when one wraps past 2^64 to 0 its slot is 0 % elements = 0,
 * which differs from pos + 1 unless elements divides 2^64.
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
static inline uint64_t channel_get_le64(const unsigned char *src)
{
    return (uint64_t)src[0] | (uint64_t)src[1] << 8 | (uint64_t)src[2] << 16 |
           (uint64_t)src[3] << 24 | (uint64_t)src[4] << 32 | (uint64_t)src[5] << 40 |
           (uint64_t)src[6] << 48 | (uint64_t)src[7] << 56;
}

/* A word into 8 bytes of private memory, little-endian (merged into one store). */
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

/* Copy size bytes from private src into channel memory at mem + offset. */
static inline void channel_copy_to_channel(unsigned char *mem, uint64_t offset,
                                           const unsigned char *src, uint64_t size)
{
    uint64_t i = 0u;

    while (i < size && ((offset + i) % CHANNEL_ALIGNMENT) != 0u) {
        channel_store_u8_relaxed(mem + offset + i, src[i]);
        i++;
    }
    while (size - i >= 8u) {
        channel_store_u64_relaxed(mem + offset + i, channel_get_le64(src + i));
        i += 8u;
    }
    while (i < size) {
        channel_store_u8_relaxed(mem + offset + i, src[i]);
        i++;
    }
}

/* Copy size bytes from channel memory at mem + offset into private dst. */
static inline void channel_copy_from_channel(unsigned char *dst, const unsigned char *mem,
                                             uint64_t offset, uint64_t size)
{
    uint64_t i = 0u;

    while (i < size && ((offset + i) % CHANNEL_ALIGNMENT) != 0u) {
        dst[i] = channel_load_u8_relaxed(mem + offset + i);
        i++;
    }
    while (size - i >= 8u) {
        channel_put_le64(dst + i, channel_load_u64_relaxed(mem + offset + i));
        i += 8u;
    }
    while (i < size) {
        dst[i] = channel_load_u8_relaxed(mem + offset + i);
        i++;
    }
}

/* Zero size bytes of channel memory at mem + offset. */
static inline void channel_zero_channel(unsigned char *mem, uint64_t offset, uint64_t size)
{
    uint64_t i = 0u;

    while (i < size && ((offset + i) % CHANNEL_ALIGNMENT) != 0u) {
        channel_store_u8_relaxed(mem + offset + i, 0u);
        i++;
    }
    while (size - i >= 8u) {
        channel_store_u64_relaxed(mem + offset + i, 0u);
        i += 8u;
    }
    while (i < size) {
        channel_store_u8_relaxed(mem + offset + i, 0u);
        i++;
    }
}

#endif /* CHANNEL_INTERNAL_H */
