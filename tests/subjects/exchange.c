/*
 * Channel exchange (test subjects, one image): "producer" writes sequence-numbered
 * messages to channel "data" in batches, one batch per frame, and notifies "consumer";
 * the consumer checks order and loss, reports on COM1 and powers off after TOTAL.
 */
#include <libchannel.h>

#include "testlib.h"

#define TOTAL 2000u
#define BATCH 32u
#define PROTOCOL 0x5e9u

struct message {
    uint64_t seq;
    uint64_t check;
};

static int producer(void)
{
    const struct moat_sinfo_resource *ch = t_resource("data", MOAT_RES_CHANNEL);
    unsigned ready = t_event("data_ready", MOAT_RES_EVENT_SEND);
    struct channel_writer w;
    if (ch == 0 || channel_writer_init(&w, (void *)(uintptr_t)ch->address, ch->size, PROTOCOL,
                                       sizeof(struct message), 1) != 0) {
        return 1;
    }
    for (uint64_t seq = 0; seq < TOTAL;) {
        for (uint32_t i = 0; i < BATCH && seq < TOTAL; i++, seq++) {
            struct message m = {seq, seq * 2654435761u};
            channel_write(&w, &m);
        }
        moat_event_send(ready);
        moat_yield();
    }
    for (;;) {
        moat_yield();
    }
}

static int consumer(void)
{
    const struct moat_sinfo_resource *ch = t_resource("data", MOAT_RES_CHANNEL);
    unsigned done = t_event("done", MOAT_RES_EVENT_SEND);
    struct channel_reader r;
    if (ch == 0 || channel_reader_init(&r, (const void *)(uintptr_t)ch->address, ch->size,
                                       PROTOCOL, sizeof(struct message)) != 0) {
        return 1;
    }
    uint64_t expected = 0;
    uint64_t bad = 0;
    uint64_t wakeups = 0;
    while (expected < TOTAL) {
        (void)moat_event_wait();
        wakeups++;
        for (uint32_t i = 0; i < 4u * BATCH; i++) {
            struct message m;
            enum channel_result res = channel_read(&r, &m);
            if (res == CHANNEL_NO_DATA) {
                break;
            }
            if (res == CHANNEL_SUCCESS) {
                if (m.seq != expected || m.check != m.seq * 2654435761u) {
                    bad++;
                }
                expected = m.seq + 1u;
                if (expected % 500u == 0u) {
                    t_puts("consumer: received ");
                    t_putu(expected);
                    t_puts("\n");
                }
            }
        }
    }
    t_puts("consumer: ");
    t_putu(expected);
    t_puts(" messages, ");
    t_putu(bad);
    t_puts(" out of order, ");
    t_putu(channel_lost(&r));
    t_puts(" lost, ");
    t_putu(wakeups);
    t_puts(" wakeups\n");
    moat_event_send(done);
    return 0;
}

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "producer")) {
        return producer();
    }
    return consumer();
}
