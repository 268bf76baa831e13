/*
 * Hosted only: map a channel that lives in a file (a tmpfs file, a memfd seen through
 * /proc, an ivshmem BAR's sysfs resource file) for a Linux program. Writers get a
 * shared read-write mapping, readers a PROT_READ one, so one-way flow holds on the
 * Linux side too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libchannel.h"

int channel_map_file(const char *path, bool writable, void **mem, size_t *mem_size)
{
    struct stat st;
    void *map;
    int fd;
    int err = 0;

    if (path == NULL || mem == NULL || mem_size == NULL) {
        return -EINVAL;
    }
    fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    if (fstat(fd, &st) != 0) {
        err = -errno;
    } else if (st.st_size < (off_t)(CHANNEL_HEADER_SIZE + 1u) ||
               (uintmax_t)st.st_size > (uintmax_t)SIZE_MAX) {
        /* Too small for a header and one byte of element, or unmappable. */
        err = -EINVAL;
    } else {
        map = mmap(NULL, (size_t)st.st_size, writable ? PROT_READ | PROT_WRITE : PROT_READ,
                   MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) {
            err = -errno;
        } else {
            *mem = map;
            *mem_size = (size_t)st.st_size;
        }
    }
    (void)close(fd);
    return err;
}

int channel_unmap(void *mem, size_t mem_size)
{
    if (mem == NULL || mem_size == 0u) {
        return -EINVAL;
    }
    if (munmap(mem, mem_size) != 0) {
        return -errno;
    }
    return 0;
}
