/*
 * Overload test subjects, one image (tests/systems/overload: frames of a few thousand
 * instructions under -icount, shorter than the kernel's own work at some boundaries).
 * "counter0"/"counter1" count their own frame starts (a TSC jump of more than GAP
 * microseconds between two reads); counter1 tells counter0 when it has FRAMES, and
 * counter0 powers off once it has FRAMES too and has heard from counter1. "restarter"
 * asks for "victim"'s restart (a 1 MiB reset) in a loop; "victim" and "spinner" spin.
 */
#include "testlib.h"

#ifndef FRAMES
#define FRAMES 3000u
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
        for (;;) {
            if (moat_event_poll() >= 0) {
                moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
            }
        }
    }
    if (t_streq(name, "counter1")) {
        count_frames(FRAMES);
        moat_event_send(t_event("counted", MOAT_RES_EVENT_SEND));
        for (;;) {
            moat_yield();
        }
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
