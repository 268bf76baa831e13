/*
 * What ping and pong agree on: the ball is a round number and a counter; pong returns
 * it one higher. pong_return_balls() is pong's whole job, kept out of its main loop so
 * that test_pong.c can run it on the host.
 */
#ifndef PINGPONG_H
#define PINGPONG_H

#include <stddef.h>
#include <stdint.h>

#include <libchannel.h>

#define PINGPONG_PROTOCOL 0xb411u
#define PINGPONG_ROUNDS 10u

struct ball {
    uint64_t round;
    uint64_t count;
};

/* Return every ball waiting in from_ping one higher on to_ping; returns how many. */
size_t pong_return_balls(struct channel_reader *from_ping, struct channel_writer *to_ping);

#endif /* PINGPONG_H */
