/*
 * Finding a subject's resources by name in its subject info page (sinfo), so a subject
 * binary does not depend on where the policy places memories, channels and events.
 *
 * The page is read-only and fixed-size; every lookup stays inside it whatever it holds
 * (a resource count larger than the page, names without a terminating NUL). In a subject
 * the page is found through crt0; host tests attach a page they built themselves.
 */
#ifndef MOAT_SINFO_H
#define MOAT_SINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libchannel.h>
#include <moat/sinfo_format.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A memory region mapped into the subject. */
struct moat_region {
    uint64_t address; /* virtual address in the subject */
    uint64_t size;
    bool writable;
    bool executable;
};

/* A channel the subject writes (writer) or reads. */
struct moat_channel_info {
    uint64_t address;      /* virtual address of the channel header */
    uint64_t size;         /* bytes mapped: header and slots */
    uint64_t element_size; /* bytes per element */
    uint64_t protocol;     /* payload protocol id */
    bool writer;           /* true: mapped read-write, this subject writes it */
};

/* Results of moat_sinfo_attach(). */
#define MOAT_SINFO_OK 0
#define MOAT_SINFO_ERR_MISSING (-1) /* NULL, or smaller than the page header */
#define MOAT_SINFO_ERR_MAGIC (-2)   /* no MOAT_SINFO_MAGIC */
#define MOAT_SINFO_ERR_VERSION (-3) /* a format version this SDK does not read */

/*
 * Use the sinfo page at page (size bytes mapped). A subject never needs this: the SDK
 * attaches the page crt0 received on first use (see moat_sdk_start()). Host tests call
 * it with a page they built. Returns MOAT_SINFO_OK or a MOAT_SINFO_ERR_* value; after an
 * error no page is attached and every lookup fails.
 */
int moat_sinfo_attach(const void *page, size_t size);

/* Check the sinfo page crt0 received, and stop the subject with a MOAT_SDK_EXIT_* status
 * (<moat/version.h>) if this SDK cannot read it. Called before main by crt0 when the
 * runtime has the hook, and by the first lookup otherwise. Subjects only. */
void moat_sdk_start(void);

/* Names from the page (NUL-terminated copies; "" when no page is attached). */
const char *moat_subject_name(void);
const char *moat_system_name(void);
/* The CPU the subject runs on, and the TSC frequency the kernel measured at boot. */
unsigned moat_cpu(void);
uint64_t moat_tsc_khz(void);

/* Look a resource up by name: 0 and *out filled, or -1 when there is none of that kind. */
int moat_memory(const char *name, struct moat_region *out);
int moat_channel(const char *name, struct moat_channel_info *out);
/*
 * The index-th channel of the subject (0, 1, ...): 0 with its name (NUL-terminated) and
 * *out filled, or -1 past the last one. For subjects that serve every channel they have.
 */
int moat_channel_at(unsigned index, char name[MOAT_NAME_MAX], struct moat_channel_info *out);

/*
 * An event id by name, or -1. moat_event() gives the outgoing id (for moat_event_send())
 * when the subject sends the event, else the incoming id (what moat_event_wait() and
 * moat_event_poll() return) of a notify, timer or IRQ event it receives.
 */
int moat_event(const char *name);
int moat_event_outgoing(const char *name);
int moat_event_incoming(const char *name);
/* The first I/O port and port count of a granted port range: 0, or -1. */
int moat_ioport(const char *name, uint16_t *base, uint16_t *count);

/*
 * Set up libchannel from the sinfo entry in one call. moat_channel_writer() needs a
 * channel this subject writes and a nonzero epoch that differs on every start (e.g.
 * moat_rdtsc() | 1); moat_channel_reader() a channel it reads, and expects the
 * protocol and element size the policy gives the channel. Return 0, -1 when the
 * subject has no such channel in that direction, or a CHANNEL_ERR_* value.
 */
int moat_channel_writer(const char *name, struct channel_writer *w, uint64_t epoch);
int moat_channel_reader(const char *name, struct channel_reader *r);

#ifdef __cplusplus
}
#endif

#endif /* MOAT_SINFO_H */
