/*
 * The Linux SDK library (moat-linux.h): channels by policy name over the back end the
 * environment chooses, on libchannel's channel-file calls, which do every size and
 * header check. This file only finds the file for a name and says clearly what failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <moat/sinfo_format.h>

#include "moat-linux.h"

#define LINUX_PAGE         4096u
#define LINUX_SINFO_MAX    (16u * 1024u) /* moat-polc's sinfo page of a VM */
#define LINUX_VMMCALL_SEND 1u            /* MOAT_KCALL_EVENT_SEND (moat/abi/kcall.h) */
#define LINUX_VMMCALL_POLL 3u            /* MOAT_KCALL_EVENT_POLL */

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

/*
 * The VM back end. The sinfo page's guest-physical address: MOAT_SINFO=0x... in the
 * environment, else "moat.sinfo=0x..." on the kernel command line (moat-polc appends it
 * to every Linux VM's). Returns 1 found (*gpa), 0 not in a VM, MOAT_LINUX_ERR_SINFO.
 */
static int linux_vm_sinfo_gpa(uint64_t *gpa)
{
    static const char key[] = "moat.sinfo=";
    char line[4096];
    const char *text = getenv("MOAT_SINFO");
    char *end;

    if (text == NULL || text[0] == '\0') {
        FILE *f = fopen("/proc/cmdline", "r");
        size_t n;

        if (f == NULL) {
            return 0;
        }
        n = fread(line, 1, sizeof(line) - 1u, f);
        (void)fclose(f);
        line[n] = '\0';
        text = line;
        while (text != NULL && strncmp(text, key, sizeof(key) - 1u) != 0) {
            text = strchr(text, ' ');
            text = text != NULL ? text + 1 : NULL;
        }
        if (text == NULL) {
            return 0;
        }
        text += sizeof(key) - 1u;
    }
    errno = 0;
    *gpa = strtoull(text, &end, 16);
    if (errno != 0 || end == text || (*end != '\0' && *end != ' ' && *end != '\n') ||
        (*gpa % LINUX_PAGE) != 0u) {
        return MOAT_LINUX_ERR_SINFO;
    }
    return 1;
}

/* Guest-physical memory: /dev/mem, or for tests a file standing in for it. */
static const char *linux_vm_mem(void)
{
    const char *path = getenv("MOAT_VM_MEMFILE");

    return path != NULL && path[0] != '\0' ? path : "/dev/mem";
}

/*
 * Copies the sinfo page's resource of this kind and name into *out. Returns 1 found,
 * 0 not listed (or not in a VM), MOAT_LINUX_ERR_SINFO, or CHANNEL_ERR_FILE_* when
 * /dev/mem does not let the page be read.
 */
static int linux_vm_resource(const char *name, uint32_t kind, struct moat_sinfo_resource *out,
                             int *sys_errno)
{
    const struct moat_sinfo *info;
    uint64_t gpa;
    void *mem;
    int fd;
    int found = linux_vm_sinfo_gpa(&gpa);

    if (found <= 0) {
        return found;
    }
    fd = open(linux_vm_mem(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *sys_errno = errno;
        return errno == EACCES || errno == EPERM ? CHANNEL_ERR_FILE_ACCESS : CHANNEL_ERR_FILE_SYSTEM;
    }
    mem = mmap(NULL, LINUX_SINFO_MAX, PROT_READ, MAP_SHARED, fd, (off_t)gpa);
    *sys_errno = mem == MAP_FAILED ? errno : 0;
    (void)close(fd);
    if (mem == MAP_FAILED) {
        return *sys_errno == EPERM ? CHANNEL_ERR_FILE_ACCESS : CHANNEL_ERR_FILE_SYSTEM;
    }
    info = mem;
    found = MOAT_LINUX_ERR_SINFO;
    if (info->magic == MOAT_SINFO_MAGIC && info->version == MOAT_SINFO_VERSION &&
        info->resource_count <= (LINUX_SINFO_MAX - sizeof(*info)) / sizeof(info->resources[0])) {
        found = 0;
        for (uint32_t i = 0; i < info->resource_count; i++) {
            const struct moat_sinfo_resource *res = &info->resources[i];

            if (res->kind == kind && strncmp(res->name, name, MOAT_NAME_MAX) == 0) {
                *out = *res;
                found = 1;
                break;
            }
        }
    }
    (void)munmap(mem, LINUX_SINFO_MAX);
    return found;
}

/* A channel the sinfo page lists: c->backend VM and its fields. 1, 0 or an error. */
static int linux_vm_locate(struct moat_linux_channel *c, const char *name)
{
    struct moat_sinfo_resource res;
    int found = linux_vm_resource(name, MOAT_RES_CHANNEL, &res, &c->file.sys_errno);

    if (found != 1) {
        return found;
    }
    c->backend = MOAT_LINUX_BACKEND_VM;
    (void)linux_copy(c->path, sizeof(c->path), linux_vm_mem(), strlen(linux_vm_mem()));
    c->vm_address = res.address;
    c->vm_size = res.size;
    c->vm_protocol = res.protocol;
    c->vm_element_size = res.element_size;
    c->vm_writer = (res.flags & MOAT_RES_WRITER) != 0u;
    return 1;
}

/*
 * Maps a located VM channel through /dev/mem: the writer read-write (only on the VM's
 * writer end), a reader read-only (either end: the nested page tables map a channel the
 * VM writes read-write, one it reads read-only), and checks the caller's protocol and element size (0: the policy's) against the sinfo
 * page. Fills c->file as the file back ends do. Returns 0 or an error.
 */
static int linux_vm_map(struct moat_linux_channel *c, bool writer, uint64_t protocol,
                        size_t element_size)
{
    struct channel_file *f = &c->file;
    void *mem;
    int fd;

    f->path = c->path;
    f->file_size = c->vm_size;
    f->header_protocol = c->vm_protocol;
    f->header_element_size = c->vm_element_size;
    /* Only the writer's end maps read-write; reading one's own channel is a view. */
    if (writer && c->vm_writer == 0) {
        return MOAT_LINUX_ERR_END;
    }
    if (protocol != 0u && protocol != c->vm_protocol) {
        f->protocol = protocol;
        return CHANNEL_ERR_FILE_PROTOCOL;
    }
    if (element_size != 0u && element_size != c->vm_element_size) {
        f->element_size = element_size;
        return CHANNEL_ERR_FILE_ELEMENT_SIZE;
    }
    f->protocol = c->vm_protocol;
    f->element_size = c->vm_element_size;
    if (c->vm_size <= CHANNEL_HEADER_SIZE || c->vm_element_size == 0u ||
        c->vm_address % LINUX_PAGE != 0u || c->vm_size % LINUX_PAGE != 0u) {
        return MOAT_LINUX_ERR_SINFO;
    }
    fd = open(c->path, (writer ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        f->sys_errno = errno;
        return errno == EACCES || errno == EPERM ? CHANNEL_ERR_FILE_ACCESS : CHANNEL_ERR_FILE_SYSTEM;
    }
    mem = mmap(NULL, (size_t)c->vm_size, writer ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
               fd, (off_t)c->vm_address);
    f->sys_errno = mem == MAP_FAILED ? errno : 0;
    (void)close(fd);
    if (mem == MAP_FAILED) {
        return f->sys_errno == EPERM ? CHANNEL_ERR_FILE_ACCESS : CHANNEL_ERR_FILE_SYSTEM;
    }
    f->mem = mem;
    f->mem_size = (size_t)c->vm_size;
    f->elements = (c->vm_size - CHANNEL_HEADER_SIZE) / c->vm_element_size;
    return 0;
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
    /* Inside a Linux VM subject its own description comes first. */
    found = linux_vm_locate(c, name);
    if (found != 0) {
        return found < 0 ? found : 0;
    }
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
    if (c->backend == MOAT_LINUX_BACKEND_VM) {
        err = linux_vm_map(c, true, protocol, element_size);
        if (err == 0) {
            err = channel_writer_init(w, c->file.mem, c->file.mem_size, c->file.protocol,
                                      (size_t)c->file.element_size, epoch);
        }
        if (err != 0 && c->file.mem != NULL) {
            (void)channel_file_close(&c->file);
        }
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
    if (c->backend == MOAT_LINUX_BACKEND_VM) {
        err = linux_vm_map(c, false, protocol, element_size);
        if (err == 0) {
            err = channel_reader_init(r, c->file.mem, c->file.mem_size, c->file.protocol,
                                      (size_t)c->file.element_size);
        }
        if (err != 0 && c->file.mem != NULL) {
            (void)channel_file_close(&c->file);
        }
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

/* The VM's event of that name and kind: 1 with *res, or the error for the caller. */
static int linux_vm_event(const char *event, uint32_t kind, struct moat_sinfo_resource *res)
{
    int sys_errno = 0;
    int found;

    if (!linux_name_ok(event)) {
        return MOAT_LINUX_ERR_NAME;
    }
    found = linux_vm_resource(event, kind, res, &sys_errno);
    if (found == 0) {
        uint64_t gpa;

        return linux_vm_sinfo_gpa(&gpa) == 1 ? MOAT_LINUX_ERR_NO_EVENT : MOAT_LINUX_ERR_NO_EVENTS;
    }
    return found;
}

int moat_linux_event_send(const char *event)
{
    struct moat_sinfo_resource res;
    int found = linux_vm_event(event, MOAT_RES_EVENT_SEND, &res);

    if (found != 1) {
        return found;
    }
#if defined(__x86_64__)
    {
        /* Moat's kernel call from a VM, allowed from ring 3: rax = call, rdi = send id. */
        int64_t ret;

        __asm__ volatile("vmmcall" : "=a"(ret) : "a"((uint64_t)LINUX_VMMCALL_SEND),
                         "D"((uint64_t)res.id) : "memory");
        return (int)ret;
    }
#else
    return MOAT_LINUX_ERR_NO_EVENTS;
#endif
}

#if defined(__x86_64__)
/* The lowest pending incoming event without a vector, taken (vmmcall from ring 3), or < 0. */
static int64_t linux_vm_poll(void)
{
    int64_t ret;

    __asm__ volatile("vmmcall" : "=a"(ret) : "a"((uint64_t)LINUX_VMMCALL_POLL) : "memory");
    return ret;
}
#endif

int moat_linux_event_wait(const char *event, unsigned timeout_ms)
{
    struct moat_sinfo_resource res;
    int found = linux_vm_event(event, MOAT_RES_EVENT_RECV, &res);

    if (found != 1) {
        return found;
    }
    /* An event with a vector arrives as an interrupt for the guest kernel, never by a poll. */
    if (res.line != 0u || res.id >= 64u) {
        return MOAT_LINUX_ERR_NO_EVENTS;
    }
#if defined(__x86_64__)
    {
        /* Events a poll took while this process waited for another, kept for later calls. */
        static uint64_t seen;
        const struct timespec ms = {0, 1000000};

        for (unsigned waited = 0;; waited++) {
            /* Each poll takes one pending event: at most 64 are pending at once. */
            for (unsigned i = 0; i < 64u; i++) {
                int64_t got = linux_vm_poll();

                if (got < 0 || got >= 64) {
                    break;
                }
                seen |= 1ull << got;
            }
            if ((seen & (1ull << res.id)) != 0u) {
                seen &= ~(1ull << res.id);
                return 1;
            }
            if (waited >= timeout_ms) {
                return 0;
            }
            (void)nanosleep(&ms, NULL);
        }
    }
#else
    (void)timeout_ms;
    return MOAT_LINUX_ERR_NO_EVENTS;
#endif
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
        return "Moat events cannot reach this program: on the host or on plain files there "
               "is no doorbell into the system, and inside a VM an incoming event the policy "
               "gives a vector is an interrupt for the guest kernel (give it none to wait "
               "for it here): poll the channel (moat_linux_wait)";
    case MOAT_LINUX_ERR_SINFO:
        return "no valid Moat sinfo page at the address moat.sinfo= (or MOAT_SINFO) gives";
    case MOAT_LINUX_ERR_END:
        return "the policy makes this VM a reader of the channel, not its writer";
    case MOAT_LINUX_ERR_NO_EVENT:
        return "the policy grants this VM no event of that name (outgoing to send it, "
               "incoming to wait for it)";
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
    case MOAT_LINUX_BACKEND_VM:
        return "VM channel from the sinfo page, /dev/mem";
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
    if (c->backend == MOAT_LINUX_BACKEND_VM) {
        (void)snprintf(buf, size, "channel '%s' (%s, guest-physical 0x%llx, %llu bytes): %s",
                       c->name, linux_backend_name(c->backend),
                       (unsigned long long)c->vm_address, (unsigned long long)c->vm_size,
                       err <= MOAT_LINUX_ERR_NAME ? moat_linux_strerror(err)
                                                  : channel_file_message(&c->file, err, detail,
                                                                         sizeof(detail)));
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
