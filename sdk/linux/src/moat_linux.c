/*
 * The Linux SDK library (moat-linux.h): channels by policy name over the back end the
 * environment chooses, on libchannel's channel-file calls, which do every size and
 * header check. This file only finds the file for a name and says clearly what failed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moat-linux.h"

/* A policy name (policy/schema/moat.xsd nameType): no '/', so never a path. */
static bool linux_name_ok(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0u;

    if (len == 0u || len >= MOAT_LINUX_NAME_MAX) {
        return false;
    }
    if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') ||
          name[0] == '_')) {
        return false;
    }
    for (size_t i = 1; i < len; i++) {
        char ch = name[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';

        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Copies text[0, len) into out (size bytes) with its NUL; false when it does not fit. */
static bool linux_copy(char *out, size_t size, const char *text, size_t len)
{
    if (len >= size) {
        return false;
    }
    memcpy(out, text, len);
    out[len] = '\0';
    return true;
}

/*
 * MOAT_CHANNELS: "NAME=FILE[,NAME=FILE...]". Every entry must be well-formed, not only
 * the one looked for, so a typo is reported at once. Returns 1 found, 0 not named, or
 * MOAT_LINUX_ERR_CONFIG.
 */
static int linux_find_shared(const char *list, const char *name, char *path, size_t size)
{
    int found = 0;
    const char *entry = list;

    while (*entry != '\0') {
        const char *end = strchr(entry, ',');
        const char *eq = strchr(entry, '=');
        size_t entry_len = end != NULL ? (size_t)(end - entry) : strlen(entry);
        char entry_name[MOAT_LINUX_NAME_MAX];

        if (eq == NULL || eq >= entry + entry_len || eq == entry ||
            eq + 1 == entry + entry_len ||
            !linux_copy(entry_name, sizeof(entry_name), entry, (size_t)(eq - entry)) ||
            !linux_name_ok(entry_name)) {
            return MOAT_LINUX_ERR_CONFIG;
        }
        if (found == 0 && strcmp(entry_name, name) == 0) {
            if (!linux_copy(path, size, eq + 1, entry_len - (size_t)(eq + 1 - entry))) {
                return MOAT_LINUX_ERR_CONFIG;
            }
            found = 1;
        }
        entry += entry_len;
        if (*entry == ',') {
            entry++;
        }
    }
    return found;
}

int moat_linux_locate(struct moat_linux_channel *c, const char *name)
{
    const char *shared;
    const char *dir;
    int found;

    if (c == NULL) {
        return CHANNEL_ERR_NULL;
    }
    memset(c, 0, sizeof(*c));
    if (!linux_name_ok(name)) {
        if (name != NULL) {
            (void)snprintf(c->name, sizeof(c->name), "%.*s", (int)sizeof(c->name) - 1, name);
        }
        return MOAT_LINUX_ERR_NAME;
    }
    (void)linux_copy(c->name, sizeof(c->name), name, strlen(name));
    /* Inside a Linux VM subject (issue 12) the VM's own description is looked up first,
     * before the environment, when that back end exists. */
    shared = getenv("MOAT_CHANNELS");
    if (shared != NULL && shared[0] != '\0') {
        found = linux_find_shared(shared, name, c->path, sizeof(c->path));
        if (found < 0) {
            return found;
        }
        if (found == 1) {
            c->backend = MOAT_LINUX_BACKEND_SHARED;
            return 0;
        }
    }
    dir = getenv("MOAT_CHANNEL_DIR");
    if (dir != NULL && dir[0] != '\0') {
        int len = snprintf(c->path, sizeof(c->path), "%s/%s", dir, name);

        if (len < 0 || (size_t)len >= sizeof(c->path)) {
            c->path[0] = '\0';
            return MOAT_LINUX_ERR_CONFIG;
        }
        c->backend = MOAT_LINUX_BACKEND_FILES;
        return 0;
    }
    return MOAT_LINUX_ERR_NO_BACKEND;
}

int moat_linux_writer(struct moat_linux_channel *c, struct channel_writer *w, const char *name,
                      uint64_t protocol, size_t element_size, size_t elements, uint64_t epoch)
{
    int err = moat_linux_locate(c, name);
    bool shared;

    if (err != 0) {
        return err;
    }
    shared = c->backend == MOAT_LINUX_BACKEND_SHARED;
    /* A shared file's size is the policy's; only a plain file may be made here. */
    return channel_file_writer(&c->file, w, c->path, protocol, element_size,
                               shared ? 0u : elements, epoch, shared ? 0u : CHANNEL_FILE_CREATE);
}

int moat_linux_reader(struct moat_linux_channel *c, struct channel_reader *r, const char *name,
                      uint64_t protocol, size_t element_size)
{
    int err = moat_linux_locate(c, name);

    if (err != 0) {
        return err;
    }
    return channel_file_reader(&c->file, r, c->path, protocol, element_size, 0u, 0u);
}

int moat_linux_close(struct moat_linux_channel *c)
{
    if (c == NULL) {
        return CHANNEL_ERR_NULL;
    }
    return channel_file_close(&c->file);
}

int moat_linux_wait(const struct channel_reader *r, unsigned timeout_ms)
{
    struct timespec ms = { 0, 1000000 };

    for (unsigned waited = 0;; waited++) {
        if (channel_has_data(r)) {
            return 1;
        }
        if (waited >= timeout_ms) {
            return 0;
        }
        (void)nanosleep(&ms, NULL);
    }
}

int moat_linux_event_send(const char *event)
{
    (void)event;
    return MOAT_LINUX_ERR_NO_EVENTS;
}

int moat_linux_event_wait(const char *event, unsigned timeout_ms)
{
    (void)event;
    (void)timeout_ms;
    return MOAT_LINUX_ERR_NO_EVENTS;
}

uint64_t moat_linux_epoch(void)
{
    static uint64_t last;
    struct timespec ts;
    uint64_t now;

    (void)clock_gettime(CLOCK_REALTIME, &ts);
    now = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) | 1u;
    /* Two calls within the clock's resolution still differ. */
    if (now <= last) {
        now = last + 2u;
    }
    last = now;
    return now;
}

const char *moat_linux_strerror(int err)
{
    switch (err) {
    case MOAT_LINUX_ERR_NAME:
        return "not a channel name (a letter or '_', then letters, digits, '_', '-', '.'; "
               "at most 63)";
    case MOAT_LINUX_ERR_NO_BACKEND:
        return "no back end names this channel: set MOAT_CHANNELS=NAME=FILE (the files "
               "moat-run --share gives QEMU) or MOAT_CHANNEL_DIR=DIR (plain channel files)";
    case MOAT_LINUX_ERR_CONFIG:
        return "MOAT_CHANNELS is not NAME=FILE[,NAME=FILE...] (or a path is too long)";
    case MOAT_LINUX_ERR_NO_EVENTS:
        return "Moat events are not available to a program on the host or on plain files "
               "(no doorbell into the system): poll the channel (moat_linux_wait)";
    default:
        return channel_strerror(err);
    }
}

static const char *linux_backend_name(enum moat_linux_backend backend)
{
    switch (backend) {
    case MOAT_LINUX_BACKEND_SHARED:
        return "shared file from MOAT_CHANNELS";
    case MOAT_LINUX_BACKEND_FILES:
        return "channel file in MOAT_CHANNEL_DIR";
    default:
        return "no back end";
    }
}

char *moat_linux_message(const struct moat_linux_channel *c, int err, char *buf, size_t size)
{
    char detail[768];

    if (buf == NULL || size == 0u) {
        return buf;
    }
    if (c == NULL) {
        (void)snprintf(buf, size, "%s", moat_linux_strerror(err));
        return buf;
    }
    if (c->backend == MOAT_LINUX_BACKEND_NONE) {
        (void)snprintf(buf, size, "channel '%s': %s", c->name, moat_linux_strerror(err));
        return buf;
    }
    if (err == CHANNEL_ERR_FILE_MISSING && c->backend == MOAT_LINUX_BACKEND_SHARED) {
        (void)snprintf(buf, size,
                       "channel '%s' (%s): %s does not exist; moat-run --share %s=%s makes "
                       "it when it starts the system",
                       c->name, linux_backend_name(c->backend), c->path, c->name, c->path);
        return buf;
    }
    (void)channel_file_message(&c->file, err, detail, sizeof(detail));
    (void)snprintf(buf, size, "channel '%s' (%s): %s", c->name, linux_backend_name(c->backend),
                   detail);
    return buf;
}
