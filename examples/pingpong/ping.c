/*
 * ping: serves the ball to pong, waits for it to come back one higher, and after
 * PINGPONG_ROUNDS rounds powers the system off.
 */
#include <moat/channel.h>
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "pingpong.h"

int main(void)
{
    struct channel_writer out;
    struct channel_reader in;
    if (moat_channel_writer("ping", &out, moat_rdtsc() | 1u) != 0 ||
        moat_channel_reader("pong", &in) != 0) {
        moat_log("ping: channels missing");
        return 1;
    }
    int hit = moat_event("hit");
    int poweroff = moat_event("poweroff");

    struct ball ball = {.round = 0, .count = 0};
    for (ball.round = 1; ball.round <= PINGPONG_ROUNDS; ball.round++) {
        channel_write(&out, &ball);
        moat_event_send((unsigned)hit);
        struct ball back;
        while (!moat_channel_next(&in, &back)) {
            (void)moat_event_wait();
        }
        if (back.round != ball.round || back.count != ball.count + 1) {
            moat_log("ping: bad return in round %llu", (unsigned long long)ball.round);
            return 1;
        }
        moat_log("round %llu: sent %llu, got %llu", (unsigned long long)ball.round,
                 (unsigned long long)ball.count, (unsigned long long)back.count);
        ball.count = back.count;
    }
    moat_log("game over after %u rounds", PINGPONG_ROUNDS);
    /* The kernel powers off once the log server has printed everything logged so far. */
    moat_event_send((unsigned)poweroff);
    /* Nothing left to do: wait until the power goes. */
    for (;;) {
        (void)moat_event_wait();
    }
}
