/*
 * worker: counts the frames it runs and publishes the count as a heartbeat. It keeps
 * no state across a restart: after the controller restarts it, the count starts again
 * from zero and its channel gets a new epoch.
 */
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "modes.h"

int main(void)
{
    struct channel_writer heartbeat;
    if (moat_channel_writer("heartbeat", &heartbeat, moat_rdtsc() | 1u) != 0) {
        moat_log("no heartbeat channel");
        return 1;
    }
    moat_log("started with fresh state");
    struct heartbeat beat = {.count = 0};
    for (;;) {
        beat.count++;
        channel_write(&heartbeat, &beat);
        moat_yield();
    }
}
