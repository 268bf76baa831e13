/*
 * Overload test subjects, one image (tests/systems/overload: frames of 250 and 3,000
 * instructions under -icount, many shorter than the kernel's own frame switch).
 * "counter0" counts its own frame starts (a TSC jump of more than GAP microseconds
 * between two reads) and powers off when it has FRAMES of them. "restarter" asks for
 * "victim"'s restart (a 1 MiB reset) in a loop; "victim" and "spinner0" spin.
 */
#include "testlib.h"

#ifndef FRAMES
#define FRAMES 1000u
#endif
#define GAP_US 2u

static void count_frames(uint32_t frames)
{
    uint64_t gap = moat_sinfo_page->tsc_khz * GAP_US / 1000u;
    uint64_t last = moat_rdtsc();
    for (uint32_t seen = 0; seen < frames;) {
        uint64_t now = moat_rdtsc();
        if (now - last > gap) {
            seen++;
        }
        last = now;
    }
}

int main(void)
{
    const char *name = moat_sinfo_page->subject_name;
    if (t_streq(name, "counter0")) {
        count_frames(FRAMES);
        moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    }
    if (t_streq(name, "restarter")) {
        unsigned restart = t_event("restart_victim", MOAT_RES_EVENT_SEND);
        for (;;) {
            moat_event_send(restart);
        }
    }
    for (;;) {
        __asm__ volatile("pause");
    }
}
