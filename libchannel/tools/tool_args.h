/*
 * Shared by the channel tools: parsing a whole command-line number (decimal, 0x hex or 0
 * octal), a channel given by file or by name, and the file-open failure message, so the
 * tools accept and say the same things.
 */
#ifndef CHANNEL_TOOL_ARGS_H
#define CHANNEL_TOOL_ARGS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libchannel.h"
#include "moat-linux.h"

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

/*
 * The file of a channel argument: with a '/' it is a path; otherwise it is first a
 * channel name where the Linux SDK's environment names it (MOAT_CHANNELS: a file shared
 * with a QEMU-run system, which *shared says and which a tool must never create;
 * MOAT_CHANNEL_DIR: DIR/NAME), else a file in the current folder. A MOAT_CHANNELS that
 * does not parse is an error (NULL, with the reason on stderr).
 */
static inline const char *tool_channel_path(const char *tool, const char *arg,
                                            struct moat_linux_channel *c, bool *shared)
{
    int err;

    *shared = false;
    if (strchr(arg, '/') != NULL) {
        return arg;
    }
    err = moat_linux_locate(c, arg);
    if (err == 0) {
        *shared = c->backend == MOAT_LINUX_BACKEND_SHARED;
        return c->path;
    }
    if (err == MOAT_LINUX_ERR_CONFIG) {
        fprintf(stderr, "%s: %s\n", tool, moat_linux_strerror(err));
        return NULL;
    }
    return arg;
}

/* "TOOL: MESSAGE" on stderr for a failed channel_file_* call. */
static inline void tool_file_error(const char *tool, const struct channel_file *f, int err)
{
    char msg[512];

    fprintf(stderr, "%s: %s\n", tool, channel_file_message(f, err, msg, sizeof(msg)));
}

/* The same for a channel tool_channel_path() found by name: with its name and back end. */
static inline void tool_channel_error(const char *tool, struct moat_linux_channel *named,
                                      const char *path, const struct channel_file *f, int err)
{
    char msg[1024];

    if (path != named->path) {
        tool_file_error(tool, f, err);
        return;
    }
    named->file = *f;
    fprintf(stderr, "%s: %s\n", tool, moat_linux_message(named, err, msg, sizeof(msg)));
}

#endif /* CHANNEL_TOOL_ARGS_H */
