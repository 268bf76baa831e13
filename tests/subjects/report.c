/*
 * A subject whose fault reports do not fit its frames (tests/systems/report-spill; one
 * image, the role is the subject's name). Run under QEMU -icount shift=0: one TSC tick
 * is one guest instruction, so the run is deterministic.
 *
 * "crasher" has a 4 us frame (4,000 instructions), shorter than the kernel's report of
 * a fault (its audit lines and "restarted" line in the kernel log). It faults at once in
 * every life. "witness", in the frame right after the crasher's, records its frame
 * starts against the plan (one major frame apart) for WITNESS_FRAMES of its frames and
 * prints the spread between its earliest and latest start, then powers off.
 *
 * The frame lengths below must match system.xml (tick 1us).
 */
#include "testlib.h"

#define MAJOR_US       124u
#define GAP_TSC        15000u /* longer than any kernel entry, shorter than the others' frames */
#define WITNESS_FRAMES 300u

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

static int witness(void)
{
    const uint64_t major = MAJOR_US * 1000u * moat_sinfo_page->tsc_khz / 1000000u;
    uint64_t first = 0;
    int64_t lo = 0;
    int64_t hi = 0;
    for (uint32_t n = 0; n < WITNESS_FRAMES; n++) {
        uint64_t t = next_frame_start();
        if (n == 0u) {
            first = t;
        }
        /* This start against the plan, as a signed offset from the first start. */
        int64_t off = (int64_t)((t - first + major / 2u) % major) - (int64_t)(major / 2u);
        lo = off < lo ? off : lo;
        hi = off > hi ? off : hi;
    }
    t_puts("witness: start spread ");
    t_putu((uint64_t)(hi - lo));
    t_puts("\n");
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    return 0;
}

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "crasher")) {
        __builtin_trap();
    }
    return witness();
}
