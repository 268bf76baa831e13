/*
 * I/O bitmap switching (test subjects, one image). "com1_owner" is granted COM1 and
 * reads its line status register in each of its frames (so its bitmap is the one
 * loaded when its frame ends), then powers off after six frames. "noport_in" and
 * "noport_out", granted no ports, run right after it and try COM1: each must take #GP.
 * "other_port", granted only port 0x80, runs right after it too: it writes 0x80 and
 * then tries COM1, which must take #GP. One that gets through returns 7, audited as an
 * exit.
 */
#include "testlib.h"

int main(void)
{
    const char *name = moat_sinfo_page->subject_name;
    if (t_streq(name, "noport_in")) {
        (void)t_inb(0x3fd);
    } else if (t_streq(name, "noport_out")) {
        t_outb(0x3f8, '!');
    } else if (t_streq(name, "other_port")) {
        t_outb(0x80, 0);
        (void)t_inb(0x3fd);
    } else {
        for (uint32_t i = 0; i < 6u; i++) {
            (void)t_inb(0x3fd);
            moat_yield();
        }
        moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    }
    return 7;
}
