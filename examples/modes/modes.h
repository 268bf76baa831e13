/*
 * What the modes example's subjects tell each other.
 */
#ifndef MODES_H
#define MODES_H

#include <stdint.h>

#define HEARTBEAT_PROTOCOL 0x4d01u
#define DIAG_PROTOCOL 0x4d02u

/* The worker's count of frames it ran since it (re)started. */
struct heartbeat {
    uint64_t count;
};

/* A diagnostics report: how many frames diagnostics has run. */
struct diag_report {
    uint64_t frames;
};

#endif /* MODES_H */
