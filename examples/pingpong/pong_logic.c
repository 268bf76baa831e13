/*
 * pong's logic: plain libchannel calls, no kernel calls, so it runs on the host too.
 */
#include <moat/channel.h>

#include "pingpong.h"

size_t pong_return_balls(struct channel_reader *from_ping, struct channel_writer *to_ping)
{
    size_t returned = 0;
    struct ball ball;
    while (moat_channel_next(from_ping, &ball)) {
        ball.count++;
        channel_write(to_ping, &ball);
        returned++;
    }
    return returned;
}
