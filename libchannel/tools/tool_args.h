/*
 * Shared by channel-cat and channel-put: parsing a whole command-line number (decimal,
 * 0x hex or 0 octal) and the file-open failure message, so both tools accept and say
 * the same things.
 */
#ifndef CHANNEL_TOOL_ARGS_H
#define CHANNEL_TOOL_ARGS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "libchannel.h"

/* The whole of text as a number, no sign, no trailing junk. */
static inline bool tool_parse_u64(const char *text, uint64_t *value)
{
    char *end;
    unsigned long long v;

    if (text == NULL || text[0] == '\0' || text[0] == '-' || text[0] == '+') {
        return false;
    }
    errno = 0;
    v = strtoull(text, &end, 0);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *value = (uint64_t)v;
    return true;
}

/* "TOOL: MESSAGE" on stderr for a failed channel_file_* call. */
static inline void tool_file_error(const char *tool, const struct channel_file *f, int err)
{
    char msg[512];

    fprintf(stderr, "%s: %s\n", tool, channel_file_message(f, err, msg, sizeof(msg)));
}

#endif /* CHANNEL_TOOL_ARGS_H */
