/*
 * diagnostics: only the maintenance plan schedules it. It reports every frame it gets,
 * so the controller can see that the plan switch happened.
 */
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "modes.h"

int main(void)
{
    struct channel_writer reports;
    if (moat_channel_writer("diag", &reports, moat_rdtsc() | 1u) != 0) {
        moat_log("no diag channel");
        return 1;
    }
    moat_log("running: only the maintenance plan schedules me");
    struct diag_report report = {.frames = 0};
    for (;;) {
        report.frames++;
        channel_write(&reports, &report);
        moat_yield();
    }
}
