/*
 * Timing witness (test subject): finds the start of each of its minor frames (a jump in
 * the TSC longer than GAP_US means other frames ran in between) and measures each
 * start's phase against the plan: start k should come k major frames (MAJOR_US) after
 * the first measured start. Reports on COM1, then powers off through its "done" event:
 *  - drift: the median, over pairs of starts half a run apart, of the phase change per
 *    major frame. A schedule computed from "now" instead of the plan drifts by the
 *    switch latency every frame; host-load jitter under emulation only adds outliers,
 *    which the median ignores. Tests bound this tightly.
 *  - worst deviation: the largest distance of a phase from the median phase. Under
 *    emulation on a loaded host this includes host scheduling delays; bounded loosely.
 */
#include "testlib.h"

#ifndef MAJOR_US
#define MAJOR_US 20000u
#endif
#ifndef GAP_US
#define GAP_US 8000u
#endif
#ifndef FRAMES
#define FRAMES 100u
#endif
/* Frames skipped before measuring: QEMU's first translation of the code is slow. */
#define WARMUP 5u

static int64_t phases[FRAMES];
static int64_t sorted[FRAMES];

static int64_t median(const int64_t *v, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        int64_t x = v[i];
        uint64_t j = i;
        for (; j > 0u && sorted[j - 1u] > x; j--) {
            sorted[j] = sorted[j - 1u];
        }
        sorted[j] = x;
    }
    return n == 0u ? 0 : sorted[n / 2u];
}

static uint64_t magnitude(int64_t v)
{
    return v < 0 ? (uint64_t)-v : (uint64_t)v;
}

int main(void)
{
    uint64_t khz = moat_sinfo_page->tsc_khz;
    uint64_t period = MAJOR_US * khz / 1000u;
    uint64_t gap = GAP_US * khz / 1000u;
    unsigned done = t_event("done", MOAT_RES_EVENT_SEND);
    uint64_t first = 0;
    uint64_t count = 0;
    uint64_t measured = 0;
    uint64_t last = moat_rdtsc();

    while (count < FRAMES) {
        uint64_t t = moat_rdtsc();
        if (t - last > gap) {
            if (count == WARMUP) {
                first = t;
            } else if (count > WARMUP) {
                uint64_t k = (t - first + period / 2u) / period;
                phases[measured++] = (int64_t)(t - first - k * period);
            }
            count++;
        }
        last = t;
    }

    uint64_t half = measured / 2u;
    int64_t slopes[FRAMES / 2u];
    for (uint64_t i = 0; i < half; i++) {
        slopes[i] = phases[i + half] - phases[i];
    }
    uint64_t drift_ns = half == 0u ? 0u : magnitude(median(slopes, half)) * 1000000u / khz / half;
    int64_t centre = median(phases, measured);
    uint64_t worst = 0;
    for (uint64_t i = 0; i < measured; i++) {
        uint64_t d = magnitude(phases[i] - centre);
        worst = d > worst ? d : worst;
    }
    t_puts("witness: frames ");
    t_putu(count);
    t_puts("\nwitness: drift ns per major frame ");
    t_putu(drift_ns);
    t_puts("\nwitness: worst deviation us ");
    t_putu(worst * 1000u / khz);
    t_puts("\n");
    moat_event_send(done);
    return 0;
}
