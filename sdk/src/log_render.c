/*
 * The log server's side of the log protocol: turn records from a (possibly hostile)
 * writer into safe terminal output. Lengths are clamped and control characters
 * replaced, so a subject cannot forge another's label or drive the terminal. The
 * source functions read a channel and render batches; sdk/log-server only adds the UART.
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

/* End a line the writer left open, so the next one starts with its label. */
static size_t source_end_line(struct moat_log_source *s, char *out)
{
    if (s->printer.at_line_start) {
        return 0;
    }
    s->printer.at_line_start = true;
    out[0] = '\n';
    out[1] = '\0';
    return 1;
}

size_t moat_log_source_pump(struct moat_log_source *s, unsigned max_records, char *out,
                            size_t out_size, bool *busy)
{
    size_t len = 0;
    *busy = false;
    if (out_size < MOAT_LOG_RENDER_MAX) {
        return 0;
    }
    out[0] = '\0';
    for (unsigned n = 0; n < max_records && out_size - len >= MOAT_LOG_RENDER_MAX; n++) {
        struct moat_log_record rec;
        enum channel_result r = channel_read(&s->reader, &rec);
        if (r == CHANNEL_SUCCESS) {
            len += moat_log_render(&s->printer, &rec, out + len, out_size - len);
            *busy = true;
        } else if (r == CHANNEL_OVERRUN) {
            uint64_t lost = channel_lost(&s->reader);
            len += moat_log_render_lost(&s->printer, lost - s->lost_reported, out + len,
                                        out_size - len);
            s->lost_reported = lost;
            *busy = true;
        } else if (r == CHANNEL_EPOCH_CHANGED) {
            /* The writer restarted: what it left unfinished stays unfinished. */
            len += source_end_line(s, out + len);
        } else {
            break;
        }
    }
    /*
     * Never leave a line open when moving on to another channel: a writer that keeps
     * its line going (or a batch that ends inside a long line) would otherwise glue the
     * next channel's output onto it. The rest of the line comes with its label again.
     */
    len += source_end_line(s, out + len);
    return len;
}
