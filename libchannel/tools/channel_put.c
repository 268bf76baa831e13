/*
 * channel-put: be the writer of a channel file and write one element per line of
 * standard input: the line's bytes as text (default; the newline dropped, the rest of
 * the element zero), or with -x the bytes spelled in hex (spaces allowed). The file is
 * created with -p/-s/-n when it does not exist; an existing channel keeps its protocol
 * and element size (given ones must match) and gets a new epoch, so its readers
 * resynchronise. A line that does not fit an element, or bad hex, stops the tool with
 * exit code 1 before anything of that line is written. Exit codes: 0 all written,
 * 1 bad input line, 2 usage or file error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libchannel.h"
#include "tool_args.h"

enum put_exit {
    PUT_EXIT_OK = 0,
    PUT_EXIT_INPUT = 1,
    PUT_EXIT_USAGE = 2,
};

struct put_options {
    bool hex;
    bool deactivate;
    uint64_t protocol;
    uint64_t element_size;
    uint64_t elements;
    uint64_t epoch;
    const char *path;
};

static void put_usage(FILE *out)
{
    fprintf(out,
            "usage: channel-put [-x] [-p PROTOCOL -s SIZE -n ELEMENTS] [--epoch E] "
            "[--deactivate] FILE|NAME\n"
            "Write one element per line of standard input into a SHMStream v2 channel file.\n"
            "NAME: a channel named by MOAT_CHANNELS (never created) or MOAT_CHANNEL_DIR.\n"
            "  -x, --hex            lines are hex bytes (spaces allowed), not text\n"
            "  -p, --protocol P     protocol (needed to create; else must match the header)\n"
            "  -s, --element-size S element size in bytes (likewise)\n"
            "  -n, --elements N     ring capacity (needed to create; else the file decides)\n"
            "      --epoch E        the epoch to publish (default: from the clock)\n"
            "      --deactivate     mark the channel inactive after the last line\n"
            "Exit status: 0 all lines written, 1 a bad input line (earlier lines are\n"
            "written, the bad one is not), 2 usage or file error.\n");
}

static int put_parse(int argc, char **argv, struct put_options *opt)
{
    static const struct option longs[] = {
        { "hex", no_argument, NULL, 'x' },
        { "protocol", required_argument, NULL, 'p' },
        { "element-size", required_argument, NULL, 's' },
        { "elements", required_argument, NULL, 'n' },
        { "epoch", required_argument, NULL, 'E' },
        { "deactivate", no_argument, NULL, 'D' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(opt, 0, sizeof(*opt));
    while ((c = getopt_long(argc, argv, "xp:s:n:h", longs, NULL)) != -1) {
        switch (c) {
        case 'x':
            opt->hex = true;
            break;
        case 'D':
            opt->deactivate = true;
            break;
        case 'p':
        case 's':
        case 'n':
        case 'E': {
            uint64_t *dst = c == 'p' ? &opt->protocol
                            : c == 's' ? &opt->element_size
                            : c == 'n' ? &opt->elements
                                       : &opt->epoch;

            if (!tool_parse_u64(optarg, dst) || *dst == 0u) {
                fprintf(stderr, "channel-put: %s wants a nonzero number, not '%s'\n",
                        argv[optind - 1], optarg);
                return PUT_EXIT_USAGE;
            }
            break;
        }
        case 'h':
            put_usage(stdout);
            exit(PUT_EXIT_OK);
        default:
            put_usage(stderr);
            return PUT_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        put_usage(stderr);
        return PUT_EXIT_USAGE;
    }
    opt->path = argv[optind];
    return PUT_EXIT_OK;
}

static int put_hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/*
 * One input line (without its newline) into element (size bytes, zeroed first).
 * Returns NULL or what is wrong with the line.
 */
static const char *put_encode(const char *line, size_t len, bool hex, unsigned char *element,
                              uint64_t size, uint64_t *bytes)
{
    size_t i;

    memset(element, 0, size);
    *bytes = 0;
    if (!hex) {
        if (len > size) {
            *bytes = len;
            return "longer than an element";
        }
        memcpy(element, line, len);
        *bytes = len;
        return NULL;
    }
    for (i = 0; i < len; i++) {
        int hi;
        int lo;

        if (line[i] == ' ' || line[i] == '\t') {
            continue;
        }
        hi = put_hex_digit(line[i]);
        lo = i + 1 < len ? put_hex_digit(line[i + 1]) : -1;
        if (hi < 0 || lo < 0) {
            return "not hex: want pairs of hex digits, spaces between bytes allowed";
        }
        if (*bytes == size) {
            return "longer than an element";
        }
        element[(*bytes)++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    return NULL;
}

/*
 * Protocol and element size from an existing, initialised channel, when not given.
 * Returns 0, or the error of a file that exists but cannot be this channel.
 */
static int put_learn_header(struct put_options *opt)
{
    struct channel_file f;
    struct channel_reader r;
    int err;

    if (opt->protocol != 0u && opt->element_size != 0u) {
        return 0;
    }
    err = channel_file_reader(&f, &r, opt->path, opt->protocol, (size_t)opt->element_size, 0,
                              0);
    if (err == 0) {
        opt->protocol = f.protocol;
        opt->element_size = f.element_size;
        (void)channel_file_close(&f);
    } else if (err != CHANNEL_ERR_FILE_MISSING && err != CHANNEL_ERR_FILE_BLANK) {
        tool_file_error("channel-put", &f, err);
        return err;
    }
    return 0;
}

/* Nanoseconds since 1970: a new value on every run, as a restart needs. */
static uint64_t put_clock_epoch(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) | 1u;
}

/* Write stdin's lines. Returns an enum put_exit value. */
static int put_lines(const struct put_options *opt, struct channel_writer *w, uint64_t size)
{
    unsigned char *element = malloc(size);
    char *line = NULL;
    size_t cap = 0;
    uint64_t number = 0;
    int status = PUT_EXIT_OK;
    ssize_t got;

    if (element == NULL) {
        fprintf(stderr, "channel-put: out of memory for a %" PRIu64 "-byte element\n", size);
        return PUT_EXIT_USAGE;
    }
    while ((got = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)got;
        uint64_t bytes;
        const char *problem;

        number++;
        if (len > 0u && line[len - 1u] == '\n') {
            len--;
        }
        problem = put_encode(line, len, opt->hex, element, size, &bytes);
        if (problem != NULL) {
            fprintf(stderr, "channel-put: line %" PRIu64 ": %s", number, problem);
            if (strcmp(problem, "longer than an element") == 0) {
                fprintf(stderr, " (%s%" PRIu64 " bytes, the element has %" PRIu64 ")",
                        opt->hex ? "more than " : "", opt->hex ? size : bytes, size);
            }
            fprintf(stderr, "; nothing of it written\n");
            status = PUT_EXIT_INPUT;
            break;
        }
        channel_write(w, element);
    }
    free(line);
    free(element);
    return status;
}

int main(int argc, char **argv)
{
    struct put_options opt;
    struct moat_linux_channel named;
    bool shared;
    struct channel_file f;
    struct channel_writer w;
    int status;
    int err;

    status = put_parse(argc, argv, &opt);
    if (status != PUT_EXIT_OK) {
        return status;
    }
    opt.path = tool_channel_path("channel-put", opt.path, &named, &shared);
    if (opt.path == NULL) {
        return PUT_EXIT_USAGE;
    }
    if (opt.path == named.path && named.backend == MOAT_LINUX_BACKEND_VM) {
        /* Inside a Linux VM subject the sinfo page gives the channel's format. */
        opt.protocol = opt.protocol != 0u ? opt.protocol : named.vm_protocol;
        opt.element_size = opt.element_size != 0u ? opt.element_size : named.vm_element_size;
    } else if (put_learn_header(&opt) != 0) {
        return PUT_EXIT_USAGE;
    }
    if (opt.epoch == 0u) {
        opt.epoch = put_clock_epoch();
    }
    if (opt.protocol == 0u || opt.element_size == 0u) {
        fprintf(stderr, "channel-put: %s: no initialised channel there, so -p PROTOCOL, "
                        "-s SIZE and -n ELEMENTS are needed to create one\n",
                opt.path);
        return PUT_EXIT_USAGE;
    }
    /* A file shared with a running system is never made here: QEMU would not see it. */
    if (opt.path == named.path && named.backend == MOAT_LINUX_BACKEND_VM) {
        char name[MOAT_LINUX_NAME_MAX];

        memcpy(name, named.name, sizeof(name)); /* the SDK clears named first */
        err = moat_linux_writer(&named, &w, name, opt.protocol, (size_t)opt.element_size, 0,
                                opt.epoch);
        f = named.file;
    } else {
        err = channel_file_writer(&f, &w, opt.path, opt.protocol, (size_t)opt.element_size,
                                  (size_t)opt.elements, opt.epoch,
                                  shared ? 0u : CHANNEL_FILE_CREATE);
    }
    if (err != 0) {
        tool_channel_error("channel-put", &named, opt.path, &f, err);
        return PUT_EXIT_USAGE;
    }
    status = put_lines(&opt, &w, f.element_size);
    if (opt.deactivate) {
        channel_deactivate(&w);
    }
    (void)channel_file_close(&f);
    return status;
}
