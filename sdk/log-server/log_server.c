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
#define UART_LSR 5u
#define UART_LSR_THR_EMPTY 0x20u

static struct moat_log_source sources[LOG_SERVER_CHANNELS_MAX];
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
        if (moat_log_source_init(&sources[source_count], name,
                                 (const void *)(uintptr_t)info.address, (size_t)info.size) == 0) {
            source_count++;
        }
    }
}

/* Print what one channel has, up to a batch; true if anything was there. */
static bool serve(struct moat_log_source *s)
{
    static char out[LOG_SERVER_BATCH * MOAT_LOG_RENDER_MAX];
    bool busy;
    size_t len = moat_log_source_pump(s, LOG_SERVER_BATCH, out, sizeof(out), &busy);
    uart_write(out, len);
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
