/*
 * channel-bench-ab: force-included (-include) into the bench sources it reuses, so that
 * their libchannel calls go through pointers into a library build chosen at run time
 * (dlopen) instead of the library they would link. See bench_ab.c.
 */
#ifndef BENCH_AB_SHIM_H
#define BENCH_AB_SHIM_H

#include "libchannel.h"

/* The calls the flow-controlled scenario and its helpers make. */
struct bench_ab_lib {
    int (*writer_init)(struct channel_writer *w, void *mem, size_t mem_size, uint64_t protocol,
                       size_t element_size, uint64_t epoch);
    int (*reader_init)(struct channel_reader *r, const void *mem, size_t mem_size,
                       uint64_t protocol, size_t element_size);
    enum channel_result (*read)(struct channel_reader *r, void *element);
    enum channel_result (*read_batch)(struct channel_reader *r, void *elements, size_t max,
                                      size_t *count);
    void (*write)(struct channel_writer *w, const void *element);
    void (*write_batch)(struct channel_writer *w, const void *elements, size_t count);
    uint64_t (*lost)(const struct channel_reader *r);
};

/* The build the next run uses. */
extern struct bench_ab_lib bench_ab;

#define channel_writer_init bench_ab.writer_init
#define channel_reader_init bench_ab.reader_init
#define channel_read        bench_ab.read
#define channel_read_batch  bench_ab.read_batch
#define channel_write       bench_ab.write
#define channel_write_batch bench_ab.write_batch
#define channel_lost        bench_ab.lost

#endif /* BENCH_AB_SHIM_H */
