/*
 * The template subject's message handling, kept apart from its main loop so it can be
 * unit-tested on the host (test_handler.c) without booting anything.
 *
 * Protocol: requests carry a sequence number and a value; the reply to each request
 * carries the same sequence number and the running total of all values so far.
 */
#ifndef TEMPLATE_HANDLER_H
#define TEMPLATE_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libchannel.h>

#define MESSAGE_PROTOCOL 0x7e3a1u

struct message {
    uint64_t sequence;
    int64_t value;
};

struct handler_state {
    uint64_t next_sequence; /* the sequence number expected next */
    uint64_t handled;       /* requests answered */
    uint64_t gaps;          /* requests missing from the sequence */
    int64_t total;          /* sum of the values handled */
};

void handler_init(struct handler_state *s);
/* Handle one request and fill the reply; false when the request is to be ignored. */
bool handler_handle(struct handler_state *s, const struct message *request, struct message *reply);
/* Answer every request waiting in `in` on `out`; returns how many were answered. */
size_t handler_pump(struct handler_state *s, struct channel_reader *in, struct channel_writer *out);

#endif /* TEMPLATE_HANDLER_H */
