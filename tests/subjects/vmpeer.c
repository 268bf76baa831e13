/*
 * The tiny guest's native peer (tests/vm-tiny): answers each "ping" the VM sends by
 * vmmcall with a "kick", which the kernel injects into the VM as its policy's vector.
 */
#include "testlib.h"

int main(void)
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
