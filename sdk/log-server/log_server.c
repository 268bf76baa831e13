/*
 * The log server: a reusable subject that owns the serial port and prints every log
 * channel it reads as `[label] line` (see <moat/log.h>). Give it the port range as an
 * ioport named "com1" and make it a reader of each subject's `<subject>.log` channel.
 * It never writes to a channel, so a subject can only ever fill its own log.
 *
 * Optional flush handshake: when the policy gives it an incoming event named "flush"
 * and an outgoing one named "flushed", it answers "flush" by printing everything
 * waiting and then sending "flushed". A subject that wants the system off after its
 * last line logs it and sends flush; the policy makes "flushed" a poweroff.
 */
#include <stdint.h>
#include <string.h>

#include <libchannel.h>
#include <moat/ioport.h>
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#define LOG_SERVER_CHANNELS_MAX 32u
/* Records printed from one channel before moving on, so a chatty one cannot starve others. */
#define LOG_SERVER_BATCH 16u

#define UART_DATA 0u
#define UART_LSR  5u
#define UART_LSR_THR_EMPTY 0x20u

struct log_source {
    struct channel_reader reader;
    struct moat_log_printer printer;
    uint64_t lost_reported;
};

static struct log_source sources[LOG_SERVER_CHANNELS_MAX];
static unsigned source_count;
static uint16_t uart_base;

static void uart_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n') {
            uart_write("\r", 1);
        }
        while ((moat_inb((uint16_t)(uart_base + UART_LSR)) & UART_LSR_THR_EMPTY) == 0) {
        }
        moat_outb((uint16_t)(uart_base + UART_DATA), (uint8_t)s[i]);
    }
}

static void open_sources(void)
{
    char name[MOAT_NAME_MAX];
    struct moat_channel_info info;
    for (unsigned i = 0; moat_channel_at(i, name, &info) == 0; i++) {
        if (info.writer || info.protocol != MOAT_LOG_PROTOCOL ||
            info.element_size != sizeof(struct moat_log_record) ||
            source_count == LOG_SERVER_CHANNELS_MAX) {
            continue;
        }
        struct log_source *s = &sources[source_count];
        if (moat_channel_reader(name, &s->reader) == 0) {
            moat_log_printer_init(&s->printer, name);
            source_count++;
        }
    }
}

/* Print what one channel has, up to a batch; true if anything was there. */
static bool serve(struct log_source *s)
{
    char out[MOAT_LOG_TEXT_MAX + MOAT_NAME_MAX + 8];
    bool busy = false;
    for (unsigned n = 0; n < LOG_SERVER_BATCH; n++) {
        struct moat_log_record rec;
        enum channel_result r = channel_read(&s->reader, &rec);
        if (r == CHANNEL_SUCCESS) {
            uart_write(out, moat_log_render(&s->printer, &rec, out, sizeof(out)));
            busy = true;
        } else if (r == CHANNEL_OVERRUN) {
            uint64_t lost = channel_lost(&s->reader);
            uart_write(out, moat_log_render_lost(&s->printer, lost - s->lost_reported, out,
                                                 sizeof(out)));
            s->lost_reported = lost;
            busy = true;
        } else if (r != CHANNEL_EPOCH_CHANGED) {
            break;
        }
    }
    /* A line left open by a writer that stopped mid-line must not swallow the next one. */
    if (!busy && !s->printer.at_line_start) {
        uart_write("\n", 1);
        s->printer.at_line_start = true;
    }
    return busy;
}

/* One pass over every source; true if any had something. */
static bool serve_all(void)
{
    bool busy = false;
    for (unsigned i = 0; i < source_count; i++) {
        busy = serve(&sources[i]) || busy;
    }
    return busy;
}

int main(void)
{
    uint16_t count;
    if (moat_ioport("com1", &uart_base, &count) != 0 || count < 8) {
        return 1;
    }
    open_sources();
    int flush = moat_event_incoming("flush");
    int flushed = moat_event_outgoing("flushed");
    for (;;) {
        if (serve_all()) {
            continue;
        }
        /* Idle: everything logged before a flush request has been printed. */
        if (flush >= 0 && moat_event_poll() == flush) {
            while (serve_all()) {
            }
            if (flushed >= 0) {
                moat_event_send((unsigned)flushed);
            }
        }
        moat_yield();
    }
}
