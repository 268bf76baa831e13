/*
 * Subject start-up checks: attach the sinfo page crt0 received and stop the subject
 * with a documented exit status (<moat/version.h>) when this SDK cannot read it, instead
 * of letting lookups run on a page of another format.
 */
#include <moat/abi/layout.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "sdk_internal.h"

static bool start_done;

void moat_sdk_start(void)
{
    if (start_done) {
        return;
    }
    start_done = true;
    int r = moat_sinfo_attach(moat_sinfo_page, MOAT_SINFO_SIZE);
    if (r == MOAT_SINFO_OK) {
        return;
    }
    uint64_t status = sdk_start_exit_status(r);
    /* The kernel audits the exit and applies the subject's fault action. */
    for (;;) {
        (void)moat_kcall(MOAT_KCALL_EXIT, status, 0);
    }
}

void sdk_attach_default_sinfo(void)
{
    moat_sdk_start();
}

uint64_t sdk_timestamp(void)
{
    return moat_rdtsc();
}
