/*
 * Hosted only: channel files. Create or open a regular file that holds one channel,
 * check its size and header against what the caller asks for, map it (shared
 * read-write for the writer, PROT_READ for readers) and set up libchannel's writer or
 * reader over it. Every refusal has its own code and a one-line message with the numbers,
 * because "Invalid argument" from a mapping is what users of the bare call got.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "channel_internal.h"
#include "libchannel.h"

/* What the caller asks for; protocol/element_size 0 only for readers ("from header"). */
struct file_request {
    uint64_t protocol;
    uint64_t element_size;
    uint64_t elements;
    bool writable;
    unsigned flags;
};

static int file_errno_code(struct channel_file *f, int err)
{
    f->sys_errno = err;
    if (err == ENOENT) {
        return CHANNEL_ERR_FILE_MISSING;
    }
    if (err == EACCES || err == EPERM || err == EROFS) {
        return CHANNEL_ERR_FILE_ACCESS;
    }
    if (err == EISDIR) {
        return CHANNEL_ERR_FILE_TYPE; /* a directory opened for writing */
    }
    return CHANNEL_ERR_FILE_SYSTEM;
}

/* 64 + element_size * elements, or 0 when it does not fit 64 bits or a size_t. */
static uint64_t file_channel_bytes(uint64_t element_size, uint64_t elements)
{
    uint64_t slots;

    if (__builtin_mul_overflow(element_size, elements, &slots) ||
        slots > (uint64_t)SIZE_MAX - CHANNEL_HEADER_SIZE) {
        return 0u;
    }
    return CHANNEL_HEADER_SIZE + slots;
}

/*
 * Open path (creating it with the requested size when allowed), then check it is a
 * regular file. O_NONBLOCK so a FIFO does not block the open; regular files ignore it.
 * Returns an fd >= 0 or a CHANNEL_ERR_* value.
 */
static int file_open(struct channel_file *f, const char *path, const struct file_request *req)
{
    int access_mode = req->writable ? O_RDWR : O_RDONLY;
    struct stat st;
    int fd;

    fd = open(path, access_mode | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0 && errno == ENOENT && (req->flags & CHANNEL_FILE_CREATE) != 0u) {
        uint64_t bytes = file_channel_bytes(req->element_size, req->elements);

        if (req->protocol == 0u || req->element_size == 0u || req->elements == 0u ||
            bytes == 0u) {
            f->sys_errno = ENOENT; /* tells channel_file_message why */
            return CHANNEL_ERR_FILE_SIZE;
        }
        /* O_EXCL: if another process creates it first, open theirs below. */
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            if (ftruncate(fd, (off_t)bytes) != 0) {
                int code = file_errno_code(f, errno);

                (void)close(fd);
                (void)unlink(path);
                return code;
            }
            f->created = true;
        } else if (errno == EEXIST) {
            fd = open(path, access_mode | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        }
    }
    if (fd < 0) {
        return file_errno_code(f, errno);
    }
    if (fstat(fd, &st) != 0) {
        int code = file_errno_code(f, errno);

        (void)close(fd);
        return code;
    }
    if (!S_ISREG(st.st_mode)) {
        (void)close(fd);
        return CHANNEL_ERR_FILE_TYPE;
    }
    f->file_size = (uint64_t)st.st_size;
    return fd;
}

/* The file's size against the request (elements 0: anything holding one element). */
static int file_check_size(const struct channel_file *f, const struct file_request *req,
                           uint64_t element_size)
{
    if (f->file_size < CHANNEL_HEADER_SIZE || f->file_size > (uint64_t)SIZE_MAX) {
        return CHANNEL_ERR_FILE_SIZE;
    }
    if (req->elements == 0u) {
        return f->file_size - CHANNEL_HEADER_SIZE >= element_size ? 0 : CHANNEL_ERR_FILE_SIZE;
    }
    return f->file_size == file_channel_bytes(element_size, req->elements) ? 0
                                                                          : CHANNEL_ERR_FILE_SIZE;
}

/*
 * The header: all zero (never initialised) or SHMStream v2 with the asked-for protocol
 * and element size. Each field is loaded once; a live writer may be changing them.
 */
static int file_check_header(struct channel_file *f, const unsigned char *mem,
                             const struct file_request *req)
{
    uint64_t transport = channel_load_u64_relaxed(mem + CHANNEL_OFF_TRANSPORT);
    uint64_t protocol = channel_load_u64_relaxed(mem + CHANNEL_OFF_PROTOCOL);
    uint64_t size = channel_load_u64_relaxed(mem + CHANNEL_OFF_SIZE);
    uint64_t any = transport;
    size_t off;

    f->header_protocol = protocol;
    f->header_element_size = size;
    if (transport != CHANNEL_TRANSPORT_MARKER) {
        for (off = 8u; off < CHANNEL_HEADER_SIZE; off += 8u) {
            any |= channel_load_u64_relaxed(mem + off);
        }
        if (any != 0u) {
            return CHANNEL_ERR_FILE_NOT_CHANNEL;
        }
        return req->protocol == 0u || req->element_size == 0u ? CHANNEL_ERR_FILE_BLANK : 0;
    }
    if (req->protocol != 0u && protocol != req->protocol) {
        return CHANNEL_ERR_FILE_PROTOCOL;
    }
    if ((req->element_size != 0u && size != req->element_size) || size == 0u) {
        return CHANNEL_ERR_FILE_ELEMENT_SIZE;
    }
    if (protocol == 0u) {
        return CHANNEL_ERR_FILE_PROTOCOL;
    }
    f->protocol = protocol;
    f->element_size = size;
    return 0;
}

static void file_reset(struct channel_file *f, const char *path)
{
    memset(f, 0, sizeof(*f));
    f->path = path;
}

/* Open, check and map; on success f->mem holds the whole file. Returns 0 or an error. */
static int file_map(struct channel_file *f, const char *path, const struct file_request *req)
{
    void *map;
    int err;
    int fd;

    f->protocol = req->protocol;
    f->element_size = req->element_size;
    f->elements = req->elements;
    fd = file_open(f, path, req);
    if (fd < 0) {
        return fd;
    }
    /* Size first with the caller's element size, then again with the header's. */
    err = req->element_size != 0u ? file_check_size(f, req, req->element_size) : 0;
    if (err == 0 && f->file_size < CHANNEL_HEADER_SIZE) {
        err = CHANNEL_ERR_FILE_SIZE;
    }
    if (err != 0) {
        (void)close(fd);
        return err;
    }
    map = mmap(NULL, (size_t)f->file_size, req->writable ? PROT_READ | PROT_WRITE : PROT_READ,
               MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        err = file_errno_code(f, errno);
        (void)close(fd);
        return err;
    }
    (void)close(fd);
    err = file_check_header(f, map, req);
    if (err == 0) {
        err = file_check_size(f, req, f->element_size);
    }
    if (err != 0) {
        (void)munmap(map, (size_t)f->file_size);
        return err;
    }
    f->mem = map;
    f->mem_size = (size_t)f->file_size;
    f->elements = (f->file_size - CHANNEL_HEADER_SIZE) / f->element_size;
    return 0;
}

/* After a failure: nothing mapped, and a created file does not stay behind half-made. */
static int file_fail(struct channel_file *f, int err)
{
    if (f->mem != NULL) {
        (void)munmap(f->mem, f->mem_size);
        f->mem = NULL;
        f->mem_size = 0u;
    }
    if (f->created && f->path != NULL) {
        (void)unlink(f->path);
        f->created = false;
    }
    return err;
}

int channel_file_writer(struct channel_file *f, struct channel_writer *w, const char *path,
                        uint64_t protocol, size_t element_size, size_t elements, uint64_t epoch,
                        unsigned flags)
{
    struct file_request req = { protocol, element_size, elements, true, flags };
    int err;

    if (f == NULL || w == NULL || path == NULL) {
        return CHANNEL_ERR_NULL;
    }
    file_reset(f, path);
    if (element_size == 0u) {
        return CHANNEL_ERR_ELEMENT_SIZE;
    }
    if (protocol == 0u) {
        return CHANNEL_ERR_PROTOCOL;
    }
    if (epoch == CHANNEL_NULL_EPOCH) {
        return CHANNEL_ERR_EPOCH;
    }
    err = file_map(f, path, &req);
    if (err == 0) {
        err = channel_writer_init(w, f->mem, f->mem_size, protocol, element_size, epoch);
    }
    return err == 0 ? 0 : file_fail(f, err);
}

int channel_file_reader(struct channel_file *f, struct channel_reader *r, const char *path,
                        uint64_t protocol, size_t element_size, size_t elements, unsigned flags)
{
    struct file_request req = { protocol, element_size, elements, false, flags };
    int err;

    if (f == NULL || r == NULL || path == NULL) {
        return CHANNEL_ERR_NULL;
    }
    file_reset(f, path);
    err = file_map(f, path, &req);
    if (err == 0) {
        err = channel_reader_init(r, f->mem, f->mem_size, f->protocol, (size_t)f->element_size);
    }
    return err == 0 ? 0 : file_fail(f, err);
}

int channel_file_close(struct channel_file *f)
{
    int err = 0;

    if (f == NULL || f->mem == NULL) {
        return CHANNEL_ERR_NULL;
    }
    if (munmap(f->mem, f->mem_size) != 0) {
        err = file_errno_code(f, errno);
    }
    f->mem = NULL;
    f->mem_size = 0u;
    return err;
}

const char *channel_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case CHANNEL_ERR_NULL:
        return "a required argument is NULL";
    case CHANNEL_ERR_ALIGN:
        return "channel memory is not 8-byte aligned";
    case CHANNEL_ERR_TOO_SMALL:
        return "channel memory cannot hold the header and one element";
    case CHANNEL_ERR_ELEMENT_SIZE:
        return "element size is 0";
    case CHANNEL_ERR_PROTOCOL:
        return "protocol is 0";
    case CHANNEL_ERR_EPOCH:
        return "writer epoch is 0";
    case CHANNEL_ERR_FILE_MISSING:
        return "no such channel file";
    case CHANNEL_ERR_FILE_ACCESS:
        return "permission denied on the channel file";
    case CHANNEL_ERR_FILE_SYSTEM:
        return "a system call on the channel file failed";
    case CHANNEL_ERR_FILE_TYPE:
        return "not a regular file";
    case CHANNEL_ERR_FILE_SIZE:
        return "the file's size does not fit the channel";
    case CHANNEL_ERR_FILE_NOT_CHANNEL:
        return "the file is not a channel (header neither blank nor SHMStream v2)";
    case CHANNEL_ERR_FILE_PROTOCOL:
        return "the channel has another protocol";
    case CHANNEL_ERR_FILE_ELEMENT_SIZE:
        return "the channel has another element size";
    case CHANNEL_ERR_FILE_BLANK:
        return "the channel is not initialised, so its protocol and element size are unknown";
    default:
        return "unknown error";
    }
}

char *channel_file_message(const struct channel_file *f, int err, char *buf, size_t size)
{
    const char *path = f != NULL && f->path != NULL ? f->path : "channel file";
    const char *what = channel_strerror(err);

    if (buf == NULL || size == 0u) {
        return buf;
    }
    if (f == NULL) {
        (void)snprintf(buf, size, "%s", what);
        return buf;
    }
    switch (err) {
    case CHANNEL_ERR_FILE_MISSING:
    case CHANNEL_ERR_FILE_ACCESS:
    case CHANNEL_ERR_FILE_SYSTEM:
        (void)snprintf(buf, size, "%s: %s (%s)", path, what,
                       f->sys_errno != 0 ? strerror(f->sys_errno) : "no errno");
        break;
    case CHANNEL_ERR_FILE_SIZE:
        if (f->sys_errno == ENOENT) {
            (void)snprintf(buf, size,
                           "%s: does not exist, and creating it needs a nonzero protocol, "
                           "element size and element count (64 + size x count within a size_t)",
                           path);
        } else if (f->elements != 0u) {
            (void)snprintf(buf, size,
                           "%s: %s: the file has %" PRIu64 " bytes, but a channel of %" PRIu64
                           " x %" PRIu64 "-byte elements is 64 + %" PRIu64 " x %" PRIu64
                           " = %" PRIu64 " bytes",
                           path, what, f->file_size, f->elements, f->element_size, f->elements,
                           f->element_size, file_channel_bytes(f->element_size, f->elements));
        } else if (f->element_size == 0u) {
            (void)snprintf(buf, size,
                           "%s: %s: the file has %" PRIu64 " bytes, less than the 64-byte "
                           "header",
                           path, what, f->file_size);
        } else {
            (void)snprintf(buf, size,
                           "%s: %s: the file has %" PRIu64 " bytes, less than the 64-byte "
                           "header and one %" PRIu64 "-byte element",
                           path, what, f->file_size, f->element_size);
        }
        break;
    case CHANNEL_ERR_FILE_PROTOCOL:
        (void)snprintf(buf, size, "%s: %s: the header says 0x%" PRIx64 ", asked for 0x%" PRIx64,
                       path, what, f->header_protocol, f->protocol);
        break;
    case CHANNEL_ERR_FILE_ELEMENT_SIZE:
        (void)snprintf(buf, size,
                       "%s: %s: the header says %" PRIu64 " bytes, asked for %" PRIu64, path,
                       what, f->header_element_size, f->element_size);
        break;
    default:
        (void)snprintf(buf, size, "%s: %s", path, what);
        break;
    }
    return buf;
}
