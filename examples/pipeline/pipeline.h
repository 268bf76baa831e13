/*
 * The pipeline's message formats and pace, shared by its subjects.
 * sensor -> samples -> filter -> filtered -> logger -> stats -> controller.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdint.h>

#define SAMPLE_PROTOCOL 0x5a01u
#define FILTERED_PROTOCOL 0x5a02u
#define STATS_PROTOCOL 0x5a03u

#define PIPELINE_PERIOD_US 10000u /* one sample every 10 ms */
#define PIPELINE_MESSAGES 200u    /* the controller powers off after this many */
#define PIPELINE_LOG_EVERY 20u    /* the logger prints every 20th value */

struct sample {
    uint64_t sequence;
    uint64_t tsc; /* when the sensor took it */
    int64_t value;
};

struct filtered {
    uint64_t sequence;
    int64_t raw;
    int64_t average; /* moving average over the last FILTER_WINDOW samples */
};

struct stats {
    uint64_t received; /* values the logger got */
    uint64_t missing;  /* sequence numbers that never arrived */
};

#endif /* PIPELINE_H */
