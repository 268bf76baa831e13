/*
 * One link of a chain of subjects (one image for all of them, tests/systems/many): wait
 * for the event from the subject before it, then send to the one after. So the last
 * subject hears its event only when every subject before it has run, in order. The last
 * one (its outgoing event is "done", a poweroff) reports and powers the machine off.
 */
#include "testlib.h"

/* The subject's first resource of `kind`, or 0. */
static const struct moat_sinfo_resource *first_of(uint32_t kind)
{
    const struct moat_sinfo *si = moat_sinfo_page;
    for (uint32_t i = 0; i < si->resource_count; i++) {
        if (si->resources[i].kind == kind) {
            return &si->resources[i];
        }
    }
    return 0;
}

int main(void)
{
    const struct moat_sinfo_resource *prev = first_of(MOAT_RES_EVENT_RECV);
    const struct moat_sinfo_resource *next = first_of(MOAT_RES_EVENT_SEND);
    /* Only the first link starts on its own: a later one without its event breaks the
     * chain (and the last one never reports). */
    if (prev == 0 && moat_sinfo_page->subject_id != 0) {
        for (;;) {
            (void)moat_event_wait();
        }
    }
    if (prev != 0) {
        while (moat_event_wait() != (int)prev->id) {
        }
    }
    if (next != 0 && t_streq(next->name, "done")) {
        t_puts("chain: ");
        t_putu(moat_sinfo_page->subject_id + 1u);
        t_puts(" subjects ran, each after the one before\n");
    }
    if (next != 0) {
        moat_event_send(next->id);
    }
    for (;;) {
        (void)moat_event_wait();
    }
}
