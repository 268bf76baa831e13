/*
 * controller: drives the system through its modes with events the policy turns into
 * kernel actions, and checks each step through the channels it reads:
 *   1. once the worker's heartbeat runs, switch to the maintenance plan;
 *   2. once diagnostics reports (it only runs in maintenance), restart the worker;
 *   3. once the heartbeat starts again from zero, switch back to the normal plan;
 *   4. once diagnostics has stopped reporting, power off.
 */
#include <moat/channel.h>
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "modes.h"

/* Frames with no new diagnostics report after which it counts as descheduled. */
#define QUIET_FRAMES 20u

static struct channel_reader heartbeat;
static struct channel_reader diag;
static uint64_t last_beat;
static uint64_t diag_frames;

/* Take in everything new; returns how many diagnostics reports arrived. */
static unsigned poll_channels(void)
{
    struct heartbeat beat;
    while (moat_channel_next(&heartbeat, &beat)) {
        last_beat = beat.count;
    }
    unsigned reports = 0;
    struct diag_report report;
    while (moat_channel_next(&diag, &report)) {
        diag_frames = report.frames;
        reports++;
    }
    return reports;
}

/*
 * The kernel prints its own notices (a restart, say) on the serial port the log server
 * also writes; a notice sent while the log server is mid-line splits that line. Giving
 * the log server some frames first keeps the console readable in all but extreme load.
 */
static void let_log_server_catch_up(void)
{
    for (unsigned i = 0; i < 10; i++) {
        moat_yield();
    }
}

static void send(const char *event)
{
    if (moat_event_send((unsigned)moat_event(event)) != 0) {
        moat_log("FAIL: cannot send %s", event);
    }
}

int main(void)
{
    if (moat_channel_reader("heartbeat", &heartbeat) != 0 ||
        moat_channel_reader("diag", &diag) != 0) {
        moat_log("channels missing");
        return 1;
    }
    moat_log("plan normal: worker and controller run, diagnostics does not");
    while (last_beat < 20) {
        (void)poll_channels();
        moat_yield();
    }
    moat_log("worker heartbeat at %llu: switching to plan maintenance",
             (unsigned long long)last_beat);
    send("enter_maintenance");

    while (poll_channels() == 0) {
        moat_yield();
    }
    uint64_t before = last_beat;
    moat_log("diagnostics reported; restarting the worker (heartbeat %llu)",
             (unsigned long long)before);
    let_log_server_catch_up();
    send("restart_worker");

    /* A restarted worker counts from zero again: a value below the old one. */
    do {
        moat_yield();
        (void)poll_channels();
    } while (last_beat >= before || last_beat < 5);
    moat_log("worker is back with fresh state: heartbeat %llu after %llu before the restart",
             (unsigned long long)last_beat, (unsigned long long)before);
    send("enter_normal");

    unsigned quiet = 0;
    while (quiet < QUIET_FRAMES) {
        quiet = poll_channels() == 0 ? quiet + 1 : 0;
        moat_yield();
    }
    moat_log("back in plan normal: diagnostics quiet after %llu frames; powering off",
             (unsigned long long)diag_frames);
    /* The kernel powers off once the log server has printed everything logged so far. */
    send("poweroff");
    /* Nothing left to do: wait until the power goes. */
    for (;;) {
        (void)moat_event_wait();
    }
}
