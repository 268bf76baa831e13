/*
 * Every event and timer id against the policy, both ways (test subjects, one image).
 * "ids" tries event_send and timer_set on every id below 128 and on wide ids whose low
 * 8, 16 or 32 bits equal a granted one: the ids its sinfo page lists as sends, and its
 * own <timer>s t0 and t1, must work; every other id (its incoming notify "poke" for a
 * timer, too) must return MOAT_ERR_BAD_ID and change nothing: a timer armed before the
 * refused calls still fires, alone. "sink" collects the events it receives until "fin"
 * and checks they are exactly its own incoming ids, then answers "ok" (or reboots the
 * machine). ids powers off when all went well and sink said ok; otherwise it returns a
 * mask of what went wrong, audited as its exit status, and is restarted (on-fault
 * restart): its next "hello" tells sink, which reboots. Every step waits for the other
 * side's event, never for frames.
 */
#include <moat/abi/kcall.h>

#include "testlib.h"

enum {
    BAD_SEND_REFUSED = 0x1,   /* a send id from sinfo was refused */
    BAD_SEND_ACCEPTED = 0x2,  /* another id below 128 was not refused */
    BAD_WIDE_SEND = 0x4,      /* a wide id was not refused */
    BAD_TIMER_REFUSED = 0x8,  /* t0 or t1 was refused */
    BAD_TIMER_NOTIFY = 0x10,  /* the incoming notify id was accepted as a timer */
    BAD_TIMER_ACCEPTED = 0x20, /* another id below 128 was accepted as a timer */
    BAD_WIDE_TIMER = 0x40,    /* a wide id was accepted as a timer */
    BAD_WAKE_ID = 0x80,       /* the armed timer did not fire alone */
    BAD_WAKE_EARLY = 0x100,   /* it fired before its deadline */
    BAD_VERDICT = 0x200,      /* sink did not answer ok */
};

/* Bit n: incoming or outgoing id n of this subject, per its sinfo page. */
static uint64_t ids_of(uint32_t kind)
{
    uint64_t mask = 0;
    const struct moat_sinfo *si = moat_sinfo_page;
    for (uint32_t i = 0; i < si->resource_count; i++) {
        if (si->resources[i].kind == kind && si->resources[i].id < MOAT_MAX_EVENTS) {
            mask |= 1ull << si->resources[i].id;
        }
    }
    return mask;
}

static int64_t send(uint64_t id)
{
    return moat_kcall(MOAT_KCALL_EVENT_SEND, id, 0);
}

static int64_t timer(uint64_t deadline, uint64_t id)
{
    return moat_kcall(MOAT_KCALL_TIMER_SET, deadline, id);
}

/* Ids that are not granted but equal `base` in their low 8, 16 or 32 bits, or are huge. */
static uint64_t wide_id(unsigned i, unsigned base)
{
    static const uint64_t high[] = {0x100u, 0x10000u, 0x100000000ull, 0x8000000000000000ull};
    return i < 4u ? high[i] | base : UINT64_MAX - (i - 4u);
}
#define WIDE_IDS 6u

/* The ids in `apart` are sent on their own (hello first, fin, and done to power off). */
static int sweep_sends(uint64_t sends, uint64_t apart, unsigned n0, unsigned fin)
{
    int bad = 0;
    for (uint64_t id = 0; id < 2u * MOAT_MAX_EVENTS; id++) {
        if (id < MOAT_MAX_EVENTS && (apart & (1ull << id)) != 0u) {
            continue;
        }
        int64_t r = send(id);
        bool granted = id < MOAT_MAX_EVENTS && (sends & (1ull << id)) != 0u;
        bad |= granted && r != MOAT_OK ? BAD_SEND_REFUSED : 0;
        bad |= !granted && r != MOAT_ERR_BAD_ID ? BAD_SEND_ACCEPTED : 0;
    }
    /* Bases that are notifies: a wide id taken for done would power off and pass. */
    for (unsigned i = 0; i < WIDE_IDS; i++) {
        bad |= send(wide_id(i, n0)) != MOAT_ERR_BAD_ID ? BAD_WIDE_SEND : 0;
        bad |= send(wide_id(i, fin)) != MOAT_ERR_BAD_ID ? BAD_WIDE_SEND : 0;
    }
    return bad;
}

/* timer_set(deadline, id) on every id that is not t0 or t1; each must be refused. */
static int sweep_refused_timers(uint64_t deadline, uint64_t timers, unsigned poke, unsigned t0)
{
    int bad = 0;
    for (uint64_t id = 0; id < 2u * MOAT_MAX_EVENTS; id++) {
        if (id < MOAT_MAX_EVENTS && (timers & (1ull << id)) != 0u) {
            continue;
        }
        int64_t r = timer(deadline, id);
        if (id == poke) {
            bad |= r != MOAT_ERR_BAD_ID ? BAD_TIMER_NOTIFY : 0;
        } else {
            bad |= r != MOAT_ERR_BAD_ID ? BAD_TIMER_ACCEPTED : 0;
        }
    }
    for (unsigned i = 0; i < WIDE_IDS; i++) {
        bad |= timer(deadline, wide_id(i, t0)) != MOAT_ERR_BAD_ID ? BAD_WIDE_TIMER : 0;
    }
    return bad;
}

static int ids(void)
{
    uint64_t sends = ids_of(MOAT_RES_EVENT_SEND);
    unsigned hello = t_event("hello", MOAT_RES_EVENT_SEND);
    unsigned fin = t_event("fin", MOAT_RES_EVENT_SEND);
    unsigned done = t_event("done", MOAT_RES_EVENT_SEND);
    unsigned ok = t_event("ok", MOAT_RES_EVENT_RECV);
    unsigned poke = t_event("poke", MOAT_RES_EVENT_RECV);
    unsigned t[2] = {t_event("t0", MOAT_RES_EVENT_RECV), t_event("t1", MOAT_RES_EVENT_RECV)};
    uint64_t timers = (1ull << t[0]) | (1ull << t[1]);
    uint64_t us = moat_sinfo_page->tsc_khz / 1000u;

    int bad = moat_event_send(hello) != MOAT_OK ? BAD_SEND_REFUSED : 0;
    bad |= sweep_sends(sends, (1ull << hello) | (1ull << fin) | (1ull << done),
                       t_event("n0", MOAT_RES_EVENT_SEND), fin);
    /* Both ways for timers: each own timer works and wakes event_wait alone, although
     * every refused id was tried with an already-past deadline while it was armed. */
    for (unsigned k = 0; k < 2u; k++) {
        uint64_t deadline = moat_rdtsc() + 200u * us;
        bad |= timer(deadline, t[k]) != MOAT_OK ? BAD_TIMER_REFUSED : 0;
        bad |= sweep_refused_timers(1, timers, poke, t[0]);
        bad |= moat_event_wait() != (int)t[k] ? BAD_WAKE_ID : 0;
        bad |= moat_rdtsc() < deadline ? BAD_WAKE_EARLY : 0;
        bad |= moat_event_poll() >= 0 ? BAD_WAKE_ID : 0; /* nothing else pending */
    }
    bad |= send(fin) != MOAT_OK ? BAD_SEND_REFUSED : 0;
    if (bad != 0) {
        return bad; /* without waiting: sink may have answered already */
    }
    if (moat_event_wait() != (int)ok) {
        return BAD_VERDICT;
    }
    moat_event_send(done);
    return BAD_SEND_REFUSED; /* still running: done did not power off */
}

static int sink(void)
{
    uint64_t expected = ids_of(MOAT_RES_EVENT_RECV);
    unsigned hello = t_event("hello", MOAT_RES_EVENT_RECV);
    unsigned fin = t_event("fin", MOAT_RES_EVENT_RECV);
    unsigned bad = t_event("bad", MOAT_RES_EVENT_SEND);
    uint64_t seen = 0;
    while ((seen & (1ull << fin)) == 0u) {
        int e = moat_event_wait();
        if (e == (int)hello && (seen & (1ull << hello)) != 0u) {
            moat_event_send(bad); /* ids was restarted: it failed */
        }
        seen |= e >= 0 && e < MOAT_MAX_EVENTS ? 1ull << e : 1ull << 63;
    }
    /* Everything ids sent before fin is pending by now. */
    for (int e = moat_event_poll(); e >= 0; e = moat_event_poll()) {
        seen |= e < MOAT_MAX_EVENTS ? 1ull << e : 1ull << 63;
    }
    moat_event_send(seen == expected ? t_event("ok", MOAT_RES_EVENT_SEND) : bad);
    /* A restarted ids says hello again. */
    while (moat_event_wait() != (int)hello) {
    }
    moat_event_send(bad);
    return 0;
}

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "sink")) {
        return sink();
    }
    return ids();
}
