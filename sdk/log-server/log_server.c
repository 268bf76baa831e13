/*
 * The log server: a reusable subject that owns the serial port and prints every log
 * channel it reads as `[label] line` (see <moat/log.h>). Give it the port range as an
 * ioport named "com1" and make it a reader of each subject's `<subject>.log` channel and
 * of the kernel log (<kernel-log reader="log-server"/>, printed as [kernel]). Each line
 * is built per channel and written whole, lines of different channels in the order their
 * writers stamped them. It never writes to a channel, so a subject can only ever fill
 * its own log. It yields only after a pass that found every channel empty: the kernel
 * waits for two such yields before a poweroff or reboot, so the last lines get out.
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
/* Records one fill may read: enough for any line up to its cut at MOAT_LOG_LINE_MAX. */
#define LOG_SERVER_RECORDS 16u
/*
 * Lines printed from one channel per pass: more than a full 16 KiB channel holds, so the
 * order by TSC holds for any backlog a ring can keep, and still a bound on how long a
 * chatty or lying channel can hold the others back.
 */
#define LOG_SERVER_LINES 128u

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

/*
 * One pass: read every source, then print whole lines, the oldest (by the TSC its writer
 * stamped) first, at most LOG_SERVER_LINES per source so a chatty or lying one cannot
 * starve the others. True if anything was read.
 */
static bool serve_all(void)
{
    unsigned printed[LOG_SERVER_CHANNELS_MAX] = {0};
    bool read[LOG_SERVER_CHANNELS_MAX] = {false};
    bool busy = false;
    for (;;) {
        unsigned best = source_count;
        uint64_t best_tsc = 0;
        for (unsigned i = 0; i < source_count; i++) {
            size_t len;
            uint64_t tsc;
            /* Refilled before every choice: the pass may have been preempted, and what
             * another source logged meanwhile may be older than the waiting lines. */
            if (printed[i] >= LOG_SERVER_LINES) {
                continue;
            }
            if (moat_log_source_line(&sources[i], &len, &tsc) == NULL &&
                moat_log_source_fill(&sources[i], LOG_SERVER_RECORDS)) {
                read[i] = true;
                busy = true;
            }
            if (moat_log_source_line(&sources[i], &len, &tsc) != NULL &&
                (best == source_count || tsc < best_tsc)) {
                best = i;
                best_tsc = tsc;
            }
        }
        if (best == source_count) {
            /* A line a writer left open through two idle passes is printed next pass. */
            for (unsigned i = 0; i < source_count; i++) {
                busy = (!read[i] && moat_log_source_idle(&sources[i])) || busy;
            }
            return busy;
        }
        size_t len;
        uint64_t tsc;
        const char *line = moat_log_source_line(&sources[best], &len, &tsc);
        uart_write(line, len);
        moat_log_source_next(&sources[best]);
        printed[best]++;
    }
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
