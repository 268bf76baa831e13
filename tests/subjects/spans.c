/*
 * I/O bitmap spans over more than one 8-byte word (tests/systems/io-spans; one image,
 * the role is the subject's name). "wide" is granted port 0x80 (bitmap word 2) and COM2
 * (0x2f8-0x2ff, word 11): both must work in every one of its frames, so the kernel must
 * load every word between the first and the last that grant a port. "bare", granted no
 * port and scheduled right after wide, must take #GP on 0x80, the lowest word of wide's
 * span, so the kernel must deny all of wide's span again on the switch.
 * Handshakes only: every life of wide and bare starts with a hello to "judge". wide
 * says ok after using both ports; judge then lets bare try. A second hello is a restart
 * after a fault: judge powers off at bare's second hello (the expected end) or wide's
 * second (wide lost a port: its audit record fails the test). A bare that gets through
 * returns 7 (audited as an exit, forbidden).
 */
#include "testlib.h"

static int wide(void)
{
    moat_event_send(t_event("wide_hello", MOAT_RES_EVENT_SEND));
    t_outb(0x80, 0);
    (void)t_inb(0x2fd);
    moat_event_send(t_event("wide_ok", MOAT_RES_EVENT_SEND));
    for (;;) {
        /* Both ports in every frame: wide's bitmap is the one loaded when it ends. */
        t_outb(0x80, 0);
        (void)t_inb(0x2fd);
        moat_yield();
    }
}

static int bare(void)
{
    moat_event_send(t_event("bare_hello", MOAT_RES_EVENT_SEND));
    while (moat_event_wait() != (int)t_event("bare_go", MOAT_RES_EVENT_RECV)) {
    }
    t_outb(0x80, 0);
    return 7;
}

static int judge(void)
{
    unsigned wide_hellos = 0;
    unsigned bare_hellos = 0;
    bool wide_ok = false;
    bool sent_go = false;
    while (wide_hellos < 2u && bare_hellos < 2u) {
        int e = moat_event_wait();
        if (e == (int)t_event("wide_hello", MOAT_RES_EVENT_RECV)) {
            wide_hellos++;
        } else if (e == (int)t_event("wide_ok", MOAT_RES_EVENT_RECV)) {
            wide_ok = true;
        } else if (e == (int)t_event("bare_hello", MOAT_RES_EVENT_RECV)) {
            bare_hellos++;
        }
        if (wide_ok && bare_hellos == 1u && !sent_go) {
            t_puts("judge: wide used 0x80 and COM2; bare tries 0x80\n");
            moat_event_send(t_event("bare_go", MOAT_RES_EVENT_SEND));
            sent_go = true;
        }
    }
    if (wide_hellos >= 2u) {
        t_puts("judge: wide restarted: it lost a granted port\n");
    }
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    return 0;
}

int main(void)
{
    const char *name = moat_sinfo_page->subject_name;
    if (t_streq(name, "wide")) {
        return wide();
    }
    if (t_streq(name, "bare")) {
        return bare();
    }
    return judge();
}
