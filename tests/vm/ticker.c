/*
 * The native subject beside the VMs of tests/vm (test subject). It gives up its frame
 * at once each time and prints "ticker: N" every TICK_FRAMES of its frames, so the
 * expect files see it keep its schedule (numbers in sequence) while Linux boots beside
 * it. With "up" events in its policy (vm-linux-two) it counts each VM's "up" event and,
 * once every VM has sent one, powers the system off through its "done" event.
 */
#include "../subjects/testlib.h"

#define TICK_FRAMES 50u

int main(void)
{
    const struct moat_sinfo_resource *a = t_resource("a-up", MOAT_RES_EVENT_RECV);
    const struct moat_sinfo_resource *b = t_resource("b-up", MOAT_RES_EVENT_RECV);
    bool a_up = a == 0, b_up = b == 0;
    bool waiting = !(a_up && b_up);
    for (uint64_t frames = 1;; frames++) {
        if (frames % TICK_FRAMES == 0u) {
            t_puts("ticker: ");
            t_putu(frames / TICK_FRAMES);
            t_puts("\n");
        }
        int id;
        while (waiting && (id = moat_event_poll()) >= 0) {
            if (a != 0 && (unsigned)id == a->id && !a_up) {
                a_up = true;
                t_puts("ticker: linux-a is up\n");
            }
            if (b != 0 && (unsigned)id == b->id && !b_up) {
                b_up = true;
                t_puts("ticker: linux-b is up\n");
            }
            if (a_up && b_up) {
                t_puts("ticker: both VMs are up, powering off\n");
                moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
            }
        }
        moat_yield();
    }
}
