/*
 * What ping and pong agree on: the ball is one 64-bit counter; pong returns it plus one.
 */
#ifndef PINGPONG_H
#define PINGPONG_H

#include <stdint.h>

#define PINGPONG_PROTOCOL 0xb411u
#define PINGPONG_ROUNDS   10u

struct ball {
    uint64_t round;
    uint64_t count;
};

#endif /* PINGPONG_H */
