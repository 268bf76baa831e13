/*
 * controller: watches the logger's counts and powers the system off once
 * PIPELINE_MESSAGES values went through the whole pipeline (through the log server,
 * so that every line is printed first).
 */
#include <moat/channel.h>
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "pipeline.h"

int main(void)
{
    struct channel_reader stats_in;
    if (moat_channel_reader("stats", &stats_in) != 0) {
        moat_log("no stats channel");
        return 1;
    }
    int flush = moat_event("flush");
    moat_log("will stop the system after %u values", PIPELINE_MESSAGES);
    struct stats stats = {0};
    while (stats.received < PIPELINE_MESSAGES) {
        (void)moat_event_wait();
        struct stats latest;
        while (moat_channel_next(&stats_in, &latest)) {
            stats = latest;
        }
    }
    moat_log("%llu values through the pipeline, %llu missing: powering off",
             (unsigned long long)stats.received, (unsigned long long)stats.missing);
    /* The log server prints everything logged so far, then powers the system off. */
    moat_event_send((unsigned)flush);
    /* Nothing left to do: wait until the power goes. */
    for (;;) {
        (void)moat_event_wait();
    }
}
