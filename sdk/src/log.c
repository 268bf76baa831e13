/*
 * moat_log(): format a line, split it into log records and publish them together on
 * the subject's log channel (see <moat/log.h> for the convention).
 */
#include <stdio.h>
#include <string.h>

#include <moat/log.h>
#include <moat/sinfo.h>

#include "sdk_internal.h"

static struct channel_writer log_own_writer;
static struct channel_writer *log_writer;
static bool log_open_tried;

void moat_log_use(struct channel_writer *w)
{
    log_writer = w;
    log_open_tried = w != NULL;
}

bool sdk_log_writes_to(const void *mem)
{
    return log_writer != NULL && log_writer->mem == mem;
}

/*
 * The first channel this subject writes with the log protocol and record size. After a
 * restart the channel still holds the last life's lines, maybe unread by the log server
 * yet: resume it (same epoch, same write counter) rather than wipe them; initialise it
 * only when it holds no intact log channel (the first start, a torn write).
 */
static void log_open(void)
{
    log_open_tried = true;
    struct moat_channel_info info;
    char name[MOAT_NAME_MAX];
    for (unsigned i = 0; moat_channel_at(i, name, &info) == 0; i++) {
        if (info.writer && info.protocol == MOAT_LOG_PROTOCOL &&
            info.element_size == sizeof(struct moat_log_record)) {
            if (channel_writer_resume(&log_own_writer, (void *)(uintptr_t)info.address,
                                      (size_t)info.size, MOAT_LOG_PROTOCOL,
                                      sizeof(struct moat_log_record)) == 0 ||
                moat_channel_writer(name, &log_own_writer, sdk_timestamp() | 1u) == 0) {
                log_writer = &log_own_writer;
            }
            return;
        }
    }
}

size_t moat_log_records(const char *text, size_t len, uint64_t tsc, struct moat_log_record *out,
                        size_t max)
{
    size_t count = 0;
    size_t pos = 0;
    if (len > 0 && text[len - 1] == '\n') {
        len--;
    }
    for (;;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_end = nl == NULL ? len : (size_t)(nl - text);
        size_t line_len = line_end - pos;
        size_t need = line_len == 0 ? 1 : (line_len + MOAT_LOG_TEXT_MAX - 1) / MOAT_LOG_TEXT_MAX;
        if (need > max - count) {
            break;
        }
        for (size_t i = 0; i < need; i++) {
            struct moat_log_record *r = &out[count++];
            size_t chunk = line_len - i * MOAT_LOG_TEXT_MAX;
            chunk = chunk > MOAT_LOG_TEXT_MAX ? MOAT_LOG_TEXT_MAX : chunk;
            memset(r, 0, sizeof(*r));
            r->tsc = tsc;
            r->length = (uint16_t)chunk;
            r->flags = i + 1 < need ? MOAT_LOG_CONTINUED : 0;
            memcpy(r->text, text + pos + i * MOAT_LOG_TEXT_MAX, chunk);
        }
        if (nl == NULL) {
            break;
        }
        pos = line_end + 1;
    }
    return count;
}

int moat_vlog(const char *fmt, va_list ap)
{
    if (!log_open_tried) {
        log_open();
    }
    if (log_writer == NULL) {
        return -1;
    }
    char line[MOAT_LOG_LINE_MAX];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0) {
        return -1;
    }
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    struct moat_log_record records[MOAT_LOG_RECORD_MAX];
    size_t count = moat_log_records(line, len, sdk_timestamp(), records, MOAT_LOG_RECORD_MAX);
    channel_write_batch(log_writer, records, count);
    return (int)len;
}

int moat_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = moat_vlog(fmt, ap);
    va_end(ap);
    return n;
}
