/*
 * Timing witness (test subject): finds the start of each of its minor frames (a jump in
 * the TSC longer than GAP_US means other frames ran in between) and measures how late
 * each start is against the plan, whose phase it estimates from the starts themselves
 * (frames are planned MAJOR_US apart; a start can be late, never early). Reports on
 * COM1, then powers off through its "done" event:
 *  - drift: how much the earliest start of the last quarter of the run is later than
 *    the earliest of the first quarter, per major frame in between. A schedule computed
 *    from "now" instead of the plan drifts by its switch latency every frame; host load
 *    under emulation makes some starts late but leaves some on time in every quarter.
 *    Tests bound this tightly.
 *  - the median length of its own frames (from a start to the last TSC read before the
 *    next gap), which a mis-scaled timer or a stretched neighbour frame would change;
 *    tests bound it around the planned length (FRAME_US).
 *  - the 90th percentile and the worst lateness of the starts. Under emulation both
 *    include host scheduling delays of the emulator; tests bound the percentile, which
 *    a few host hiccups do not move, and report the worst.
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
#ifndef FRAME_US
#define FRAME_US 4000u
#endif
/* Frames skipped before measuring: QEMU's first translation of the code is slow. */
#define WARMUP 5u

static uint64_t offsets[FRAMES]; /* start minus the first start, modulo the period */
static uint64_t late[FRAMES];
static uint64_t lengths[FRAMES];

static void insert_sorted(uint64_t *v, uint64_t count, uint64_t x)
{
    uint64_t j = count;
    for (; j > 0u && v[j - 1u] > x; j--) {
        v[j] = v[j - 1u];
    }
    v[j] = x;
}

/* How late offset o is against plan phase b (both in [0, period)). */
static uint64_t lateness(uint64_t o, uint64_t b, uint64_t period)
{
    return o >= b ? o - b : o + period - b;
}

/* The plan's phase: the offset that makes the starts least late in total. */
static uint64_t plan_phase(uint64_t n, uint64_t period)
{
    uint64_t best = 0;
    uint64_t best_sum = UINT64_MAX;
    for (uint64_t j = 0; j < n; j++) {
        uint64_t sum = 0;
        for (uint64_t k = 0; k < n; k++) {
            sum += lateness(offsets[k], offsets[j], period);
        }
        if (sum < best_sum) {
            best_sum = sum;
            best = offsets[j];
        }
    }
    return best;
}

static uint64_t earliest(uint64_t from, uint64_t to, uint64_t phase, uint64_t period)
{
    uint64_t e = UINT64_MAX;
    for (uint64_t k = from; k < to; k++) {
        uint64_t l = lateness(offsets[k], phase, period);
        e = l < e ? l : e;
    }
    return e;
}

int main(void)
{
    uint64_t khz = moat_sinfo_page->tsc_khz;
    uint64_t period = MAJOR_US * khz / 1000u;
    uint64_t gap = GAP_US * khz / 1000u;
    unsigned done = t_event("done", MOAT_RES_EVENT_SEND);
    uint64_t first = 0;
    uint64_t count = 0;
    uint64_t n = 0;
    uint64_t length_count = 0;
    uint64_t frame_start = 0;
    uint64_t last = moat_rdtsc();

    while (count < FRAMES) {
        uint64_t t = moat_rdtsc();
        if (t - last > gap) {
            if (count > WARMUP) {
                insert_sorted(lengths, length_count++, last - frame_start);
            }
            if (count == WARMUP) {
                first = t;
            }
            if (count >= WARMUP) {
                offsets[n++] = (t - first) % period;
            }
            frame_start = t;
            count++;
        }
        last = t;
    }

    uint64_t phase = plan_phase(n, period);
    uint64_t quarter = n / 4u;
    uint64_t a = earliest(0, quarter, phase, period);
    uint64_t b = earliest(n - quarter, n, phase, period);
    uint64_t drift_ns = b > a && n > quarter ? (b - a) * 1000000u / khz / (n - quarter) : 0u;
    /* Lateness of every start, sorted (insertion sort: n is small). */
    for (uint64_t k = 0; k < n; k++) {
        insert_sorted(late, k, lateness(offsets[k], phase, period));
    }
    uint64_t length = length_count == 0u ? 0u : lengths[length_count / 2u];
    uint64_t p90 = n == 0u ? 0u : late[n * 9u / 10u];
    uint64_t worst = n == 0u ? 0u : late[n - 1u];
    t_puts("witness: frames ");
    t_putu(count);
    t_puts("\nwitness: drift ns per major frame ");
    t_putu(drift_ns);
    t_puts("\nwitness: median frame length us ");
    t_putu(length * 1000u / khz);
    t_puts(" of ");
    t_putu(FRAME_US);
    t_puts("\nwitness: frame length error us ");
    uint64_t planned = FRAME_US * khz / 1000u;
    t_putu((length > planned ? length - planned : planned - length) * 1000u / khz);
    t_puts("\nwitness: 90th percentile lateness us ");
    t_putu(p90 * 1000u / khz);
    t_puts("\nwitness: worst lateness us ");
    t_putu(worst * 1000u / khz);
    t_puts("\n");
    moat_event_send(done);
    return 0;
}
