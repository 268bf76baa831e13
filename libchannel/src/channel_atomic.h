/*
 * The only place libchannel touches C11 atomics. Every access to channel memory (header
 * fields and payload) goes through these few functions (and the spin-wait hint is here
 * too), so that the memory-ordering
 * argument of docs/channel-protocol.md can be checked against one short file, and so
 * that static analysers (Frama-C, where __FRAMAC__ is defined) see simple volatile
 * accesses instead of <stdatomic.h> machinery.
 *
 * Loads never store: they compile to plain moves on x86-64, so readers work on
 * PROT_READ mappings. Pointers passed here must be aligned to the access width.
 *
 * Under Frama-C each access carries an ACSL contract: the bytes it may touch and that a
 * load changes nothing. WP takes these contracts as the primitives' specification
 * (proof/libchannel skips their bodies); EVA analyses the volatile bodies themselves.
 */
#ifndef CHANNEL_ATOMIC_H
#define CHANNEL_ATOMIC_H

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "libchannel assumes a little-endian host (the SHMStream v2 wire format is little-endian)"
#endif

#ifdef __FRAMAC__

/*@ requires \valid_read(p + (0 .. 7));
    assigns \nothing; */
static inline uint64_t channel_load_u64_relaxed(const unsigned char *p)
{
    return *(const volatile uint64_t *)p;
}

/*@ requires \valid_read(p + (0 .. 7));
    assigns \nothing; */
static inline uint64_t channel_load_u64_acquire(const unsigned char *p)
{
    return *(const volatile uint64_t *)p;
}

/*@ requires \valid_read(p);
    assigns \nothing; */
static inline uint8_t channel_load_u8_relaxed(const unsigned char *p)
{
    return *(const volatile uint8_t *)p;
}

/*@ requires \valid(p + (0 .. 7));
    assigns p[0 .. 7]; */
static inline void channel_store_u64_relaxed(unsigned char *p, uint64_t value)
{
    *(volatile uint64_t *)p = value;
}

/*@ requires \valid(p + (0 .. 7));
    assigns p[0 .. 7]; */
static inline void channel_store_u64_release(unsigned char *p, uint64_t value)
{
    *(volatile uint64_t *)p = value;
}

/*@ requires \valid(p);
    assigns *p; */
static inline void channel_store_u8_relaxed(unsigned char *p, uint8_t value)
{
    *(volatile uint8_t *)p = value;
}

/*@ assigns \nothing; */
static inline void channel_fence_acquire(void)
{
}

/*@ assigns \nothing; */
static inline void channel_fence_release(void)
{
}

/*@ assigns \nothing; */
static inline void channel_pause(void)
{
}

#else

#include <stdatomic.h>

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free (no RMW on loads)");

static inline uint64_t channel_load_u64_relaxed(const unsigned char *p)
{
    return atomic_load_explicit((const _Atomic uint64_t *)p, memory_order_relaxed);
}

static inline uint64_t channel_load_u64_acquire(const unsigned char *p)
{
    return atomic_load_explicit((const _Atomic uint64_t *)p, memory_order_acquire);
}

static inline uint8_t channel_load_u8_relaxed(const unsigned char *p)
{
    return atomic_load_explicit((const _Atomic uint8_t *)p, memory_order_relaxed);
}

static inline void channel_store_u64_relaxed(unsigned char *p, uint64_t value)
{
    atomic_store_explicit((_Atomic uint64_t *)p, value, memory_order_relaxed);
}

static inline void channel_store_u64_release(unsigned char *p, uint64_t value)
{
    atomic_store_explicit((_Atomic uint64_t *)p, value, memory_order_release);
}

static inline void channel_store_u8_relaxed(unsigned char *p, uint8_t value)
{
    atomic_store_explicit((_Atomic uint8_t *)p, value, memory_order_relaxed);
}

static inline void channel_fence_acquire(void)
{
    atomic_thread_fence(memory_order_acquire);
}

static inline void channel_fence_release(void)
{
    atomic_thread_fence(memory_order_release);
}

/*
 * A spin-wait hint: x86's pause, which touches no memory (nothing elsewhere). Tests that
 * compile the reader with CHANNEL_TEST_HOOKS get a call to their own function instead,
 * so that they can act as the writer at that moment (libchannel/tests/test_heels.c).
 */
#ifdef CHANNEL_TEST_HOOKS
void channel_test_pause(void);
static inline void channel_pause(void)
{
    channel_test_pause();
}
#else
static inline void channel_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
#endif

#endif /* __FRAMAC__ */

#endif /* CHANNEL_ATOMIC_H */
