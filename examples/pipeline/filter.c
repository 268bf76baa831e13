/*
 * filter: smooths the sensor's samples with a moving average and passes each on with
 * its raw value.
 */
#include <moat/channel.h>
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "pipeline.h"

#define FILTER_WINDOW 8u

struct window {
    int64_t values[FILTER_WINDOW];
    unsigned count;
    unsigned next;
    int64_t sum;
};

static int64_t window_add(struct window *w, int64_t value)
{
    if (w->count == FILTER_WINDOW) {
        w->sum -= w->values[w->next];
    } else {
        w->count++;
    }
    w->values[w->next] = value;
    w->sum += value;
    w->next = (w->next + 1u) % FILTER_WINDOW;
    return w->sum / (int64_t)w->count;
}

int main(void)
{
    struct channel_reader samples;
    struct channel_writer filtered;
    if (moat_channel_reader("samples", &samples) != 0 ||
        moat_channel_writer("filtered", &filtered, moat_rdtsc() | 1u) != 0) {
        moat_log("channels missing");
        return 1;
    }
    int ready = moat_event("filtered_ready");
    struct window window = {0};
    for (;;) {
        (void)moat_event_wait();
        struct sample s;
        bool sent = false;
        while (moat_channel_next(&samples, &s)) {
            struct filtered f = {
                .sequence = s.sequence, .raw = s.value, .average = window_add(&window, s.value)};
            channel_write(&filtered, &f);
            sent = true;
        }
        if (sent) {
            moat_event_send((unsigned)ready);
        }
    }
}
