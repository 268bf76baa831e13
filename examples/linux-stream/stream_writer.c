/*
 * linux-stream-writer: streams sequence-numbered, checksummed elements into a channel
 * file for a while, at a set rate, printing progress once a second. The writer never
 * waits for readers: a reader that falls behind loses elements and is told so.
 *
 * At the end it writes one element flagged STREAM_FLAG_LAST, gives readers a moment
 * to see it, and deactivates the channel (epoch 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libchannel.h"
#include "stream_common.h"

#define WRITER_MAX_BATCH 256u

struct writer_options {
    const char *path;
    uint64_t duration_ns;
    uint64_t rate;     /* elements per second; 0 = as fast as possible */
    uint64_t elements; /* channel capacity when the file is created */
    uint64_t batch;    /* elements per channel_write_batch call; 1 = channel_write */
    uint64_t linger_ms;
};

static volatile sig_atomic_t writer_stop;

static void writer_on_signal(int signo)
{
    (void)signo;
    writer_stop = 1;
}

static void writer_usage(FILE *out)
{
    fprintf(out,
            "usage: linux-stream-writer [options] FILE\n"
            "Stream sequence-numbered, checksummed 64-byte elements into channel FILE\n"
            "(created, or grown, to hold the channel).\n"
            "  --seconds N    how long to write (default 3)\n"
            "  --rate N       elements per second, 0 = as fast as possible (default 100000)\n"
            "  --elements N   channel capacity in elements for a new file (default 4096)\n"
            "  --batch N      elements per write call, 1..%u (default 1)\n"
            "  --linger-ms N  wait before deactivating, so readers see the end (default 200)\n",
            WRITER_MAX_BATCH);
}

static int writer_parse(int argc, char **argv, struct writer_options *opt)
{
    static const struct option longopts[] = {
        { "seconds", required_argument, NULL, 's' },
        { "rate", required_argument, NULL, 'r' },
        { "elements", required_argument, NULL, 'e' },
        { "batch", required_argument, NULL, 'b' },
        { "linger-ms", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t seconds = 3;
    int c;

    opt->rate = 100000;
    opt->elements = 4096;
    opt->batch = 1;
    opt->linger_ms = 200;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        bool ok = true;

        switch (c) {
        case 's':
            ok = stream_parse_u64(optarg, &seconds) && seconds <= 86400;
            break;
        case 'r':
            ok = stream_parse_u64(optarg, &opt->rate) && opt->rate <= 1000000000u;
            break;
        case 'e':
            ok = stream_parse_u64(optarg, &opt->elements) && opt->elements >= 1 &&
                 opt->elements <= (1u << 24);
            break;
        case 'b':
            ok = stream_parse_u64(optarg, &opt->batch) && opt->batch >= 1 &&
                 opt->batch <= WRITER_MAX_BATCH;
            break;
        case 'l':
            ok = stream_parse_u64(optarg, &opt->linger_ms) && opt->linger_ms <= 10000;
            break;
        case 'h':
            writer_usage(stdout);
            exit(0);
        default:
            ok = false;
            break;
        }
        if (!ok) {
            writer_usage(stderr);
            return -1;
        }
    }
    if (optind != argc - 1) {
        writer_usage(stderr);
        return -1;
    }
    opt->path = argv[optind];
    opt->duration_ns = seconds * 1000000000u;
    return 0;
}

/* Create the file, or grow it to hold the channel; never shrink what a reader maps. */
static int writer_prepare_file(const struct writer_options *opt)
{
    off_t needed = (off_t)(CHANNEL_HEADER_SIZE + opt->elements * sizeof(struct stream_element));
    struct stat st;
    int fd;

    fd = open(opt->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "writer: %s: %s\n", opt->path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    if (st.st_size < needed && ftruncate(fd, needed) != 0) {
        fprintf(stderr, "writer: %s: resize: %s\n", opt->path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* Write elements first..first+count-1, in calls of at most opt->batch elements. */
static void writer_emit(struct channel_writer *w, const struct writer_options *opt,
                        uint64_t first, uint64_t count, uint64_t flags)
{
    static struct stream_element batch[WRITER_MAX_BATCH];
    uint64_t now = stream_now_ns();

    while (count > 0) {
        uint64_t n = count < opt->batch ? count : opt->batch;
        uint64_t i;

        for (i = 0; i < n; i++) {
            stream_fill(&batch[i], first + i, now, flags);
        }
        if (n == 1) {
            channel_write(w, &batch[0]);
        } else {
            channel_write_batch(w, batch, (size_t)n);
        }
        first += n;
        count -= n;
    }
}

/* The main loop: keep written on the rate line until the time is up or a signal. */
static uint64_t writer_run(struct channel_writer *w, const struct writer_options *opt)
{
    uint64_t start = stream_now_ns();
    uint64_t next_report = start + 1000000000u;
    uint64_t last_report_count = 0;
    uint64_t written = 0;
    uint64_t now = start;

    while (!writer_stop && now - start < opt->duration_ns) {
        uint64_t target = written + opt->batch;

        if (opt->rate != 0) {
            target = (uint64_t)((double)opt->rate * (double)(now - start) / 1e9);
        }
        if (target > written) {
            writer_emit(w, opt, written, target - written, 0);
            written = target;
        } else {
            stream_sleep_ns(100000);
        }
        now = stream_now_ns();
        if (now >= next_report) {
            printf("[writer] %5.1fs  written %10" PRIu64 "  (%" PRIu64 "/s)\n",
                   (double)(now - start) / 1e9, written, written - last_report_count);
            last_report_count = written;
            next_report += 1000000000u;
        }
    }
    writer_emit(w, opt, written, 1, STREAM_FLAG_LAST);
    written++;
    if (now == start) {
        now++;
    }
    printf("[writer] done: %" PRIu64 " elements in %.2fs (%.0f/s), the last one flagged\n",
           written, (double)(now - start) / 1e9, (double)written * 1e9 / (double)(now - start));
    return written;
}

int main(int argc, char **argv)
{
    struct writer_options opt;
    struct channel_writer w;
    uint64_t epoch;
    size_t mem_size = 0;
    void *mem = NULL;
    int err;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (writer_parse(argc, argv, &opt) != 0) {
        return 2;
    }
    if (writer_prepare_file(&opt) != 0) {
        return 2;
    }
    err = channel_map_file(opt.path, true, &mem, &mem_size);
    if (err != 0) {
        fprintf(stderr, "writer: map %s: %s\n", opt.path, strerror(-err));
        return 2;
    }
    /* A fresh nonzero epoch per run, so readers notice a restarted writer. */
    epoch = stream_mix(stream_now_ns() ^ ((uint64_t)getpid() << 32)) | 1u;
    err = channel_writer_init(&w, mem, mem_size, STREAM_PROTOCOL, sizeof(struct stream_element),
                              epoch);
    if (err != 0) {
        fprintf(stderr, "writer: channel_writer_init: error %d\n", err);
        channel_unmap(mem, mem_size);
        return 2;
    }
    signal(SIGINT, writer_on_signal);
    signal(SIGTERM, writer_on_signal);
    printf("[writer] channel %s: %" PRIu64 " elements of %zu bytes, epoch 0x%016" PRIx64
           ", %" PRIu64 " elements/s\n",
           opt.path, (uint64_t)((mem_size - CHANNEL_HEADER_SIZE) / sizeof(struct stream_element)),
           sizeof(struct stream_element), epoch, opt.rate);

    writer_run(&w, &opt);
    stream_sleep_ns((long)(opt.linger_ms % 1000) * 1000000L);
    sleep((unsigned)(opt.linger_ms / 1000));
    channel_deactivate(&w);
    channel_unmap(mem, mem_size);
    return 0;
}
