/*
 * sensor: every PIPELINE_PERIOD_US takes a "measurement" (a triangle wave with a little
 * pseudo-random noise) and sends it down the pipeline. Paced by its own kernel timer.
 */
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "pipeline.h"

static uint32_t noise_state = 12345u;

/* A small linear congruential generator: noise in [-3, 3]. */
static int64_t noise(void)
{
    noise_state = noise_state * 1103515245u + 12345u;
    return (int64_t)((noise_state >> 16) % 7u) - 3;
}

static int64_t measure(uint64_t sequence)
{
    int64_t phase = (int64_t)(sequence % 100u);
    int64_t wave = phase < 50 ? phase * 2 : (100 - phase) * 2;
    return wave + noise();
}

int main(void)
{
    struct channel_writer samples;
    if (moat_channel_writer("samples", &samples, moat_rdtsc() | 1u) != 0) {
        moat_log("no samples channel");
        return 1;
    }
    int tick = moat_event("tick");
    int ready = moat_event("sample_ready");
    uint64_t period = moat_tsc_khz() * PIPELINE_PERIOD_US / 1000u;
    moat_log("sampling every %u us (%llu TSC ticks)", PIPELINE_PERIOD_US,
             (unsigned long long)period);

    uint64_t next = moat_rdtsc() + period;
    for (uint64_t sequence = 0;; sequence++) {
        moat_timer_set(next, (unsigned)tick);
        while (moat_event_wait() != tick) {
        }
        struct sample s = {.sequence = sequence, .tsc = moat_rdtsc(), .value = measure(sequence)};
        channel_write(&samples, &s);
        moat_event_send((unsigned)ready);
        next += period;
    }
}
