/*
 * Kernel actions granted by policy (test subjects, one image). "worker" announces each
 * life and then each of its frames to "boss". "boss" restarts the worker, stops it,
 * switches to a plan whose major frame is twice as long (and sees its own period double),
 * then reboots the machine (QEMU -no-reboot exits with status 0). Reports on COM1.
 */
#include "testlib.h"

static int worker(void)
{
    moat_event_send(t_event("worker_born", MOAT_RES_EVENT_SEND));
    unsigned alive = t_event("worker_alive", MOAT_RES_EVENT_SEND);
    for (;;) {
        moat_event_send(alive);
        moat_yield();
    }
}

/* Wait for incoming event `id`, at most `frames` of own frames; false on timeout. */
static bool boss_expect(unsigned id, uint32_t frames)
{
    for (uint32_t i = 0; i < frames; i++) {
        for (int e = moat_event_poll(); e >= 0; e = moat_event_poll()) {
            if (e == (int)id) {
                return true;
            }
        }
        moat_yield();
    }
    return false;
}

/* The TSC period of own frame starts: the shortest of a few intervals, since a frame
 * lost to a late timer (host load under emulation) only makes an interval longer. */
static uint64_t boss_period(void)
{
    moat_yield();
    uint64_t prev = moat_rdtsc();
    uint64_t best = UINT64_MAX;
    for (uint32_t i = 0; i < 6u; i++) {
        moat_yield();
        uint64_t t = moat_rdtsc();
        best = t - prev < best ? t - prev : best;
        prev = t;
    }
    return best;
}

static int boss(void)
{
    unsigned born = t_event("worker_born", MOAT_RES_EVENT_RECV);
    unsigned alive = t_event("worker_alive", MOAT_RES_EVENT_RECV);
    uint64_t khz = moat_sinfo_page->tsc_khz;

    t_puts(boss_expect(born, 50) ? "actions: worker started\n" : "actions: worker MISSING\n");
    moat_event_send(t_event("restart_worker", MOAT_RES_EVENT_SEND));
    t_puts(boss_expect(born, 50) ? "actions: worker restarted\n" : "actions: restart FAILED\n");
    moat_event_send(t_event("stop_worker", MOAT_RES_EVENT_SEND));
    (void)boss_expect(alive, 2); /* what it sent before it stopped */
    t_puts(boss_expect(alive, 20) ? "actions: stop FAILED\n" : "actions: worker stopped\n");

    uint64_t before = boss_period();
    moat_event_send(t_event("to_slow", MOAT_RES_EVENT_SEND));
    (void)boss_period(); /* the switch waits for the major frame's end */
    uint64_t after = boss_period();
    t_puts("actions: period ");
    t_putu(before * 1000u / khz);
    t_puts(" us, then ");
    t_putu(after * 1000u / khz);
    t_puts(" us\n");
    t_puts(after > before * 3u / 2u ? "actions: plan switched\n" : "actions: plan NOT switched\n");
    moat_event_send(t_event("reboot", MOAT_RES_EVENT_SEND));
    return 1;
}

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "worker")) {
        return worker();
    }
    return boss();
}
