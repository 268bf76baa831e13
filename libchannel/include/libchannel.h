/*
 * libchannel: one-way, single-writer, many-reader channels over shared memory in the
 * SHMStream v2 wire format (Muen-compatible). See docs/channel-protocol.md.
 *
 * The same code builds freestanding (native Moat subjects, no libc) and hosted (Linux
 * programs). Every struct here is caller-allocated; nothing allocates.
 *
 * A reader never stores to the channel memory: it works on a read-only mapping and
 * survives whatever a hostile writer puts there.
 */
#ifndef LIBCHANNEL_H
#define LIBCHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * 2.0 (soname libchannel.so.2): struct channel_reader grew by the elements it reads
 * ahead, so programs built against 1.x must be rebuilt; the API and the wire format are
 * unchanged.
 * 3.0 (soname libchannel.so.3): an 8-byte reader reads ahead up to 16 elements instead
 * of 8, so struct channel_reader grew again (by 64 bytes) and programs built against 2.x
 * must be rebuilt; a change is now reported after up to 15 elements read ahead instead
 * of 7. The API and the wire format are unchanged.
 * 4.0 (soname libchannel.so.4): up to 32 elements read ahead (struct channel_reader grew
 * by 128 bytes; programs built against 3.x must be rebuilt), a change is reported after
 * up to 31; a reader at the heels of a writer that is writing lets it fill its cache
 * line before copying from it (at most 16 pause instructions per copy). The API and the
 * wire format are unchanged.
 */
#define CHANNEL_VERSION_MAJOR 4
#define CHANNEL_VERSION_MINOR 0

/* Wire format constants (SHMStream v2). */
#define CHANNEL_TRANSPORT_MARKER 0x487312b6b79a9b6dULL
#define CHANNEL_HEADER_SIZE      64u
#define CHANNEL_NULL_EPOCH       0u

/*
 * The 64-byte header at the start of the channel memory, all fields little-endian u64.
 * Documentation only: the library accesses these fields through atomic loads and
 * stores, never through this struct.
 */
struct channel_header {
    uint64_t transport; /* CHANNEL_TRANSPORT_MARKER */
    uint64_t epoch;     /* nonzero while active; changes on every (re)initialisation */
    uint64_t protocol;  /* nonzero id of the payload protocol */
    uint64_t size;      /* element size in bytes */
    uint64_t elements;  /* capacity in elements */
    uint64_t reserved;  /* 0 */
    uint64_t wsc;       /* write-start counter */
    uint64_t wc;        /* write counter */
};

/*
 * Results of a read. Only CHANNEL_SUCCESS delivers data: after any other result the
 * contents of the caller's destination are unspecified (a torn copy may be left there).
 */
enum channel_result {
    CHANNEL_SUCCESS,       /* one element (or a batch) copied out */
    CHANNEL_NO_DATA,       /* the reader has seen everything written */
    CHANNEL_OVERRUN,       /* the writer lapped the reader; it resynchronised, see channel_lost() */
    CHANNEL_EPOCH_CHANGED, /* the writer (re)initialised; the reader synchronised to it */
    CHANNEL_INACTIVE,      /* epoch is 0: no writer is active */
    CHANNEL_INCOMPATIBLE,  /* header does not match what the reader expects or its mapping */
};

/*
 * Errors returned by the init functions (already negative). When several arguments are
 * wrong, the first failing check in this order is reported: NULL, ALIGN, ELEMENT_SIZE,
 * PROTOCOL, TOO_SMALL, EPOCH (writer only).
 */
#define CHANNEL_ERR_NULL         (-1) /* a required pointer is NULL */
#define CHANNEL_ERR_ALIGN        (-2) /* mem is not 8-byte aligned */
#define CHANNEL_ERR_TOO_SMALL    (-3) /* mem_size holds less than header + one element */
#define CHANNEL_ERR_ELEMENT_SIZE (-4) /* element_size is 0 */
#define CHANNEL_ERR_PROTOCOL     (-5) /* protocol is 0 */
#define CHANNEL_ERR_EPOCH        (-6) /* writer epoch is 0 */

/* Writer state. Private fields; use the functions below. */
struct channel_writer {
    unsigned char *mem;    /* start of the channel (header) */
    uint64_t element_size; /* bytes per element */
    uint64_t elements;     /* capacity: (mem_size - 64) / element_size */
    uint64_t wc;           /* our copy of the write counter */
    uint64_t epoch;        /* the epoch we published, CHANNEL_NULL_EPOCH once deactivated */
    uint64_t pos;          /* slot of element wc (wc % elements), kept to avoid a division */
};

/*
 * Most 8-byte elements a reader copies at once for later one-element reads (256 bytes of
 * slots). So a change in the channel is reported after at most CHANNEL_READ_AHEAD - 1
 * elements copied, intact, before it.
 */
#define CHANNEL_READ_AHEAD 32u

/* Reader state. Private fields; use the functions below. */
struct channel_reader {
    const unsigned char *mem; /* start of the channel (header), read-only */
    uint64_t mem_size;        /* bytes of mem the reader may read */
    uint64_t protocol;        /* expected protocol */
    uint64_t element_size;    /* expected element size */
    uint64_t epoch;           /* epoch synchronised to, CHANNEL_NULL_EPOCH if none */
    uint64_t elements;        /* element count validated for that epoch, 0 if incompatible */
    uint64_t rc;              /* read counter: next element to read */
    uint64_t lost;            /* elements lost to overruns, over the reader's life */
    uint64_t pos;             /* slot of element rc (rc % elements), kept to avoid a division */
    uint64_t wc_seen;         /* the write counter as last loaded (acquire) in this epoch */
    bool overrun_last;        /* the previous read returned CHANNEL_OVERRUN */
    /* 8-byte elements: copied and validated ahead of the caller, handed out one per read. */
    uint64_t ahead_count;     /* how many: elements rc - ahead_count .. rc - 1 */
    uint64_t ahead[CHANNEL_READ_AHEAD]; /* in ahead[CHANNEL_READ_AHEAD - ahead_count ..] */
};

/*
 * Initialise a channel in mem and make it active with the given nonzero epoch.
 * elements = (mem_size - 64) / element_size. Returns 0 or a CHANNEL_ERR_* value.
 * Use a different epoch on every (re)initialisation of the same memory, so readers
 * notice. element_size need not be a multiple of 8.
 */
int channel_writer_init(struct channel_writer *w, void *mem, size_t mem_size, uint64_t protocol,
                        size_t element_size, uint64_t epoch);
/*
 * Take over the channel an earlier writer left active in mem (the same writer before a
 * restart: channel memory survives it): its epoch and write counter are kept, so readers
 * carry on with the next element and lose nothing the earlier writer published. Returns
 * 0, or CHANNEL_ERR_RESUME when mem holds no active channel with this protocol, element
 * size and element count, or a write was torn (wsc != wc); then initialise it instead.
 * The header is only read, once: resuming stores nothing.
 */
#define CHANNEL_ERR_RESUME (-16)
int channel_writer_resume(struct channel_writer *w, void *mem, size_t mem_size, uint64_t protocol,
                          size_t element_size);
/*
 * Append one element of element_size bytes. Never blocks; may overwrite unread data.
 * A write through a deactivated or uninitialised writer is dropped.
 */
void channel_write(struct channel_writer *w, const void *element);
/*
 * Append count elements (count * element_size bytes, consecutive); the write counter is
 * published once for the whole batch. Readers see the same wire format as count single
 * writes, except that none of the batch is readable before all of it is.
 */
void channel_write_batch(struct channel_writer *w, const void *elements, size_t count);
/*
 * Mark the channel inactive (epoch 0); later writes are dropped. Re-initialise with a
 * new epoch to reactivate.
 */
void channel_deactivate(struct channel_writer *w);

/*
 * Prepare a reader of the channel at mem (which may be a read-only mapping) that
 * expects the given protocol and element size. Does not require the channel to be
 * active yet, and does not touch mem. Returns 0 or a CHANNEL_ERR_* value.
 *
 * The reader accepts an epoch whose header has the transport marker, the expected
 * protocol and element size, and an element count from 1 up to what fits in mem_size
 * (the mapping may be larger than the channel, e.g. a PCI BAR rounded up). Otherwise
 * reads return CHANNEL_INCOMPATIBLE until the writer re-initialises.
 */
int channel_reader_init(struct channel_reader *r, const void *mem, size_t mem_size,
                        uint64_t protocol, size_t element_size);
/*
 * Read the next element into element (element_size bytes). On a new epoch the reader
 * synchronises and returns CHANNEL_EPOCH_CHANGED without data; it then starts at the
 * oldest element still in the ring. On CHANNEL_OVERRUN it has skipped to the writer's
 * newest element while the writer is writing (as Muen's reader does: a whole ring of
 * writes away from the next overrun), or to the oldest element still intact while the
 * writer is away, and added what it skipped to channel_lost() (docs/channel-protocol.md,
 * "Overruns"). A NULL argument gives CHANNEL_INCOMPATIBLE.
 *
 * 8-byte elements are read ahead: a read that looks at the channel copies the published
 * elements from the next one on (at most CHANNEL_READ_AHEAD, never past the ring's last
 * slot), validated together, and the next reads hand them out without looking at the
 * channel. So an epoch change, a deactivation or an overrun is reported after the up to
 * CHANNEL_READ_AHEAD - 1 elements copied before it (docs/channel-protocol.md,
 * "Read-ahead"). A read that finds its writer writing, with what is pending all in the
 * cache line the writer is filling, first lets the writer fill it (at most 16 pause
 * instructions) and then takes what is published.
 */
enum channel_result channel_read(struct channel_reader *r, void *element);
/*
 * Read up to max elements into elements (max * element_size bytes); *count tells how
 * many were copied. Returns CHANNEL_SUCCESS when *count > 0; any other result leaves
 * *count 0 and means the same as for channel_read (an overrun anywhere in the batch
 * discards the batch). The write counter and wsc are each loaded once per batch.
 * max 0 copies nothing: it reports state changes as a read would, else CHANNEL_NO_DATA.
 * Elements channel_read has read ahead come first, alone: *count is then at most their
 * number, and the channel is read on the next call.
 */
enum channel_result channel_read_batch(struct channel_reader *r, void *elements, size_t max,
                                       size_t *count);
/*
 * Skip everything written so far (not counted as lost), elements read ahead included.
 * Synchronises first if the writer has a new epoch; that CHANNEL_EPOCH_CHANGED is not
 * reported.
 */
void channel_drain(struct channel_reader *r);
/* True when a read would return data (elements read ahead count) or a state change. */
bool channel_has_data(const struct channel_reader *r);
/* Elements this reader lost to overruns (saturates at UINT64_MAX, never wraps). */
uint64_t channel_lost(const struct channel_reader *r);

#ifndef CHANNEL_FREESTANDING
/*
 * Map a channel file: writable for a writer (read-write, shared), otherwise PROT_READ.
 * Returns 0 or a negative errno value.
 */
int channel_map_file(const char *path, bool writable, void **mem, size_t *mem_size);
/* Unmap what channel_map_file mapped. Returns 0 or a negative errno value. */
int channel_unmap(void *mem, size_t mem_size);

/*
 * Channel files: create-or-open a regular file that holds one channel, check it, map it
 * and set up the writer or reader over it in one call (docs/channel-protocol.md, "Linux").
 *
 * Errors of the channel_file_* calls, after the init errors above (which they also
 * return for bad arguments). System errors come back as one of the first three, with the
 * errno value kept in struct channel_file.sys_errno; channel_file_message() says what
 * went wrong in one line, with the numbers.
 */
#define CHANNEL_ERR_FILE_MISSING      (-7)  /* no such file, and CHANNEL_FILE_CREATE not given */
#define CHANNEL_ERR_FILE_ACCESS       (-8)  /* permission denied or read-only file system */
#define CHANNEL_ERR_FILE_SYSTEM       (-9)  /* any other failing system call (see sys_errno) */
#define CHANNEL_ERR_FILE_TYPE         (-10) /* not a regular file (directory, FIFO, device) */
#define CHANNEL_ERR_FILE_SIZE         (-11) /* the file's size does not fit the channel asked for */
#define CHANNEL_ERR_FILE_NOT_CHANNEL  (-12) /* the header is neither all zero nor SHMStream v2 */
#define CHANNEL_ERR_FILE_PROTOCOL     (-13) /* an initialised header has another protocol */
#define CHANNEL_ERR_FILE_ELEMENT_SIZE (-14) /* an initialised header has another element size */
#define CHANNEL_ERR_FILE_BLANK        (-15) /* protocol/size to be taken from a blank header */

/* Flags of the channel_file_* calls. */
#define CHANNEL_FILE_CREATE 1u /* create the file (0666 & ~umask) when it does not exist */

/* A mapped channel file, filled in by channel_file_writer/reader. Caller-allocated. */
struct channel_file {
    void *mem;             /* the mapping (header first), NULL when not open */
    size_t mem_size;       /* bytes mapped: the whole file */
    uint64_t protocol;     /* the channel's protocol and element size (asked for or found) */
    uint64_t element_size;
    uint64_t elements;     /* slots: (mem_size - 64) / element_size */
    bool created;          /* this call created the file */
    /* For channel_file_message() after a failure: */
    const char *path;      /* the caller's path (not copied) */
    int sys_errno;         /* errno of the failing system call, 0 if none */
    uint64_t file_size;    /* size found, when the file was opened */
    uint64_t header_protocol;     /* what an initialised header said */
    uint64_t header_element_size;
};

/*
 * Open (or with CHANNEL_FILE_CREATE create) the channel file at path for writing, map it
 * shared read-write and initialise w over it with the nonzero epoch (a new epoch: readers
 * resynchronise, the ring starts empty).
 *
 * A new file gets exactly 64 + element_size * elements bytes, zero-filled. An existing
 * file must be a regular file of exactly that size (or, with elements 0, of any size
 * holding at least one element); its header must be all zero (never initialised) or a
 * SHMStream v2 header with the same protocol and element size; anything else is
 * refused, so a writer never overwrites a file that is not its channel.
 * Returns 0 or a CHANNEL_ERR_* value; on failure nothing stays mapped or open.
 */
int channel_file_writer(struct channel_file *f, struct channel_writer *w, const char *path,
                        uint64_t protocol, size_t element_size, size_t elements, uint64_t epoch,
                        unsigned flags);
/*
 * The reader's side: the same checks, then a PROT_READ mapping and channel_reader_init
 * over it. protocol 0 and element_size 0 mean "what the header says" (then the header
 * must be initialised, else CHANNEL_ERR_FILE_BLANK); elements 0 accepts any file size
 * holding at least one element (a reader may map more than the ring). With
 * CHANNEL_FILE_CREATE the reader may create the file first (zero-filled, so a writer
 * started later opens it), which needs protocol, element size and element count.
 */
int channel_file_reader(struct channel_file *f, struct channel_reader *r, const char *path,
                        uint64_t protocol, size_t element_size, size_t elements, unsigned flags);
/* Unmap a channel file opened by the calls above. Returns 0 or CHANNEL_ERR_FILE_SYSTEM. */
int channel_file_close(struct channel_file *f);
/* A fixed one-line description of any CHANNEL_ERR_* code ("unknown error" otherwise). */
const char *channel_strerror(int err);
/*
 * One line for the failure err of a channel_file_* call on f, with the path and the
 * numbers ("PATH: 1000 bytes, but a channel of 16 x 64-byte elements is 1088"), written
 * to buf (always NUL-terminated when size > 0). Returns buf.
 */
char *channel_file_message(const struct channel_file *f, int err, char *buf, size_t size);
#endif

#ifdef __cplusplus
}
#endif

#endif /* LIBCHANNEL_H */
