/*
 * linux-bridge-host: the Linux program of linux-bridge, on the host of the QEMU-run
 * system. It opens the channels by name with the Linux SDK (moat-linux.h; MOAT_CHANNELS
 * names the files moat-run --share gives QEMU), waits until the native subject is up
 * (host.down active), writes a burst larger than host.up's ring (so the subject loses
 * elements, which its lost counter must account for) and then a paced stream, and reads
 * and checks the subject's stream on host.down until its last element.
 * Exit status: 0 everything checked, 1 a corrupt or miscounted stream, 2 usage, channel
 * or timeout.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <moat-linux.h>

#include "bridge_common.h"

struct host_options {
    uint64_t count;   /* elements to send up, the last one flagged */
    uint64_t burst;   /* sent at once when the subject is up */
    unsigned rate;    /* elements per millisecond after the burst */
    unsigned timeout; /* seconds for the whole exchange */
};

static double host_now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void host_sleep_ms(void)
{
    struct timespec ms = { 0, 1000000 };
    (void)nanosleep(&ms, NULL);
}

/* Open one end by name, retrying while its file does not exist yet (moat-run makes it). */
static int host_open(struct moat_linux_channel *c, struct channel_writer *w,
                     struct channel_reader *r, const char *name, double deadline)
{
    char msg[1024];
    int err;
    do {
        err = w != NULL ? moat_linux_writer(c, w, name, BRIDGE_PROTOCOL,
                                            sizeof(struct bridge_element), 0, moat_linux_epoch())
                        : moat_linux_reader(c, r, name, BRIDGE_PROTOCOL,
                                            sizeof(struct bridge_element));
        if (err != CHANNEL_ERR_FILE_MISSING) {
            break;
        }
        host_sleep_ms();
    } while (host_now() < deadline);
    if (err != 0) {
        fprintf(stderr, "linux-bridge-host: %s\n", moat_linux_message(c, err, msg, sizeof(msg)));
    }
    return err;
}

/* Read what host.down has; returns false when the channel does not match. */
static bool host_drain(struct channel_reader *r, struct bridge_tally *t, bool *active)
{
    struct bridge_element e;
    enum channel_result res;
    while ((res = channel_read(r, &e)) != CHANNEL_NO_DATA && res != CHANNEL_INACTIVE) {
        if (res == CHANNEL_SUCCESS) {
            bridge_count(t, &e, channel_lost(r));
        } else if (res == CHANNEL_EPOCH_CHANGED) {
            *active = true;
        } else if (res == CHANNEL_INCOMPATIBLE) {
            fprintf(stderr, "linux-bridge-host: host.down does not match (see channel-stat)\n");
            return false;
        }
    }
    return true;
}

static int host_parse(int argc, char **argv, struct host_options *o)
{
    static const struct option longs[] = {
        { "count", required_argument, NULL, 'n' },
        { "burst", required_argument, NULL, 'b' },
        { "rate", required_argument, NULL, 'r' },
        { "timeout", required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    *o = (struct host_options){ 5000, 600, 20, 60 };
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        char *end;
        unsigned long long v;
        if (c == '?') {
            return 2;
        }
        v = strtoull(optarg, &end, 0);
        if (*end != '\0' || optarg[0] == '-') {
            fprintf(stderr, "linux-bridge-host: not a number: %s\n", optarg);
            return 2;
        }
        if (c == 'n') {
            o->count = v;
        } else if (c == 'b') {
            o->burst = v;
        } else if (c == 'r') {
            o->rate = (unsigned)v;
        } else {
            o->timeout = (unsigned)v;
        }
    }
    if (optind != argc || o->count == 0u || o->burst > o->count || o->rate == 0u) {
        fprintf(stderr, "usage: linux-bridge-host [--count N] [--burst N] [--rate N/ms] "
                        "[--timeout S]\n(channels by name: MOAT_CHANNELS=host.up=FILE,"
                        "host.down=FILE, as given to moat-run --share)\n");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct host_options o;
    struct moat_linux_channel up_c;
    struct moat_linux_channel down_c;
    struct channel_writer up;
    struct channel_reader down;
    struct bridge_tally t = { 0 };
    bool active = false;
    uint64_t sent = 0;
    if (host_parse(argc, argv, &o) != 0) {
        return 2;
    }
    double deadline = host_now() + o.timeout;
    if (host_open(&up_c, &up, NULL, BRIDGE_UP, deadline) != 0 ||
        host_open(&down_c, NULL, &down, BRIDGE_DOWN, deadline) != 0) {
        return 2;
    }
    printf("[host] %s: %zu slots; %s: %zu slots\n", BRIDGE_UP, up_c.file.elements, BRIDGE_DOWN,
           down_c.file.elements);
    /* The subject is up once it has initialised host.down. */
    while (!active && host_now() < deadline) {
        if (!host_drain(&down, &t, &active)) {
            return 2;
        }
        host_sleep_ms();
    }
    while ((sent < o.count || t.total == 0u) && active && host_now() < deadline) {
        uint64_t batch = sent == 0u ? o.burst : o.rate;
        for (uint64_t i = 0; i < batch && sent < o.count; i++, sent++) {
            struct bridge_element e;
            bridge_make(&e, sent, sent + 1u == o.count);
            channel_write(&up, &e);
        }
        if (!host_drain(&down, &t, &active)) {
            return 2;
        }
        host_sleep_ms();
    }
    uint64_t lost = channel_lost(&down);
    printf("[host] sent %" PRIu64 " to the subject\n", sent);
    printf("[host] from the subject: received %" PRIu64 " of %" PRIu64 ", lost %" PRIu64
           ", joined at %" PRIu64 ", corrupt %" PRIu64 ", miscounted %" PRIu64 "\n",
           t.received, t.total, lost, t.joined_at, t.corrupt, t.miscounted);
    if (!active || t.total == 0u) {
        fprintf(stderr, "linux-bridge-host: timed out after %u s (%s)\n", o.timeout,
                active ? "the subject's stream did not end" : "the subject never started");
        return 2;
    }
    bool ok = bridge_tally_ok(&t, lost);
    printf("[host] %s\n", ok ? "every element checks" : "MISCOUNTED or corrupt elements");
    (void)moat_linux_close(&up_c);
    (void)moat_linux_close(&down_c);
    return ok ? 0 : 1;
}
