/*
 * pong: whenever ping hits, returns every ball it finds one higher.
 */
#include <moat/channel.h>
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "pingpong.h"

int main(void)
{
    struct channel_reader in;
    struct channel_writer out;
    if (moat_channel_reader("ping", &in) != 0 ||
        moat_channel_writer("pong", &out, moat_rdtsc() | 1u) != 0) {
        moat_log("pong: channels missing");
        return 1;
    }
    int returned = moat_event("return");
    for (;;) {
        (void)moat_event_wait();
        struct ball ball;
        while (moat_channel_next(&in, &ball)) {
            ball.count++;
            channel_write(&out, &ball);
            moat_event_send((unsigned)returned);
        }
    }
}
