/*
 * A subject that times its own restarts so that its reset ends just before its frame
 * does (tests/systems/reset-spill; one image, the role is the subject's name). Run
 * under QEMU -icount shift=0: one TSC tick is one guest instruction, so the run is
 * deterministic and every number is an instruction count.
 *
 * "spiller" (granted port 0x80, so its I/O bitmap span is set up again on each restart)
 * waits for the start of its next frame, spins until DELTA ticks before that frame's
 * end and restarts itself; the kernel runs its reset in chunks in the same frame. DELTA
 * sweeps the frame in steps shorter than one chunk, so in some life the last chunk ends
 * just before the frame end, and whatever the kernel does after the last chunk (fresh
 * registers, XSAVE area, I/O spans) runs at the frame end. Its count of lives is kept in
 * its channel, which a restart does not reset.
 *
 * "witness" runs in the frame right after the spiller's. It records each of its frame
 * starts (a jump in the TSC) against the plan (one major frame apart) and prints the
 * spread between its earliest and latest start: what the spiller's restarts moved its
 * frame boundary by. It powers off once the spiller has swept every DELTA.
 *
 * The frame lengths below must match system.xml (tick 1us).
 */
#include "testlib.h"

/* reset-spill: a 60 us frame; reset-spill-short ("spiller_short", "witness_short"): an
 * 8 us frame, shorter than twice what a reset's last part took at boot. */
#define SPILL_US  (short_frames() ? 8u : 60u)
#define MAJOR_US  (short_frames() ? 128u : 180u)
#define GAP_TSC   15000u /* longer than any kernel entry, shorter than any other frame */
#define STEP_TSC  300u   /* shorter than one 1 KiB reset chunk under -icount */
#define FIRST_TSC 1000u
#define LIVES     190u
#define MAGIC     0x7370696c6cull

struct spill_state {
    uint64_t magic;
    uint64_t lives;
};

static bool short_frames(void)
{
    const char *n = moat_sinfo_page->subject_name;
    return t_streq(n, "spiller_short") || t_streq(n, "witness_short");
}

static uint64_t us_to_tsc(uint64_t us)
{
    return us * 1000u * moat_sinfo_page->tsc_khz / 1000000u;
}

static volatile struct spill_state *state(void)
{
    const struct moat_sinfo_resource *r = t_resource("spill.state", MOAT_RES_CHANNEL);
    if (r == 0) {
        __builtin_trap();
    }
    return (volatile struct spill_state *)(uintptr_t)r->address;
}

/* Spins until the TSC jumps (the CPU ran other frames): returns the first read after. */
static uint64_t next_frame_start(void)
{
    uint64_t prev = moat_rdtsc();
    for (;;) {
        uint64_t t = moat_rdtsc();
        if (t - prev > GAP_TSC) {
            return t;
        }
        prev = t;
    }
}

static int spiller(void)
{
    volatile struct spill_state *s = state();
    if (s->magic != MAGIC) {
        s->lives = 0;
        s->magic = MAGIC;
    }
    s->lives = s->lives + 1u;
    t_outb(0x80, 0);
    if (s->lives > LIVES) {
        for (;;) {
            moat_yield();
        }
    }
    uint64_t delta = FIRST_TSC + (s->lives * STEP_TSC) % (us_to_tsc(SPILL_US) - 2u * FIRST_TSC);
    uint64_t at = next_frame_start() + us_to_tsc(SPILL_US) - delta;
    while (moat_rdtsc() < at) {
    }
    moat_event_send(t_event("again", MOAT_RES_EVENT_SEND));
    __builtin_trap(); /* not reached: the restart starts it afresh */
}

static int witness(void)
{
    volatile struct spill_state *s = state();
    const uint64_t major = us_to_tsc(MAJOR_US);
    uint64_t first = 0;
    int64_t lo = 0;
    int64_t hi = 0;
    uint64_t frames = 0;
    while (s->magic != MAGIC || s->lives <= LIVES) {
        uint64_t t = next_frame_start();
        if (frames == 0u) {
            first = t;
        }
        /* This start against the plan, as a signed offset from the first start. */
        int64_t off = (int64_t)((t - first + major / 2u) % major) - (int64_t)(major / 2u);
        lo = off < lo ? off : lo;
        hi = off > hi ? off : hi;
        frames++;
    }
    t_puts("witness: frames ");
    t_putu(frames);
    t_puts(", spiller lives ");
    t_putu(s->lives);
    t_puts("\nwitness: start spread ");
    t_putu((uint64_t)(hi - lo));
    t_puts("\n");
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    return 0;
}

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "spiller") ||
        t_streq(moat_sinfo_page->subject_name, "spiller_short")) {
        return spiller();
    }
    return witness();
}
