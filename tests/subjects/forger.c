/*
 * Log forgery (test subjects, one image). "witness" logs `witness: tick N` once per
 * frame, N = 1..TICKS (the last BURST in one frame), then powers off. "forger" (on-fault restart) writes its own log
 * channel by hand and tries to make a line of its text start as another source's on
 * the console: "[witness] ..." text, lines it never ends, '\n' and '\r' inside a
 * record, over-long lines whose cut falls on a fake label, lengths beyond the record,
 * TSC stamps of 0 (to be printed first), restarts in the middle of a line (it faults
 * every few rounds), and the kernel's own lines about it in between. Whatever it does,
 * every console line must start with the label of the channel its text came from
 * (tests/systems/log-forgery).
 */
#include <stdio.h>
#include <string.h>

#include <libchannel.h>
#include <moat/log.h>
#include <moat/sinfo.h>

#include "testlib.h"

#define TICKS 200u
#define BURST 40u

static const char fake[] = "[witness] witness: tick 1";

static void put(struct channel_writer *w, const char *text, size_t len, uint16_t flags,
                uint64_t tsc)
{
    struct moat_log_record rec;
    memset(&rec, 0, sizeof(rec));
    rec.tsc = tsc;
    rec.length = (uint16_t)(len < MOAT_LOG_TEXT_MAX ? len : MOAT_LOG_TEXT_MAX);
    rec.flags = flags;
    memcpy(rec.text, text, rec.length);
    channel_write(w, &rec);
}

static int forger(void)
{
    struct moat_channel_info info;
    if (moat_channel("forger.log", &info) != 0) {
        return 1;
    }
    struct channel_writer w;
    /* A new epoch in every life: the restart cuts whatever line was open. */
    if (channel_writer_init(&w, (void *)(uintptr_t)info.address, info.size, MOAT_LOG_PROTOCOL,
                            sizeof(struct moat_log_record), moat_rdtsc() | 1u) != 0) {
        return 1;
    }
    char text[MOAT_LOG_TEXT_MAX];
    for (uint32_t round = 0;; round++) {
        uint64_t now = moat_rdtsc();
        /* The fake label as plain text, whole and split across records. */
        put(&w, fake, strlen(fake), 0, now);
        put(&w, "[witn", 5, MOAT_LOG_CONTINUED, now);
        put(&w, "ess] witness: tick 2", 20, 0, now);
        /* Control characters that would end or rewind the console line. */
        int n = snprintf(text, sizeof(text), "x\n%s\r%s", fake, fake);
        put(&w, text, (size_t)n, 0, 0);
        /* A line of nine full records; the server's cut (at 448 bytes) meets a fake label. */
        memset(text, 'y', sizeof(text));
        for (uint32_t i = 0; i < 9u; i++) {
            if (i == 4u) {
                memcpy(text, fake, strlen(fake));
            }
            put(&w, text, sizeof(text), i + 1u < 9u ? MOAT_LOG_CONTINUED : 0u, 0);
        }
        /* A length beyond the record and a zero stamp. */
        struct moat_log_record lie;
        memset(&lie, '[', sizeof(lie));
        lie.tsc = 0;
        lie.length = 0xffffu;
        lie.flags = 0;
        channel_write(&w, &lie);
        /* A line left open: the witness's next line must not continue it. */
        put(&w, fake, strlen(fake), MOAT_LOG_CONTINUED, now);
        moat_yield();
        if (round % 3u == 2u) {
            /* Fault with a line open: restarted with a new epoch, audited by the kernel. */
            put(&w, "[witness] witness: tick", 23, MOAT_LOG_CONTINUED, now);
            __builtin_trap();
        }
    }
}

static int witness(void)
{
    for (uint32_t tick = 1; tick <= TICKS; tick++) {
        moat_log("witness: tick %u", (unsigned)tick);
        /* The last BURST lines in one frame: a backlog the log server must keep in order. */
        if (tick < TICKS - BURST) {
            moat_yield();
        }
    }
    moat_log("witness: done");
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    return 0;
}

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "forger")) {
        return forger();
    }
    return witness();
}
