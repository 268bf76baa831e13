/*
 * What the benchmark subjects share (kernel/bench): the channel payloads they publish
 * TSC values in, the frame-gap threshold and a sort for min/median.
 */
#ifndef MOAT_BENCH_H
#define MOAT_BENCH_H

#include <stdint.h>

/* A jump of the TSC by more than this between two reads of a subject's loop means other
 * frames ran in between (every frame of the bench systems is >= 100,000 instructions). */
#define BENCH_GAP 20000u
/* Benchmark data starts after the 64 bytes a channel header would use. */
#define BENCH_PAYLOAD 64u
/* A kernel call number the kernel does not know (MOAT_ERR_NO_CALL). */
#define BENCH_KCALL_INVALID 99u
/* Frame switches each spinner records, after BENCH_SWITCH_WARMUP discarded ones. */
#define BENCH_SWITCH_FRAMES 16u
#define BENCH_SWITCH_WARMUP 2u

/* waiter.tsc: written by the waiter (CPU 1), read by bench. */
struct bench_wake {
    uint32_t waiting;  /* wakes + 1 just before each event_wait */
    uint32_t wakes;    /* wake events received */
    uint32_t woke_tsc; /* low 32 bits of the first rdtsc after the last one returned */
};

/* Insertion sort (a few dozen samples). */
static inline void bench_sort(uint32_t *v, uint32_t count)
{
    for (uint32_t i = 1; i < count; i++) {
        uint32_t x = v[i];
        uint32_t j = i;
        for (; j > 0u && v[j - 1u] > x; j--) {
            v[j] = v[j - 1u];
        }
        v[j] = x;
    }
}

#endif /* MOAT_BENCH_H */
