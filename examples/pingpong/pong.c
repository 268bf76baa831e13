/*
 * pong: whenever ping hits, returns every ball it finds one higher and tells ping.
 */
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "pingpong.h"

int main(void)
{
    struct channel_reader from_ping;
    struct channel_writer to_ping;
    if (moat_channel_reader("ping", &from_ping) != 0 ||
        moat_channel_writer("pong", &to_ping, moat_rdtsc() | 1u) != 0) {
        moat_log("pong: channels missing");
        return 1;
    }
    int returned = moat_event("return");
    for (;;) {
        (void)moat_event_wait();
        if (pong_return_balls(&from_ping, &to_ping) > 0) {
            moat_event_send((unsigned)returned);
        }
    }
}
