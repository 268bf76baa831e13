/*
 * channel-stat: print the header and state of a SHMStream v2 channel file readably and
 * say precisely what is wrong with a bad one.
 *
 * The file is mapped PROT_READ and every header field is loaded exactly once, so the
 * tool is safe to point at a channel a live writer is using (it sees one snapshot) and
 * can never disturb it. Exit codes: 0 the channel is well-formed (active or inactive),
 * 1 the channel is bad, 2 usage or I/O error.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libchannel.h"
#include "tool_args.h"

enum stat_exit {
    STAT_EXIT_OK = 0,
    STAT_EXIT_BAD = 1,
    STAT_EXIT_USAGE = 2,
};

/* One snapshot of the header, in host byte order. */
struct stat_header {
    uint64_t transport;
    uint64_t epoch;
    uint64_t protocol;
    uint64_t size;
    uint64_t elements;
    uint64_t reserved;
    uint64_t wsc;
    uint64_t wc;
};

/* What the checks found; problems are printed as they are found. */
struct stat_report {
    unsigned problem_count;
    bool geometry_ok; /* size and elements describe slots that fit in the file */
};

static void stat_usage(FILE *out)
{
    fprintf(out, "usage: channel-stat FILE|NAME\n"
                 "Print the header and state of a SHMStream v2 channel file (read-only).\n"
                 "NAME: a channel named by MOAT_CHANNELS or MOAT_CHANNEL_DIR (moat-linux.h).\n"
                 "Exit status: 0 well-formed channel, 1 bad channel, 2 usage or I/O error.\n");
}

static void stat_problem(struct stat_report *report, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void stat_problem(struct stat_report *report, const char *fmt, ...)
{
    va_list args;

    report->problem_count++;
    fputs("  problem: ", stdout);
    va_start(args, fmt);
    vfprintf(stdout, fmt, args);
    va_end(args);
    fputc('\n', stdout);
}

/* A relaxed atomic load: one read of a field a writer may be changing. */
static uint64_t stat_load_field(const unsigned char *mem, size_t offset)
{
    const uint64_t *field = (const uint64_t *)(const void *)(mem + offset);

    return le64toh(__atomic_load_n(field, __ATOMIC_RELAXED));
}

static struct stat_header stat_snapshot(const unsigned char *mem)
{
    struct stat_header h;

    h.transport = stat_load_field(mem, 0);
    h.epoch = stat_load_field(mem, 8);
    h.protocol = stat_load_field(mem, 16);
    h.size = stat_load_field(mem, 24);
    h.elements = stat_load_field(mem, 32);
    h.reserved = stat_load_field(mem, 40);
    h.wsc = stat_load_field(mem, 48);
    h.wc = stat_load_field(mem, 56);
    return h;
}

static bool stat_all_zero(const struct stat_header *h)
{
    return (h->transport | h->epoch | h->protocol | h->size | h->elements | h->reserved |
            h->wsc | h->wc) == 0;
}

static void stat_check_marker(const struct stat_header *h, struct stat_report *report)
{
    if (h->transport == CHANNEL_TRANSPORT_MARKER) {
        printf("  transport  0x%016" PRIx64 " (SHMStream v2 marker)\n", h->transport);
        return;
    }
    printf("  transport  0x%016" PRIx64 "\n", h->transport);
    if (stat_all_zero(h)) {
        stat_problem(report, "the header is all zero: no writer has initialised this channel");
    } else if (h->transport == __builtin_bswap64(CHANNEL_TRANSPORT_MARKER)) {
        stat_problem(report,
                     "bad marker: 0x%016" PRIx64 " is the SHMStream v2 marker byte-swapped "
                     "(the writer stored it big-endian)",
                     h->transport);
    } else {
        stat_problem(report,
                     "bad marker: 0x%016" PRIx64 " is not the SHMStream v2 marker 0x%016llx",
                     h->transport, CHANNEL_TRANSPORT_MARKER);
    }
}

/* Element size, count and the file size they must fit in. */
static void stat_check_geometry(const struct stat_header *h, uint64_t file_size,
                                struct stat_report *report)
{
    uint64_t slot_bytes = 0;
    bool overflow = false;

    printf("  element    %" PRIu64 " bytes x %" PRIu64 " elements", h->size, h->elements);
    if (h->size != 0 && h->elements != 0) {
        overflow = __builtin_mul_overflow(h->size, h->elements, &slot_bytes) ||
                   slot_bytes > UINT64_MAX - CHANNEL_HEADER_SIZE;
        if (!overflow) {
            printf(" = %" PRIu64 " bytes of slots + %u header = %" PRIu64 " bytes", slot_bytes,
                   CHANNEL_HEADER_SIZE, slot_bytes + CHANNEL_HEADER_SIZE);
        }
    }
    printf(" (file: %" PRIu64 " bytes)\n", file_size);

    report->geometry_ok = false;
    if (h->size == 0) {
        stat_problem(report, "element size is 0");
    }
    if (h->elements == 0) {
        stat_problem(report, "element count is 0");
    }
    if (h->size == 0 || h->elements == 0) {
        return;
    }
    if (overflow) {
        stat_problem(report,
                     "elements x size (%" PRIu64 " x %" PRIu64 ") plus the header overflows "
                     "64 bits",
                     h->elements, h->size);
        return;
    }
    if (slot_bytes + CHANNEL_HEADER_SIZE > file_size) {
        stat_problem(report,
                     "the slots do not fit the file: the header says %" PRIu64 " bytes "
                     "(64 + %" PRIu64 " x %" PRIu64 ") but the file has %" PRIu64,
                     slot_bytes + CHANNEL_HEADER_SIZE, h->elements, h->size, file_size);
        return;
    }
    report->geometry_ok = true;
    if (file_size - CHANNEL_HEADER_SIZE - slot_bytes >= h->size) {
        printf("  note       %" PRIu64 " bytes after the last slot are unused\n",
               file_size - CHANNEL_HEADER_SIZE - slot_bytes);
    }
}

/* Counters: the write-start counter is never behind the write counter. */
static void stat_check_counters(const struct stat_header *h, struct stat_report *report)
{
    uint64_t oldest;

    printf("  wc         %" PRIu64 " elements written\n", h->wc);
    printf("  wsc        %" PRIu64, h->wsc);
    if (h->wsc == h->wc) {
        printf(" (no write in progress)\n");
    } else if (h->wsc > h->wc) {
        printf(" (a write of %" PRIu64 " element(s) is in progress)\n", h->wsc - h->wc);
    } else {
        printf("\n");
        stat_problem(report,
                     "wsc < wc: the write-start counter (%" PRIu64 ") is behind the write "
                     "counter (%" PRIu64 ")",
                     h->wsc, h->wc);
        return;
    }
    if (!report->geometry_ok) {
        return;
    }
    /* A reader may still copy element n while wsc <= n + elements. */
    oldest = h->wsc > h->elements ? h->wsc - h->elements : 0;
    printf("  position   next slot %" PRIu64 ", %" PRIu64 " full lap(s) of the ring\n",
           h->wc % h->elements, h->wc / h->elements);
    printf("  fill       %" PRIu64 " of %" PRIu64 " slots hold data",
           h->wc < h->elements ? h->wc : h->elements, h->elements);
    if (h->wc > oldest) {
        printf("; readable now: elements %" PRIu64 " to %" PRIu64 "\n", oldest, h->wc - 1);
    } else {
        printf("; nothing readable\n");
    }
}

static void stat_report_header(const struct stat_header *h, uint64_t file_size,
                               struct stat_report *report)
{
    stat_check_marker(h, report);
    if (h->epoch == CHANNEL_NULL_EPOCH) {
        printf("  state      inactive (epoch 0: no writer is active)\n");
    } else {
        printf("  state      active, epoch 0x%016" PRIx64 "\n", h->epoch);
    }
    printf("  protocol   0x%016" PRIx64 "\n", h->protocol);
    if (h->protocol == 0) {
        stat_problem(report, "protocol is 0 (must be a nonzero payload protocol id)");
    }
    stat_check_geometry(h, file_size, report);
    printf("  reserved   0x%016" PRIx64 "\n", h->reserved);
    if (h->reserved != 0) {
        stat_problem(report, "reserved field is 0x%" PRIx64 " (must be 0)", h->reserved);
    }
    stat_check_counters(h, report);
}

/* Map the file read-only and report on it. Returns an enum stat_exit value. */
static int stat_verdict(const struct stat_header *h, uint64_t file_size);

static int stat_file(const char *path)
{
    struct stat_header header;
    struct stat st;
    uint64_t file_size;
    void *mem;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "channel-stat: %s: %s\n", path, strerror(errno));
        return STAT_EXIT_USAGE;
    }
    if (fstat(fd, &st) != 0) {
        fprintf(stderr, "channel-stat: %s: %s\n", path, strerror(errno));
        close(fd);
        return STAT_EXIT_USAGE;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "channel-stat: %s: not a regular file\n", path);
        close(fd);
        return STAT_EXIT_USAGE;
    }
    file_size = (uint64_t)st.st_size;
    printf("channel %s (%" PRIu64 " bytes)\n", path, file_size);
    if (file_size < CHANNEL_HEADER_SIZE) {
        close(fd);
        printf("  problem: the file (%" PRIu64 " bytes) is too small for the %u-byte header\n",
               file_size, CHANNEL_HEADER_SIZE);
        printf("status: bad channel (1 problem)\n");
        return STAT_EXIT_BAD;
    }
    mem = mmap(NULL, CHANNEL_HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (mem == MAP_FAILED) {
        fprintf(stderr, "channel-stat: %s: mmap: %s\n", path, strerror(errno));
        return STAT_EXIT_USAGE;
    }
    header = stat_snapshot(mem);
    munmap(mem, CHANNEL_HEADER_SIZE);
    return stat_verdict(&header, file_size);
}

/* A channel inside a Linux VM subject, found by name and mapped by the Linux SDK. */
static int stat_vm(struct moat_linux_channel *c)
{
    struct channel_reader r;
    struct stat_header header;
    char name[MOAT_LINUX_NAME_MAX];
    char msg[1024];
    int err;

    memcpy(name, c->name, sizeof(name)); /* the SDK clears c first */
    err = moat_linux_reader(c, &r, name, 0, 0);
    if (err != 0) {
        fprintf(stderr, "channel-stat: %s\n", moat_linux_message(c, err, msg, sizeof(msg)));
        return STAT_EXIT_USAGE;
    }
    printf("channel %s (%" PRIu64 " bytes at guest-physical 0x%" PRIx64 ")\n", name,
           c->vm_size, c->vm_address);
    header = stat_snapshot(c->file.mem);
    (void)moat_linux_close(c);
    return stat_verdict(&header, c->vm_size);
}

static int stat_verdict(const struct stat_header *h, uint64_t file_size)
{
    struct stat_report report = { 0, false };
    struct stat_header header = *h;

    stat_report_header(&header, file_size, &report);
    if (report.problem_count != 0) {
        printf("status: bad channel (%u problem%s)\n", report.problem_count,
               report.problem_count == 1 ? "" : "s");
        return STAT_EXIT_BAD;
    }
    printf("status: ok, %s\n", header.epoch == CHANNEL_NULL_EPOCH ? "inactive" : "active");
    return STAT_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        stat_usage(stdout);
        return STAT_EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == '-') {
        stat_usage(stderr);
        return STAT_EXIT_USAGE;
    }
    {
        struct moat_linux_channel c;
        bool shared;
        const char *path = tool_channel_path("channel-stat", argv[1], &c, &shared);

        if (path == c.path && c.backend == MOAT_LINUX_BACKEND_VM) {
            return stat_vm(&c);
        }
        return path != NULL ? stat_file(path) : STAT_EXIT_USAGE;
    }
}
