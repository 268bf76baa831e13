/*
 * linux-stream-reader: reads the elements linux-stream-writer streams through a channel
 * file (mapped PROT_READ), checks each one and reports received / lost / corrupt counts
 * once a second and at the end.
 *
 * received: intact elements in increasing sequence order.
 * lost:     elements the writer overwrote before this reader got to them, as counted by
 *           channel_lost(); the reader also checks that count against the gaps it sees
 *           in sequence numbers ("miscounted" would report a disagreement).
 * corrupt:  a bad checksum, or a sequence number that does not increase.
 * Exit status: 0 data received and nothing corrupt or miscounted, 1 otherwise,
 * 2 usage error or no usable channel.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libchannel.h"
#include "stream_common.h"

#define READER_MAX_BATCH 256u

struct reader_options {
    const char *path;
    const char *name;
    uint64_t batch;    /* elements per channel_read_batch call; 1 = channel_read */
    uint64_t delay_us; /* pause after each read that returned data: a slow consumer */
    uint64_t wait_s;   /* how long to wait for the channel to appear and be active */
};

struct reader_stats {
    uint64_t received;
    uint64_t corrupt;
    uint64_t miscounted;  /* elements where channel_lost() and sequence gaps disagreed */
    uint64_t gaps;        /* elements missing between received sequence numbers */
    uint64_t lost_offset; /* channel_lost() not explained by gaps (before the first element) */
    uint64_t overruns;    /* CHANNEL_OVERRUN results */
    uint64_t epochs;      /* writer epochs joined */
    uint64_t next_sequence;
    uint64_t latency_sum_ns;
    bool in_sequence; /* next_sequence is valid for the current epoch */
    bool saw_last;
};

static volatile sig_atomic_t reader_stop;

static void reader_on_signal(int signo)
{
    (void)signo;
    reader_stop = 1;
}

static void reader_usage(FILE *out)
{
    fprintf(out,
            "usage: linux-stream-reader [options] FILE\n"
            "Read and check the elements linux-stream-writer streams into channel FILE.\n"
            "  --name NAME    label for the output lines (default reader)\n"
            "  --batch N      elements per read call, 1..%u (default 64)\n"
            "  --delay-us N   pause after each read with data, to act as a slow reader\n"
            "  --wait N       seconds to wait for an active channel (default 10)\n",
            READER_MAX_BATCH);
}

static int reader_parse(int argc, char **argv, struct reader_options *opt)
{
    static const struct option longopts[] = {
        { "name", required_argument, NULL, 'n' },
        { "batch", required_argument, NULL, 'b' },
        { "delay-us", required_argument, NULL, 'd' },
        { "wait", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    opt->name = "reader";
    opt->batch = 64;
    opt->delay_us = 0;
    opt->wait_s = 10;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        bool ok = true;

        switch (c) {
        case 'n':
            opt->name = optarg;
            break;
        case 'b':
            ok = stream_parse_u64(optarg, &opt->batch) && opt->batch >= 1 &&
                 opt->batch <= READER_MAX_BATCH;
            break;
        case 'd':
            ok = stream_parse_u64(optarg, &opt->delay_us) && opt->delay_us < 1000000;
            break;
        case 'w':
            ok = stream_parse_u64(optarg, &opt->wait_s) && opt->wait_s <= 3600;
            break;
        case 'h':
            reader_usage(stdout);
            exit(0);
        default:
            ok = false;
            break;
        }
        if (!ok) {
            reader_usage(stderr);
            return -1;
        }
    }
    if (optind != argc - 1) {
        reader_usage(stderr);
        return -1;
    }
    opt->path = argv[optind];
    return 0;
}

/* Check one element that the library returned as SUCCESS. */
static void reader_check(struct reader_stats *s, const struct channel_reader *r,
                         const struct stream_element *e, uint64_t now)
{
    uint64_t lost = channel_lost(r);

    if (stream_checksum(e) != e->checksum) {
        s->corrupt++;
        return;
    }
    if (s->in_sequence && e->sequence < s->next_sequence) {
        s->corrupt++;
        return;
    }
    if (!s->in_sequence) {
        /* First element of an epoch: whatever was skipped before it is not a gap. */
        s->lost_offset = lost - s->gaps;
        s->in_sequence = true;
    } else {
        s->gaps += e->sequence - s->next_sequence;
        if (lost - s->lost_offset != s->gaps) {
            s->miscounted++;
            s->lost_offset = lost - s->gaps;
        }
    }
    s->next_sequence = e->sequence + 1;
    s->received++;
    s->latency_sum_ns += now > e->time_ns ? now - e->time_ns : 0;
    if ((e->flags & STREAM_FLAG_LAST) != 0) {
        s->saw_last = true;
    }
}

/* Map the file once it exists and is big enough to be a channel. */
static int reader_attach(const struct reader_options *opt, struct channel_reader *r,
                         void **mem, size_t *mem_size, uint64_t deadline)
{
    int err;

    for (;;) {
        err = channel_map_file(opt->path, false, mem, mem_size);
        if (err == 0) {
            err = channel_reader_init(r, *mem, *mem_size, STREAM_PROTOCOL,
                                      sizeof(struct stream_element));
            if (err == 0) {
                return 0;
            }
            channel_unmap(*mem, *mem_size);
        }
        if (reader_stop || stream_now_ns() >= deadline) {
            fprintf(stderr, "[%s] no usable channel at %s (error %d)\n", opt->name, opt->path,
                    err);
            return -1;
        }
        stream_sleep_ns(20000000);
    }
}

static void reader_report(const struct reader_options *opt, const struct reader_stats *s,
                          const struct channel_reader *r, double seconds, const char *what)
{
    printf("[%s] %5.1fs  received %10" PRIu64 "  lost %9" PRIu64 "  corrupt %" PRIu64 "%s\n",
           opt->name, seconds, s->received, channel_lost(r), s->corrupt, what);
}

/* Read until the writer's last element, the writer going inactive, or a signal. */
static int reader_run(const struct reader_options *opt, struct channel_reader *r,
                      struct reader_stats *s, uint64_t deadline)
{
    static struct stream_element buf[READER_MAX_BATCH];
    uint64_t start = stream_now_ns();
    uint64_t next_report = start + 1000000000u;
    bool active = false;

    while (!reader_stop && !s->saw_last) {
        enum channel_result res;
        size_t count = 0;
        uint64_t now;
        size_t i;

        if (opt->batch == 1) {
            res = channel_read(r, &buf[0]);
            count = res == CHANNEL_SUCCESS ? 1 : 0;
        } else {
            res = channel_read_batch(r, buf, (size_t)opt->batch, &count);
        }
        now = stream_now_ns();
        switch (res) {
        case CHANNEL_SUCCESS:
            for (i = 0; i < count; i++) {
                reader_check(s, r, &buf[i], now);
            }
            if (opt->delay_us != 0) {
                stream_sleep_ns((long)opt->delay_us * 1000L);
            }
            break;
        case CHANNEL_NO_DATA:
            stream_sleep_ns(100000);
            break;
        case CHANNEL_OVERRUN:
            s->overruns++;
            break;
        case CHANNEL_EPOCH_CHANGED:
            s->epochs++;
            s->in_sequence = false;
            active = true;
            printf("[%s] joined the writer's epoch (%" PRIu64 " so far)\n", opt->name,
                   s->epochs);
            break;
        case CHANNEL_INACTIVE:
        case CHANNEL_INCOMPATIBLE:
            if (active && res == CHANNEL_INACTIVE) {
                printf("[%s] the writer deactivated the channel\n", opt->name);
                return 0;
            }
            if (now >= deadline) {
                fprintf(stderr, "[%s] channel %s\n", opt->name,
                        res == CHANNEL_INACTIVE ? "never became active"
                                                : "is not a linux-stream channel");
                return -1;
            }
            stream_sleep_ns(10000000);
            break;
        }
        if (now >= next_report) {
            reader_report(opt, s, r, (double)(now - start) / 1e9, "");
            next_report += 1000000000u;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct reader_options opt;
    struct reader_stats stats;
    struct channel_reader r;
    uint64_t deadline;
    uint64_t start;
    size_t mem_size = 0;
    void *mem = NULL;
    int status;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (reader_parse(argc, argv, &opt) != 0) {
        return 2;
    }
    signal(SIGINT, reader_on_signal);
    signal(SIGTERM, reader_on_signal);
    start = stream_now_ns();
    deadline = start + opt.wait_s * 1000000000u;
    if (reader_attach(&opt, &r, &mem, &mem_size, deadline) != 0) {
        return 2;
    }
    memset(&stats, 0, sizeof(stats));
    if (reader_run(&opt, &r, &stats, deadline) != 0) {
        channel_unmap(mem, mem_size);
        return 2;
    }
    reader_report(&opt, &stats, &r, (double)(stream_now_ns() - start) / 1e9,
                  stats.saw_last ? "  (end of stream)" : "");
    printf("[%s] done: received %" PRIu64 ", lost %" PRIu64 " in %" PRIu64
           " overrun(s), corrupt %" PRIu64 ", miscounted %" PRIu64 ", mean latency %.1f us\n",
           opt.name, stats.received, channel_lost(&r), stats.overruns, stats.corrupt,
           stats.miscounted,
           stats.received != 0 ? (double)stats.latency_sum_ns / (double)stats.received / 1e3
                               : 0.0);
    status = stats.received != 0 && stats.corrupt == 0 && stats.miscounted == 0 ? 0 : 1;
    channel_unmap(mem, mem_size);
    return status;
}
