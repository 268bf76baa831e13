/*
 * The template subject's message handling (see handler.h): pure logic on messages and
 * libchannel calls, no kernel calls, so the same file builds for the subject and for
 * the host test.
 */
#include <moat/channel.h>

#include "handler.h"

void handler_init(struct handler_state *s)
{
    s->next_sequence = 0;
    s->handled = 0;
    s->gaps = 0;
    s->total = 0;
}

bool handler_handle(struct handler_state *s, const struct message *request, struct message *reply)
{
    /* A sequence number from the past is a duplicate: ignore it. */
    if (request->sequence < s->next_sequence) {
        return false;
    }
    s->gaps += request->sequence - s->next_sequence;
    s->next_sequence = request->sequence + 1;
    s->total += request->value;
    s->handled++;
    reply->sequence = request->sequence;
    reply->value = s->total;
    return true;
}

size_t handler_pump(struct handler_state *s, struct channel_reader *in, struct channel_writer *out)
{
    size_t answered = 0;
    struct message request;
    struct message reply;
    while (moat_channel_next(in, &request)) {
        if (handler_handle(s, &request, &reply)) {
            channel_write(out, &reply);
            answered++;
        }
    }
    return answered;
}
