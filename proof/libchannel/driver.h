/*
 * What the EVA drivers share: arbitrary 64-bit values from Frama-C's builtins.
 */
#ifndef PROOF_DRIVER_H
#define PROOF_DRIVER_H

#include <stdint.h>

#include "__fc_builtin.h"

static uint64_t any_u64(void)
{
    return Frama_C_unsigned_long_interval(0u, UINT64_MAX);
}

/* The most values any_values is asked for: its loop is unrolled that far. */
#define ANY_VALUES_MAX 40u

/*
 * count arbitrary values into value[0 .. count - 1] (unrolled, so EVA keeps each one;
 * count <= ANY_VALUES_MAX, else EVA merges the later ones and reports them
 * uninitialised).
 */
/*@ requires \valid(value + (0 .. count - 1));
    assigns value[0 .. count - 1], Frama_C_entropy_source;
*/
static void any_values(uint64_t *value, unsigned count)
{
    /*@ loop unroll ANY_VALUES_MAX;
        loop invariant 0 <= k <= count;
        loop assigns k, value[0 .. count - 1], Frama_C_entropy_source; */
    for (unsigned k = 0u; k < count; k++) {
        value[k] = any_u64();
    }
}

#endif /* PROOF_DRIVER_H */
