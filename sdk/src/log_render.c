/*
 * The log server's side of the log protocol: turn records from a (possibly hostile)
 * writer into safe terminal output. Lengths are clamped and control characters
 * replaced, so a subject cannot forge another's label or drive the terminal.
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

size_t moat_log_render_lost(struct moat_log_printer *p, uint64_t lost, char *out,
                            size_t out_size)
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
