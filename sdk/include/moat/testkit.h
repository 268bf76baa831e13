/*
 * The Moat SDK host test kit: run a subject's channel code in an ordinary test program.
 * It gives in-memory channels (a writer and a reader on the same memory) and a fake
 * subject info page, so code that calls moat_channel_reader(), moat_event() or
 * moat_log() finds its resources on the host exactly as it would in a subject.
 * Link with `dependency('moat-sdk-testkit')` (pkg-config moat-sdk-testkit).
 */
#ifndef MOAT_TESTKIT_H
#define MOAT_TESTKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libchannel.h>
#include <moat/log.h>
#include <moat/sinfo.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A channel in host memory with a writer and a reader already set up. */
struct moat_test_channel {
    void *mem;                    /* page-aligned, zeroed at creation */
    size_t size;                  /* header plus elements slots */
    struct channel_writer writer; /* active with epoch 1 */
    struct channel_reader reader; /* expects the same protocol and element size */
};

/* Create a channel of `elements` slots. Returns 0 or a negative error. */
int moat_test_channel_create(struct moat_test_channel *c, size_t elements, size_t element_size,
                             uint64_t protocol);
void moat_test_channel_destroy(struct moat_test_channel *c);

/*
 * A fake subject info page. Build it with the add functions, then attach it: from then
 * on the sinfo lookups of <moat/sinfo.h> see these resources. Channels refer to test
 * channels' memory, so a subject's writer and a test's reader share it.
 */
struct moat_test_sinfo {
    uint64_t page[2048]; /* 16 KiB, 8-byte aligned */
};

void moat_test_sinfo_init(struct moat_test_sinfo *s, const char *subject_name);
/* Each returns 0, or -1 when the page is full. */
int moat_test_sinfo_add_channel(struct moat_test_sinfo *s, const char *name,
                                const struct moat_test_channel *c, bool writer);
int moat_test_sinfo_add_memory(struct moat_test_sinfo *s, const char *name, void *mem, size_t size,
                               bool writable);
int moat_test_sinfo_add_event(struct moat_test_sinfo *s, const char *name, unsigned id,
                              bool outgoing);
/* Make it the page every sinfo lookup uses (0, or a MOAT_SINFO_ERR_* value). */
int moat_test_sinfo_attach(struct moat_test_sinfo *s);

/*
 * Route moat_log() into a new test channel (the one a log server would read) and return
 * it, so a test can check what the code under test logged. moat_test_log_next() reads
 * the next whole line into line (NUL-terminated): 0, or -1 when no line is waiting.
 */
int moat_test_log_capture(struct moat_test_channel *c);
int moat_test_log_next(struct moat_test_channel *c, char *line, size_t line_size);

#ifdef __cplusplus
}
#endif

#endif /* MOAT_TESTKIT_H */
