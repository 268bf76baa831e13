/*
 * The log server's side of the log protocol: turn records from a (possibly hostile)
 * writer into safe terminal output. Lengths are clamped and control characters
 * replaced, so a subject cannot forge another's label or drive the terminal. The
 * source functions read a channel and build its lines one at a time, each printed only
 * whole; sdk/log-server only adds the UART and the order between sources.
 */
#include <stdio.h>
#include <string.h>

#include <moat/log.h>

/* Appends to a bounded, always NUL-terminated buffer. */
struct render_buf {
    char *out;
    size_t size;
    size_t len;
};

static void render_char(struct render_buf *b, char c)
{
    if (b->len + 1 < b->size) {
        b->out[b->len++] = c;
        b->out[b->len] = '\0';
    }
}

static void render_str(struct render_buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        render_char(b, *s);
    }
}

static void render_label(struct render_buf *b, const struct moat_log_printer *p)
{
    render_char(b, '[');
    render_str(b, p->label);
    render_str(b, "] ");
}

void moat_log_printer_init(struct moat_log_printer *p, const char *channel_name)
{
    size_t len = strnlen(channel_name, MOAT_NAME_MAX - 1);
    if (len > 4 && memcmp(channel_name + len - 4, ".log", 4) == 0) {
        len -= 4;
    }
    /* "kernel.cpu1.log" is labelled [kernel]: the label ends at the first '.'. */
    const char *dot = memchr(channel_name, '.', len);
    if (dot != NULL && dot != channel_name) {
        len = (size_t)(dot - channel_name);
    }
    memcpy(p->label, channel_name, len);
    p->label[len] = '\0';
    p->at_line_start = true;
}

size_t moat_log_render(struct moat_log_printer *p, const struct moat_log_record *rec, char *out,
                       size_t out_size)
{
    struct render_buf b = {.out = out, .size = out_size, .len = 0};
    if (out_size > 0) {
        out[0] = '\0';
    }
    if (p->at_line_start) {
        render_label(&b, p);
    }
    size_t len = rec->length < MOAT_LOG_TEXT_MAX ? rec->length : MOAT_LOG_TEXT_MAX;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)rec->text[i];
        render_char(&b, (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?');
    }
    p->at_line_start = (rec->flags & MOAT_LOG_CONTINUED) == 0;
    if (p->at_line_start) {
        render_char(&b, '\n');
    }
    return b.len;
}

size_t moat_log_render_lost(struct moat_log_printer *p, uint64_t lost, char *out, size_t out_size)
{
    struct render_buf b = {.out = out, .size = out_size, .len = 0};
    if (out_size > 0) {
        out[0] = '\0';
    }
    if (!p->at_line_start) {
        render_char(&b, '\n');
    }
    render_label(&b, p);
    char count[48];
    snprintf(count, sizeof(count), "(%llu log records lost)\n", (unsigned long long)lost);
    render_str(&b, count);
    p->at_line_start = true;
    return b.len;
}

int moat_log_source_init(struct moat_log_source *s, const char *channel_name, const void *mem,
                         size_t size)
{
    memset(s, 0, sizeof(*s));
    moat_log_printer_init(&s->printer, channel_name);
    return channel_reader_init(&s->reader, mem, size, MOAT_LOG_PROTOCOL,
                               sizeof(struct moat_log_record));
}

/* End the open line: its rest (if any) starts a new line with the label. */
static void source_end_line(struct moat_log_source *s)
{
    if (s->line_len == 0) {
        return;
    }
    if (!s->printer.at_line_start) {
        s->line[s->line_len++] = '\n';
        s->line[s->line_len] = '\0';
        s->printer.at_line_start = true;
    }
    s->line_ready = true;
}

static void source_add_record(struct moat_log_source *s, const struct moat_log_record *rec)
{
    if (s->line_len == 0) {
        s->line_tsc = rec->tsc;
    }
    s->last_tsc = rec->tsc;
    s->line_len += moat_log_render(&s->printer, rec, s->line + s->line_len,
                                   sizeof(s->line) - s->line_len);
    if (s->printer.at_line_start) {
        s->line_ready = true;
    } else if (s->line_len > MOAT_LOG_LINE_MAX) {
        source_end_line(s);
    }
}

bool moat_log_source_fill(struct moat_log_source *s, unsigned max_records)
{
    bool read = false;
    for (unsigned n = 0; n < max_records && !s->line_ready; n++) {
        if (s->lost_waiting != 0) {
            /* Only reached with no line open: source_end_line() ran first. */
            s->line_len = moat_log_render_lost(&s->printer, s->lost_waiting, s->line,
                                               sizeof(s->line));
            s->line_tsc = s->last_tsc;
            s->line_ready = true;
            s->lost_waiting = 0;
            read = true;
            break;
        }
        struct moat_log_record rec;
        enum channel_result r = channel_read(&s->reader, &rec);
        if (r == CHANNEL_SUCCESS) {
            source_add_record(s, &rec);
        } else if (r == CHANNEL_OVERRUN) {
            uint64_t lost = channel_lost(&s->reader);
            s->lost_waiting += lost - s->lost_reported;
            s->lost_reported = lost;
            source_end_line(s);
        } else if (r == CHANNEL_EPOCH_CHANGED) {
            /* The writer restarted: what it left unfinished stays unfinished. */
            source_end_line(s);
        } else {
            break;
        }
        read = true;
    }
    if (read) {
        s->line_stale = false;
    }
    return read;
}

bool moat_log_source_idle(struct moat_log_source *s)
{
    if (s->line_ready || s->line_len == 0) {
        return false;
    }
    if (!s->line_stale) {
        s->line_stale = true;
        return false;
    }
    source_end_line(s);
    return true;
}

const char *moat_log_source_line(const struct moat_log_source *s, size_t *len, uint64_t *tsc)
{
    if (!s->line_ready) {
        return NULL;
    }
    *len = s->line_len;
    *tsc = s->line_tsc;
    return s->line;
}

void moat_log_source_next(struct moat_log_source *s)
{
    s->line_len = 0;
    s->line[0] = '\0';
    s->line_ready = false;
    s->line_stale = false;
}
