/*
 * I/O bitmap switching (test subjects, one image). "uart_owner" is granted COM2 and
 * reads its line status register in each of its frames, so its bitmap is the one
 * loaded when its frame ends. Each tester runs in the frame right after one of
 * uart_owner's and tries COM2: "noport_in" (`in`) and "noport_out" (`out`), granted no
 * ports, and "other_port", granted only port 0x80, which writes 0x80 first. Each must
 * take #GP. A tester that gets through returns 7, audited as an exit.
 * Handshake, no frame counting: every life of a tester (on-fault restart) starts by
 * sending its one event to uart_owner and waits for uart_owner's go before it tries;
 * uart_owner counts a tester done when it hears from it again (restarted after the
 * attempt) and powers off when all three are done.
 */
#include "testlib.h"

enum { TESTERS = 3 };

/* The id of this subject's first resource of `kind` (each tester has one of each). */
static unsigned first_id(uint32_t kind)
{
    const struct moat_sinfo *si = moat_sinfo_page;
    for (uint32_t i = 0; i < si->resource_count; i++) {
        if (si->resources[i].kind == kind) {
            return si->resources[i].id;
        }
    }
    __builtin_trap();
}

static int tester(const char *name)
{
    moat_event_send(first_id(MOAT_RES_EVENT_SEND));
    while (moat_event_wait() != (int)first_id(MOAT_RES_EVENT_RECV)) {
    }
    if (t_streq(name, "noport_in")) {
        (void)t_inb(0x2fd);
    } else if (t_streq(name, "noport_out")) {
        t_outb(0x2f8, '!');
    } else {
        t_outb(0x80, 0);
        (void)t_inb(0x2fd);
    }
    return 7;
}

static int owner(void)
{
    static const char *const back[TESTERS] = {"back_in", "back_out", "back_other"};
    static const char *const go[TESTERS] = {"go_in", "go_out", "go_other"};
    unsigned heard[TESTERS] = {0};
    unsigned done = 0;
    while (done < TESTERS) {
        (void)t_inb(0x2fd);
        for (int e = moat_event_poll(); e >= 0; e = moat_event_poll()) {
            for (unsigned k = 0; k < TESTERS; k++) {
                if (e != (int)t_event(back[k], MOAT_RES_EVENT_RECV) || heard[k] >= 2u) {
                    continue;
                }
                if (++heard[k] == 1u) {
                    moat_event_send(t_event(go[k], MOAT_RES_EVENT_SEND));
                } else {
                    done++;
                }
            }
        }
        moat_yield(); /* entered in every frame of its own: its bitmap is loaded */
    }
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    return 0;
}

int main(void)
{
    const char *name = moat_sinfo_page->subject_name;
    if (t_streq(name, "uart_owner")) {
        return owner();
    }
    return tester(name);
}
