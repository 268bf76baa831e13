/*
 * A restarting subject's last words (tests/systems/restart-log): each life counts itself
 * in the "lastwords.lives" channel's memory (channels survive restarts), logs three
 * lines and, in lives 1 to 4, faults right away in the same frame; life 5 has the log
 * server flush and power off. The restart and the next life's first line come before
 * the log server's next frame, so the lines of a life are still unread when the next
 * life opens its log channel.
 */
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#define LASTWORDS_LIVES 5u

int main(void)
{
    struct moat_channel_info lives;
    if (moat_channel("lastwords.lives", &lives) != 0) {
        return 1;
    }
    /* Past the channel header: no reader mistakes the count for a channel. */
    volatile uint64_t *count = (volatile uint64_t *)(uintptr_t)(lives.address + 64u);
    uint64_t life = ++count[0];
    moat_log("life %llu: line 1", (unsigned long long)life);
    moat_log("life %llu: line 2", (unsigned long long)life);
    moat_log("life %llu: last words", (unsigned long long)life);
    if (life < LASTWORDS_LIVES) {
        __asm__ volatile("ud2");
    }
    moat_event_send((unsigned)moat_event("flush"));
    for (;;) {
        (void)moat_event_wait();
    }
}
