/*
 * Host test kit: the fake kernel behind <moat/subject.h>'s kernel calls in host builds
 * (see <moat/testkit.h>). Pending events, recorded sends, one timer, events the test
 * schedules and a fake TSC, all driven by the test; ids are checked against the attached fake sinfo page the way
 * the kernel checks them against the policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <moat/subject.h>
#include <moat/testkit.h>

#include "testkit_internal.h"

static struct {
    uint64_t pending;                /* bit per incoming event id */
    uint64_t now;                    /* the fake TSC */
    uint64_t timer_deadline;         /* 0: no timer armed */
    unsigned timer_event;
    unsigned sends[MOAT_TEST_SENDS_MAX]; /* untaken sends, oldest at sends_first */
    size_t sends_first;
    size_t sends_waiting;
    uint64_t send_counts[MOAT_MAX_EVENTS];
    uint64_t yields;
    struct {
        uint64_t tsc;
        unsigned id;
    } raises[MOAT_TEST_RAISES_MAX]; /* scheduled by the test, not yet due */
    size_t raise_count;
    void (*on_block)(void *context);
    void *on_block_context;
} fake = {.now = MOAT_TEST_TSC_START};

void testkit_kernel_reset(void)
{
    memset(&fake, 0, sizeof(fake));
    fake.now = MOAT_TEST_TSC_START;
}

int moat_test_event_raise(unsigned id)
{
    if (id >= MOAT_MAX_EVENTS) {
        return -1;
    }
    fake.pending |= 1ull << id;
    return 0;
}

bool moat_test_event_pending(unsigned id)
{
    return id < MOAT_MAX_EVENTS && (fake.pending & (1ull << id)) != 0u;
}

int moat_test_event_sent(void)
{
    if (fake.sends_waiting == 0) {
        return -1;
    }
    unsigned id = fake.sends[fake.sends_first];
    fake.sends_first = (fake.sends_first + 1) % MOAT_TEST_SENDS_MAX;
    fake.sends_waiting--;
    return (int)id;
}

uint64_t moat_test_event_send_count(unsigned id)
{
    return id < MOAT_MAX_EVENTS ? fake.send_counts[id] : 0;
}

/* The timer's event, and the scheduled ones, become pending once their time has come. */
static void fake_fire_due(void)
{
    if (fake.timer_deadline != 0u && fake.timer_deadline <= fake.now) {
        fake.timer_deadline = 0;
        fake.pending |= 1ull << fake.timer_event;
    }
    for (size_t i = 0; i < fake.raise_count;) {
        if (fake.raises[i].tsc <= fake.now) {
            fake.pending |= 1ull << fake.raises[i].id;
            fake.raises[i] = fake.raises[--fake.raise_count];
        } else {
            i++;
        }
    }
}

/* The earliest moment something falls due (timer or scheduled event), or 0: none. */
static uint64_t fake_next_due(void)
{
    uint64_t next = fake.timer_deadline;
    for (size_t i = 0; i < fake.raise_count; i++) {
        if (next == 0u || fake.raises[i].tsc < next) {
            next = fake.raises[i].tsc;
        }
    }
    return next;
}

int moat_test_event_raise_at(uint64_t tsc, unsigned id)
{
    if (id >= MOAT_MAX_EVENTS || fake.raise_count >= MOAT_TEST_RAISES_MAX) {
        return -1;
    }
    fake.raises[fake.raise_count].tsc = tsc;
    fake.raises[fake.raise_count].id = id;
    fake.raise_count++;
    fake_fire_due();
    return 0;
}

uint64_t moat_test_tsc(void)
{
    return fake.now;
}

void moat_test_time_advance(uint64_t ticks)
{
    fake.now += ticks;
    fake_fire_due();
}

uint64_t moat_test_timer_deadline(unsigned *id)
{
    if (id != NULL && fake.timer_deadline != 0u) {
        *id = fake.timer_event;
    }
    return fake.timer_deadline;
}

uint64_t moat_test_yield_count(void)
{
    return fake.yields;
}

void moat_test_kernel_on_block(void (*hook)(void *context), void *context)
{
    fake.on_block = hook;
    fake.on_block_context = context;
}

/* An id the code may use: any without a page, else only what the page gives it. */
static bool fake_id_allowed(uint64_t id, uint32_t kind)
{
    if (id >= MOAT_MAX_EVENTS) {
        return false;
    }
    return testkit_attached_page() == NULL || testkit_page_has_id(kind, (unsigned)id);
}

static int64_t fake_send(uint64_t id)
{
    if (!fake_id_allowed(id, MOAT_RES_EVENT_SEND)) {
        return MOAT_ERR_BAD_ID;
    }
    fake.send_counts[id]++;
    if (fake.sends_waiting < MOAT_TEST_SENDS_MAX) {
        fake.sends[(fake.sends_first + fake.sends_waiting) % MOAT_TEST_SENDS_MAX] = (unsigned)id;
        fake.sends_waiting++;
    }
    return MOAT_OK;
}

static int64_t fake_take(void)
{
    for (unsigned bit = 0; bit < MOAT_MAX_EVENTS; bit++) {
        if ((fake.pending & (1ull << bit)) != 0u) {
            fake.pending &= ~(1ull << bit);
            return (int64_t)bit;
        }
    }
    return MOAT_ERR_NONE_PENDING;
}

/* Nothing pending: sleep until something falls due, if anything will; else ask the
 * test once. */
static int64_t fake_wait(void)
{
    for (unsigned attempt = 0; attempt < 2; attempt++) {
        int64_t id = fake_take();
        if (id >= 0) {
            return id;
        }
        uint64_t next = fake_next_due();
        if (next != 0u) {
            if (fake.now < next) {
                fake.now = next;
            }
            fake_fire_due();
            return fake_take();
        }
        if (attempt == 0 && fake.on_block != NULL) {
            fake.on_block(fake.on_block_context);
        }
    }
    fprintf(stderr, "moat testkit: moat_event_wait() would block for ever: no event pending, "
                    "no timer armed, nothing scheduled, and no moat_test_kernel_on_block() hook "
                    "raised one\n");
    abort();
}

static int64_t fake_timer_set(uint64_t deadline, uint64_t id)
{
    if (!fake_id_allowed(id, MOAT_RES_EVENT_RECV)) {
        return MOAT_ERR_BAD_ID;
    }
    fake.timer_deadline = deadline;
    fake.timer_event = (unsigned)id;
    fake_fire_due();
    return MOAT_OK;
}

int64_t moat_test_kcall(uint64_t number, uint64_t arg0, uint64_t arg1)
{
    switch (number) {
    case MOAT_KCALL_YIELD:
        fake.yields++;
        return MOAT_OK;
    case MOAT_KCALL_EVENT_SEND:
        return fake_send(arg0);
    case MOAT_KCALL_EVENT_WAIT:
        return fake_wait();
    case MOAT_KCALL_EVENT_POLL:
        return fake_take();
    case MOAT_KCALL_TIMER_SET:
        return fake_timer_set(arg0, arg1);
    default:
        return MOAT_ERR_NO_CALL;
    }
}

uint64_t moat_test_rdtsc(void)
{
    return fake.now;
}
