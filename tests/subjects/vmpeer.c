/*
 * Native subjects beside the tiny guest (tests/vm-tiny), by name: "peer" answers each
 * "ping" the VM sends by vmmcall with a "kick", which the kernel injects into the VM as
 * its policy's vector; "keeper" yields through FRAMES of its frames (the VMs beside it
 * fault and restart meanwhile), says so and has the log server power off.
 */
#include "testlib.h"

#define FRAMES 40u

static void peer(void)
{
    unsigned ping = t_event("ping", MOAT_RES_EVENT_RECV);
    unsigned kick = t_event("kick", MOAT_RES_EVENT_SEND);
    for (;;) {
        if (moat_event_wait() == (int)ping) {
            t_puts("got the ping, kicking\n");
            moat_event_send(kick);
        }
    }
}

static void keeper(void)
{
    for (uint32_t i = 0; i < FRAMES; i++) {
        moat_yield();
    }
    t_puts("keeper: ");
    t_putu(FRAMES);
    t_puts(" frames\n");
    /* The log server prints it, then powers off ("flushed"). */
    moat_event_send(t_event("flush", MOAT_RES_EVENT_SEND));
    for (;;) {
        moat_yield();
    }
}

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "keeper")) {
        keeper();
    } else {
        peer();
    }
    return 0;
}
