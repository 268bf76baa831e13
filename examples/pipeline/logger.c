/*
 * logger: the end of the pipeline. Counts what arrives, notices gaps in the sequence,
 * logs every PIPELINE_LOG_EVERY-th value and publishes its counts for the controller.
 */
#include <moat/channel.h>
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "pipeline.h"

int main(void)
{
    struct channel_reader filtered;
    struct channel_writer stats_out;
    if (moat_channel_reader("filtered", &filtered) != 0 ||
        moat_channel_writer("stats", &stats_out, moat_rdtsc() | 1u) != 0) {
        moat_log("channels missing");
        return 1;
    }
    int stats_ready = moat_event("stats_ready");
    struct stats stats = {0};
    uint64_t expected = 0;
    for (;;) {
        (void)moat_event_wait();
        struct filtered f;
        bool got = false;
        while (moat_channel_next(&filtered, &f)) {
            if (f.sequence > expected) {
                stats.missing += f.sequence - expected;
            }
            expected = f.sequence + 1;
            stats.received++;
            got = true;
            if (f.sequence % PIPELINE_LOG_EVERY == 0) {
                moat_log("value %3llu: raw %3lld  average %3lld", (unsigned long long)f.sequence,
                         (long long)f.raw, (long long)f.average);
            }
        }
        if (got) {
            channel_write(&stats_out, &stats);
            moat_event_send((unsigned)stats_ready);
        }
    }
}
