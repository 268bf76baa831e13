/*
 * channel-bench internals: the run configuration, the per-run results of each scenario
 * and the helpers the scenarios share (clocks, CPU pinning, a channel in shared memory
 * mapped read-write for the writer and read-only for readers, a start barrier).
 */
#ifndef BENCH_H
#define BENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libchannel.h"

#define BENCH_PROTOCOL    0x62656e6368ULL /* "bench" */
#define BENCH_MAX_READERS 3u
#define BENCH_CHECK_EVERY 256u /* elements between two looks at the clock */

struct bench_config {
    uint64_t run_ns;    /* length of one measured run */
    unsigned runs;      /* measured runs per scenario (the median is reported) */
    unsigned slots;     /* slots of every ring and channel (a power of two) */
    unsigned batch;     /* elements per batch call */
    int cpus[8];        /* CPUs we may use, in order: the writer gets cpus[0] */
    unsigned cpu_count; /* entries in cpus */
    unsigned only_size; /* measure only rows of this element size; 0: all */
    bool flow_only;     /* --flow: only the flow-controlled scenarios */
};

/* Flow-controlled run: one writer, one reader, nothing may be lost. */
struct bench_flow_result {
    double seconds;    /* writer start to reader end */
    uint64_t elements; /* elements the reader received */
    uint64_t lost;     /* lost or out-of-order elements: must be 0 */
    double cpu_share;  /* lowest CPU time / wall time of the measuring threads */
};

/* Free-running run: the writer never waits; reader_count readers keep up if they can. */
struct bench_free_result {
    double writer_seconds;
    double writer_cpu_seconds; /* CPU time of the writer's own thread */
    uint64_t written;
    double reader_seconds[BENCH_MAX_READERS];
    uint64_t delivered[BENCH_MAX_READERS];
    uint64_t lost[BENCH_MAX_READERS];
    uint64_t errors; /* out-of-order elements or delivered + lost != written */
};

/* A channel in a memfd: the writer's read-write view and the readers' PROT_READ view. */
struct bench_channel {
    void *rw;
    const void *ro;
    size_t size;
};

uint64_t bench_now_ns(void);
uint64_t bench_thread_cpu_ns(void);

/* When a thread began measuring, to tell afterwards whether it had its CPU throughout. */
struct bench_span {
    uint64_t wall_ns;
    uint64_t cpu_ns;
};
void bench_span_begin(struct bench_span *span);
/* CPU time of the calling thread over wall time since bench_span_begin: 1.0 = undisturbed. */
double bench_span_share(const struct bench_span *span);
void bench_pin(int cpu);
int bench_reader_cpu(const struct bench_config *cfg, unsigned reader);
void bench_pause(void);
/* Zeroed, cache-line aligned memory; exits when there is none. */
unsigned char *bench_buffer(size_t bytes);
/* Write sequence numbers first, first + 1, ... into the first 8 bytes of n elements. */
void bench_stamp(unsigned char *elements, size_t element_size, size_t n, uint64_t first);

/* Create the channel and initialise writer w on it with a fresh epoch; exits on failure. */
void bench_channel_open(struct bench_channel *ch, struct channel_writer *w, size_t element_size,
                        unsigned slots);
void bench_channel_close(struct bench_channel *ch);
/* Open a reader on the read-only view and synchronise it to the writer's epoch. */
void bench_reader_open(struct channel_reader *r, const struct bench_channel *ch,
                       size_t element_size, void *scratch);

/* Pin the calling thread to cpu, wait at barrier for the others, return the time. */
uint64_t bench_start(int cpu, pthread_barrier_t *barrier);
/* One channel_write (per_call 1) or one channel_write_batch of per_call elements. */
void bench_write(struct channel_writer *w, const unsigned char *src, size_t per_call);
/* One channel_read (per_call 1) or one channel_read_batch; *count elements on SUCCESS. */
enum channel_result bench_read(struct channel_reader *r, unsigned char *dst, size_t per_call, size_t *count);

/* Start thread_count threads running fn(args[i]) and join them. */
void bench_run_threads(unsigned thread_count, void *(*fn[])(void *), void *args[]);

/* Median cache-line round trip between the writer's CPU and the first reader's. */
double bench_round_trip_ns(const struct bench_config *cfg);

/* The scenarios: each measures one run and fills its result. */
void bench_memcpy_run(const struct bench_config *cfg, size_t element_size, bool batch,
                      struct bench_flow_result *out);
void bench_flow_channel_run(const struct bench_config *cfg, size_t element_size, bool batch,
                            struct bench_flow_result *out);
int bench_flow_ck_run(const struct bench_config *cfg, size_t element_size,
                      struct bench_flow_result *out);
void bench_free_run(const struct bench_config *cfg, size_t element_size, bool batch,
                    unsigned reader_count, struct bench_free_result *out);

#endif /* BENCH_H */
