/*
 * The template subject's main loop: find the channels and events by name, then answer
 * requests whenever the peer signals some. All decisions about messages live in
 * handler.c; this file only moves data between the kernel, the channels and the handler.
 */
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "handler.h"

int main(void)
{
    struct channel_reader requests;
    struct channel_writer replies;
    if (moat_channel_reader("requests", &requests) != 0 ||
        moat_channel_writer("replies", &replies, moat_rdtsc() | 1u) != 0) {
        moat_log("missing the requests or replies channel");
        return 1;
    }
    int request_ready = moat_event_incoming("request_ready");
    int reply_ready = moat_event_outgoing("reply_ready");
    if (request_ready < 0 || reply_ready < 0) {
        moat_log("missing the request_ready or reply_ready event");
        return 1;
    }
    moat_log("%s ready on CPU %u", moat_subject_name(), moat_cpu());

    struct handler_state state;
    handler_init(&state);
    for (;;) {
        (void)moat_event_wait();
        size_t answered = handler_pump(&state, &requests, &replies);
        if (answered > 0) {
            moat_log("answered %zu, total %lld", answered, (long long)state.total);
            moat_event_send((unsigned)reply_ready);
        }
    }
}
