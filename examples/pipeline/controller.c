/*
 * controller: watches the logger's counts and powers the system off once
 * PIPELINE_MESSAGES values went through the whole pipeline (the kernel carries the
 * poweroff out once the log server has printed every line logged before it).
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
    int poweroff = moat_event("poweroff");
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
    /* The kernel logs "poweroff: requested by controller" and powers off after the log
     * server has printed everything logged so far. */
    moat_event_send((unsigned)poweroff);
    /* Nothing left to do: wait until the power goes. */
    for (;;) {
        (void)moat_event_wait();
    }
}
