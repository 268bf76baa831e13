/*
 * channel-cat: read the elements of a channel file out, one line each, as hex (default)
 * or as text (the bytes up to the first NUL, control bytes escaped), through libchannel's
 * reader on a PROT_READ mapping, so it never disturbs the writer. Without -f it prints
 * what the ring holds now and exits; with -f it follows the writer (new elements, new
 * epochs, pauses) until interrupted. Losses to overruns go to stderr as they happen and
 * in a summary. Exit codes: 0 done, 1 the channel is inactive or does not match, 2 usage
 * or file error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libchannel.h"
#include "tool_args.h"

enum cat_exit {
    CAT_EXIT_OK = 0,
    CAT_EXIT_CHANNEL = 1,
    CAT_EXIT_USAGE = 2,
};

struct cat_options {
    bool text;
    bool follow;
    bool only_new;
    uint64_t count; /* stop after this many elements, 0 = no limit */
    uint64_t protocol;
    uint64_t element_size;
    const char *path;
};

static volatile sig_atomic_t cat_stop;

static void cat_on_signal(int sig)
{
    (void)sig;
    cat_stop = 1;
}

static void cat_usage(FILE *out)
{
    fprintf(out,
            "usage: channel-cat [-x | -t] [-f] [--new] [-n COUNT] [-p PROTOCOL] [-s SIZE] FILE|NAME\n"
            "Print the elements of a SHMStream v2 channel file, one per line (read-only).\n"
            "NAME: a channel named by MOAT_CHANNELS or MOAT_CHANNEL_DIR (moat-linux.h).\n"
            "  -x, --hex           each element as hex bytes (default)\n"
            "  -t, --text          each element as text up to its first NUL byte\n"
            "  -f, --follow        keep reading new elements until interrupted\n"
            "      --new           skip what the ring holds now\n"
            "  -n, --count COUNT   stop after COUNT elements\n"
            "  -p, --protocol P    expected protocol (default: the header's)\n"
            "  -s, --element-size S expected element size (default: the header's)\n"
            "Losses (the writer overran this reader) are reported on stderr.\n"
            "Exit status: 0 done, 1 inactive or mismatched channel, 2 usage or file error.\n");
}

static int cat_parse(int argc, char **argv, struct cat_options *opt)
{
    static const struct option longs[] = {
        { "hex", no_argument, NULL, 'x' },
        { "text", no_argument, NULL, 't' },
        { "follow", no_argument, NULL, 'f' },
        { "new", no_argument, NULL, 'N' },
        { "count", required_argument, NULL, 'n' },
        { "protocol", required_argument, NULL, 'p' },
        { "element-size", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(opt, 0, sizeof(*opt));
    while ((c = getopt_long(argc, argv, "xtfn:p:s:h", longs, NULL)) != -1) {
        switch (c) {
        case 'x':
            opt->text = false;
            break;
        case 't':
            opt->text = true;
            break;
        case 'f':
            opt->follow = true;
            break;
        case 'N':
            opt->only_new = true;
            break;
        case 'n':
        case 'p':
        case 's': {
            uint64_t *dst = c == 'n' ? &opt->count : c == 'p' ? &opt->protocol
                                                              : &opt->element_size;

            if (!tool_parse_u64(optarg, dst) || *dst == 0u) {
                fprintf(stderr, "channel-cat: -%c wants a nonzero number, not '%s'\n", c,
                        optarg);
                return CAT_EXIT_USAGE;
            }
            break;
        }
        case 'h':
            cat_usage(stdout);
            exit(CAT_EXIT_OK);
        default:
            cat_usage(stderr);
            return CAT_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cat_usage(stderr);
        return CAT_EXIT_USAGE;
    }
    opt->path = argv[optind];
    return CAT_EXIT_OK;
}

static void cat_print(const unsigned char *element, uint64_t size, bool text)
{
    uint64_t i;

    for (i = 0; i < size; i++) {
        unsigned char b = element[i];

        if (!text) {
            printf("%02x", b);
        } else if (b == '\0') {
            break;
        } else if (b == '\\') {
            fputs("\\\\", stdout);
        } else if ((b < 0x20u && b != '\t') || b == 0x7fu) {
            printf("\\x%02x", b);
        } else {
            putchar(b);
        }
    }
    putchar('\n');
}

static void cat_pause(void)
{
    struct timespec ms = { 0, 1000000 };

    (void)nanosleep(&ms, NULL);
}

/* The read loop. Returns an enum cat_exit value. */
static int cat_run(const struct cat_options *opt, struct channel_reader *r, uint64_t size)
{
    unsigned char *element = malloc(size);
    uint64_t printed = 0;
    uint64_t overruns = 0;
    uint64_t lost_before = 0;
    uint64_t epochs = 0;
    int status = CAT_EXIT_OK;
    bool drained = !opt->only_new;

    if (element == NULL) {
        fprintf(stderr, "channel-cat: out of memory for a %" PRIu64 "-byte element\n", size);
        return CAT_EXIT_USAGE;
    }
    while (cat_stop == 0 && (opt->count == 0u || printed < opt->count)) {
        enum channel_result res = channel_read(r, element);

        if (res == CHANNEL_SUCCESS) {
            cat_print(element, size, opt->text);
            printed++;
        } else if (res == CHANNEL_OVERRUN) {
            overruns++;
            fprintf(stderr, "channel-cat: %s: lost %" PRIu64 " element(s) (overrun)\n",
                    opt->path, channel_lost(r) - lost_before);
            lost_before = channel_lost(r);
        } else if (res == CHANNEL_EPOCH_CHANGED) {
            if (epochs++ != 0u) {
                fprintf(stderr, "channel-cat: %s: the writer restarted the channel\n",
                        opt->path);
            }
            if (!drained) {
                channel_drain(r);
                drained = true;
            }
        } else if (res == CHANNEL_INCOMPATIBLE) {
            fprintf(stderr,
                    "channel-cat: %s: the header does not match (protocol, element size, "
                    "or more elements than the file holds): see channel-stat\n",
                    opt->path);
            status = CAT_EXIT_CHANNEL;
            break;
        } else if (!opt->follow) {
            if (res == CHANNEL_INACTIVE) {
                fprintf(stderr, "channel-cat: %s: inactive (no writer is active)\n",
                        opt->path);
                status = CAT_EXIT_CHANNEL;
            }
            break;
        } else {
            (void)fflush(stdout);
            cat_pause();
        }
    }
    (void)fflush(stdout);
    if (overruns != 0u) {
        fprintf(stderr, "channel-cat: %s: %" PRIu64 " element(s) printed, %" PRIu64
                        " lost in %" PRIu64 " overrun(s)\n",
                opt->path, printed, channel_lost(r), overruns);
    }
    free(element);
    return status;
}

int main(int argc, char **argv)
{
    struct cat_options opt;
    struct moat_linux_channel named;
    bool shared;
    struct channel_file f;
    struct channel_reader r;
    struct sigaction sa;
    int status;
    int err;

    status = cat_parse(argc, argv, &opt);
    if (status != CAT_EXIT_OK) {
        return status;
    }
    opt.path = tool_channel_path("channel-cat", opt.path, &named, &shared);
    if (opt.path == NULL) {
        return CAT_EXIT_USAGE;
    }
    if (opt.path == named.path && named.backend == MOAT_LINUX_BACKEND_VM) {
        /* Inside a Linux VM subject: guest-physical memory, mapped by the Linux SDK
         * (which clears named first: the name is copied out). */
        char name[MOAT_LINUX_NAME_MAX];

        memcpy(name, named.name, sizeof(name));
        err = moat_linux_reader(&named, &r, name, opt.protocol, (size_t)opt.element_size);
        f = named.file;
    } else {
        err = channel_file_reader(&f, &r, opt.path, opt.protocol, (size_t)opt.element_size, 0,
                                  0);
    }
    if (err != 0) {
        tool_channel_error("channel-cat", &named, opt.path, &f, err);
        return CAT_EXIT_USAGE;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cat_on_signal;
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    status = cat_run(&opt, &r, f.element_size);
    (void)channel_file_close(&f);
    return status;
}
