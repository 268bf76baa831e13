/*
 * Logging from a subject. A subject has no console: moat_log() formats a line and
 * writes it into the subject's log channel; a log-server subject reads every log
 * channel it is given and prints `[label] line` on the serial port it owns.
 *
 * Convention (docs/sdk.md): a subject's log channel is a channel it writes, named
 * `<subject>.log`, with protocol MOAT_LOG_PROTOCOL and element size
 * sizeof(struct moat_log_record); the log server reads it and labels its lines with
 * the channel name minus `.log` (up to its first '.'). The kernel writes kernel.cpuN.log
 * channels the same way (the policy's <kernel-log>), printed as [kernel]. Each line travels as one or more records published
 * together; all records but a line's last carry MOAT_LOG_CONTINUED.
 */
#ifndef MOAT_LOG_H
#define MOAT_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libchannel.h>
#include <moat/sinfo_format.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOAT_LOG_PROTOCOL 0x6d6c6f67u /* "mlog" */
#define MOAT_LOG_TEXT_MAX 112u        /* text bytes per record */
#define MOAT_LOG_CONTINUED 0x1u       /* the line goes on in the next record */
#define MOAT_LOG_LINE_MAX 448u        /* longer moat_log() output is cut */
#define MOAT_LOG_RECORD_MAX (MOAT_LOG_LINE_MAX / MOAT_LOG_TEXT_MAX + 1u)

/* One channel element (128 bytes, little-endian). */
struct moat_log_record {
    uint64_t tsc;                 /* the writer's TSC when it logged the line */
    uint32_t reserved;            /* 0 */
    uint16_t length;              /* bytes of text used, at most MOAT_LOG_TEXT_MAX */
    uint16_t flags;               /* MOAT_LOG_CONTINUED */
    char text[MOAT_LOG_TEXT_MAX]; /* not NUL-terminated */
};

/*
 * Format a line and write it to the log channel: the first channel this subject writes
 * with MOAT_LOG_PROTOCOL, opened on first use, unless moat_log_use() chose one. Each
 * '\n' inside starts a new line; a trailing one is dropped. Returns the number of text
 * bytes written, or -1 when the subject has no log channel.
 */
int moat_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int moat_vlog(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* Log through w from now on (a subject with several log channels, host tests); NULL
 * goes back to the log channel found in sinfo. */
void moat_log_use(struct channel_writer *w);

/*
 * Split text (len bytes, one or more lines) into records stamped with tsc. Writes at
 * most max records and returns how many; lines that do not fit are dropped whole.
 */
size_t moat_log_records(const char *text, size_t len, uint64_t tsc, struct moat_log_record *out,
                        size_t max);

/* What the log server remembers about one channel between records. */
struct moat_log_printer {
    char label[MOAT_NAME_MAX]; /* printed as [label] */
    bool at_line_start;        /* the next record starts a line */
};

/* Start a printer for a log channel: the label is the channel name minus `.log`, up to
 * its first '.' (the kernel's kernel.cpuN.log channels all print as [kernel]). */
void moat_log_printer_init(struct moat_log_printer *p, const char *channel_name);
/*
 * Render one record as output text: `[label] ` at the start of a line, the text with
 * control characters replaced by '?', and '\n' at the end of a line. Whatever the
 * record holds, writes at most out_size bytes (NUL-terminated) and returns the length.
 */
size_t moat_log_render(struct moat_log_printer *p, const struct moat_log_record *rec, char *out,
                       size_t out_size);
/* Render a notice that lost records were skipped (ends an open line first). */
size_t moat_log_render_lost(struct moat_log_printer *p, uint64_t lost, char *out, size_t out_size);

/* The most one record (or a lost notice) renders to, terminating NUL included. */
#define MOAT_LOG_RENDER_MAX (MOAT_NAME_MAX + MOAT_LOG_TEXT_MAX + 48u)

/* The most one rendered line takes: its label, MOAT_LOG_LINE_MAX text bytes and a record. */
#define MOAT_LOG_LINE_OUT_MAX (MOAT_LOG_LINE_MAX + 2u * MOAT_LOG_RENDER_MAX)

/*
 * One log channel as the log server reads it. The server builds each line of a source in
 * that source's own buffer and prints it only once it is whole, so no source's text can
 * continue or start another source's line on the console.
 */
struct moat_log_source {
    struct channel_reader reader;
    struct moat_log_printer printer;
    uint64_t lost_reported; /* channel_lost() already reported */
    uint64_t lost_waiting;  /* lost records to report after the open line */
    uint64_t last_tsc;      /* of the last record read */
    uint64_t line_tsc;      /* of the line's first record */
    size_t line_len;        /* rendered bytes in line */
    bool line_ready;        /* line holds a whole line, ending in '\n' */
    bool line_stale;        /* the open line did not grow in the last idle pass */
    char line[MOAT_LOG_LINE_OUT_MAX];
};

/* Read the log channel called channel_name at mem (size bytes, read-only is fine). */
int moat_log_source_init(struct moat_log_source *s, const char *channel_name, const void *mem,
                         size_t size);
/*
 * Read up to max_records records, until a whole line waits. A line is ended early (its
 * rest follows as a new line with the label again) when it exceeds MOAT_LOG_LINE_MAX,
 * and when the writer restarts (new epoch) or is lapped (the lost notice follows).
 * Whatever the records hold, the line is `[label] ` + printable text + '\n'. Returns
 * true when anything was read.
 */
bool moat_log_source_fill(struct moat_log_source *s, unsigned max_records);
/*
 * Call once per pass over the sources in which s gave nothing: a line left open through
 * two such passes (a writer that stopped mid-line) is ended, so it can be printed.
 * Returns true when it ended one.
 */
bool moat_log_source_idle(struct moat_log_source *s);
/* The whole line waiting (NUL-terminated, *len bytes, *tsc of its first record), or NULL. */
const char *moat_log_source_line(const struct moat_log_source *s, size_t *len, uint64_t *tsc);
/* The waiting line was printed: make room for the next. */
void moat_log_source_next(struct moat_log_source *s);

#ifdef __cplusplus
}
#endif

#endif /* MOAT_LOG_H */
