/*
 * The Moat SDK host test kit: run a subject's code in an ordinary test program. It gives
 * in-memory channels (a writer and a reader on the same memory), a fake subject info
 * page, so code that calls moat_channel_reader(), moat_event() or moat_log() finds its
 * resources on the host exactly as it would in a subject, log capture, and a fake kernel
 * for the kernel calls of <moat/subject.h> (events, timers, time).
 * Link with `dependency('moat-sdk-testkit')` (pkg-config moat-sdk-testkit).
 */
#ifndef MOAT_TESTKIT_H
#define MOAT_TESTKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libchannel.h>
#include <moat/abi/kcall.h>
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
/* Make a copy of it (owned by the test kit) the page every sinfo lookup uses, and send
 * moat_log() back to that page's log channel unless a capture is on: 0, or a
 * MOAT_SINFO_ERR_* value. Add resources before attaching; attach again after changes.
 * Destroying a test channel the attached page lists detaches the page. */
int moat_test_sinfo_attach(struct moat_test_sinfo *s);

/*
 * Log capture. moat_test_log_capture() routes moat_log() into a channel the test kit owns
 * (emptied on every call), so nothing of the test's own can dangle when a test ends;
 * moat_test_log_next() reads the next captured line into line (NUL-terminated): 0, or -1
 * when no line is waiting or nothing is being captured. moat_test_log_read() reads the
 * next line from a log channel the test made itself (e.g. one listed in a fake sinfo page).
 */
int moat_test_log_capture(void);
int moat_test_log_next(char *line, size_t line_size);
int moat_test_log_read(struct moat_test_channel *c, char *line, size_t line_size);

/*
 * The fake kernel. In a host build (__STDC_HOSTED__, see <moat/subject.h>) the kernel
 * calls moat_yield(), moat_event_send(), moat_event_wait(), moat_event_poll(),
 * moat_timer_set() and the TSC read moat_rdtsc() reach this fake instead of a kernel:
 *   - incoming events are pending bits the test raises; wait and poll take the lowest;
 *   - every send is recorded in order; moat_test_event_sent() takes them one by one;
 *   - time is a fake TSC (1 tick = 1 ns at the fake page's tsc_khz) that moves only when
 *     the test advances it, or when moat_event_wait() sleeps until the armed timer or an
 *     event the test scheduled; a timer fires (its event becomes pending) once time
 *     reaches its deadline, a scheduled event once time reaches its moment;
 *   - with a fake sinfo page attached, ids are checked as the kernel checks them: sends
 *     only for the page's outgoing events, timers only for its incoming ones, else
 *     MOAT_ERR_BAD_ID; without a page any id below MOAT_MAX_EVENTS is accepted.
 * moat_event_wait() with nothing pending, no timer armed and nothing scheduled would
 * block for ever: it
 * calls the test's block hook (which may raise an event, advance time, or longjmp out
 * of a subject's main loop) and, if that raised nothing either, prints why on stderr
 * and aborts the test program rather than hang.
 */
#define MOAT_TEST_TSC_START 1000000000u /* the fake TSC after a reset: 1 s */
#define MOAT_TEST_SENDS_MAX 1024u       /* sends kept in order for moat_test_event_sent() */
#define MOAT_TEST_RAISES_MAX 64u        /* moat_test_event_raise_at() not yet due */

/* Make incoming event id pending, as a sender, an IRQ or a timer would. 0, or -1 for an
 * id of MOAT_MAX_EVENTS or more. */
int moat_test_event_raise(unsigned id);
/* The same once fake time reaches tsc (another subject's event at a known moment); a
 * waiting moat_event_wait() sleeps until then. 0, or -1 for a bad id or when
 * MOAT_TEST_RAISES_MAX are already scheduled. */
int moat_test_event_raise_at(uint64_t tsc, unsigned id);
bool moat_test_event_pending(unsigned id);
/* The oldest send not taken yet (its id), or -1. Beyond MOAT_TEST_SENDS_MAX untaken
 * sends only the counts go on. */
int moat_test_event_sent(void);
/* How many times the code sent id (successfully) since the last reset. */
uint64_t moat_test_event_send_count(unsigned id);
/* The fake TSC, and moving it on by ticks (firing the timer and scheduled events due). */
uint64_t moat_test_tsc(void);
void moat_test_time_advance(uint64_t ticks);
/* The armed timer's deadline (and its event in *id if not NULL), or 0 when none is armed. */
uint64_t moat_test_timer_deadline(unsigned *id);
uint64_t moat_test_yield_count(void);
/* Called by moat_event_wait() when it would block for ever (see above); NULL: none. */
void moat_test_kernel_on_block(void (*hook)(void *context), void *context);

/*
 * Forget everything a test left behind: the attached fake sinfo page, the log routing
 * (moat_log_use(NULL), the capture emptied), the fake kernel's events, sends, timer,
 * time (MOAT_TEST_TSC_START) and block hook. moat_test_setup() is the same as a cmocka
 * fixture: cmocka_unit_test_setup(test, moat_test_setup).
 */
void moat_test_reset(void);
int moat_test_setup(void **state);

#ifdef __cplusplus
}
#endif

#endif /* MOAT_TESTKIT_H */
