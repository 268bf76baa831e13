/*
 * The template system's test peer: sends numbered requests to the template subject,
 * checks every reply's running total, and has the system powered off when all came
 * back (through the log server, so that every line is printed first).
 * Replace it with your own subjects once yours works.
 */
#include <moat/channel.h>
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "handler.h"

#define FEEDER_REQUESTS 10u

int main(void)
{
    struct channel_writer requests;
    struct channel_reader replies;
    if (moat_channel_writer("requests", &requests, moat_rdtsc() | 1u) != 0 ||
        moat_channel_reader("replies", &replies) != 0) {
        moat_log("missing the requests or replies channel");
        return 1;
    }
    int request_ready = moat_event_outgoing("request_ready");
    int poweroff = moat_event_outgoing("poweroff");
    int64_t expected = 0;
    for (uint64_t seq = 0; seq < FEEDER_REQUESTS; seq++) {
        struct message request = {.sequence = seq, .value = (int64_t)(seq * seq)};
        expected += request.value;
        channel_write(&requests, &request);
        moat_event_send((unsigned)request_ready);
        struct message reply;
        while (!moat_channel_next(&replies, &reply)) {
            (void)moat_event_wait();
        }
        if (reply.sequence != seq || reply.value != expected) {
            moat_log("FAIL: reply %llu has total %lld, expected %llu / %lld",
                     (unsigned long long)reply.sequence, (long long)reply.value,
                     (unsigned long long)seq, (long long)expected);
            return 1;
        }
    }
    moat_log("all %u replies correct, total %lld", FEEDER_REQUESTS, (long long)expected);
    /* The kernel holds the poweroff until the log server has printed what was logged. */
    moat_event_send((unsigned)poweroff);
    /* Nothing left to do: wait until the power goes. */
    for (;;) {
        (void)moat_event_wait();
    }
}
