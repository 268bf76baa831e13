/*
 * Host builds of the SDK library (the test kit): there is no crt0 and no page to find,
 * so lookups see only what a test attached with moat_sinfo_attach(); time stamps are
 * nanoseconds of CLOCK_MONOTONIC.
 */
#include <time.h>

#include "sdk_internal.h"

void sdk_attach_default_sinfo(void)
{
}

uint64_t sdk_timestamp(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
