/*
 * Private to the SDK library: what differs between subjects and host builds: the hook
 * that attaches the default sinfo page, and the time stamp source. The
 * freestanding build (start.c) attaches the page crt0 received; host builds
 * (host_start.c) attach nothing, tests call moat_sinfo_attach() themselves.
 */
#ifndef MOAT_SDK_INTERNAL_H
#define MOAT_SDK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

void sdk_attach_default_sinfo(void);
/* The MOAT_SDK_EXIT_* status a subject stops with after moat_sinfo_attach() failed. */
uint64_t sdk_start_exit_status(int attach_result);
/* A time stamp for log records and a base for fresh channel epochs (the TSC in subjects). */
uint64_t sdk_timestamp(void);
/* Whether moat_log() writes into the channel at mem (the test kit, before freeing it). */
bool sdk_log_writes_to(const void *mem);

#endif /* MOAT_SDK_INTERNAL_H */
