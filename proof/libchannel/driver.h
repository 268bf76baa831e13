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

/* count arbitrary values into value[0 .. count - 1] (unrolled, so EVA keeps each one). */
/*@ requires \valid(value + (0 .. count - 1));
    assigns value[0 .. count - 1], Frama_C_entropy_source;
*/
static void any_values(uint64_t *value, unsigned count)
{
    /*@ loop unroll 16;
        loop invariant 0 <= k <= count;
        loop assigns k, value[0 .. count - 1], Frama_C_entropy_source; */
    for (unsigned k = 0u; k < count; k++) {
        value[k] = any_u64();
    }
}

#endif /* PROOF_DRIVER_H */
