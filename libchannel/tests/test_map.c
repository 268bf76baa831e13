/*
 * Unit tests of channel_map_file and channel_unmap: a writer gets a shared read-write
 * mapping, a reader a read-only one that a reader can work on, and failures come back
 * as negative errno values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"

static char path[] = "/tmp/libchannel-test-map-XXXXXX";

static int create_file(void **state)
{
    int fd = mkstemp(path);

    (void)state;
    if (fd < 0 || ftruncate(fd, 4096) != 0) {
        return -1;
    }
    return close(fd);
}

static int remove_file(void **state)
{
    (void)state;
    return unlink(path);
}

/* The permissions of the mapping containing addr, from /proc/self/maps ("r--s"). */
static void mapping_perms(const void *addr, char perms[5])
{
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];

    assert_non_null(maps);
    perms[0] = '\0';
    while (fgets(line, sizeof(line), maps) != NULL) {
        unsigned long start;
        unsigned long end;
        char p[5];

        if (sscanf(line, "%lx-%lx %4s", &start, &end, p) == 3 && (uintptr_t)addr >= start &&
            (uintptr_t)addr < end) {
            memcpy(perms, p, 5);
            break;
        }
    }
    fclose(maps);
}

static void writer_maps_shared_read_write_and_reader_read_only(void **state)
{
    struct channel_writer w;
    struct channel_reader r;
    void *wmem;
    void *rmem;
    size_t wsize;
    size_t rsize;
    unsigned char element[32];
    char perms[5];

    (void)state;
    assert_int_equal(channel_map_file(path, true, &wmem, &wsize), 0);
    assert_int_equal(channel_map_file(path, false, &rmem, &rsize), 0);
    assert_int_equal(wsize, 4096);
    assert_int_equal(rsize, 4096);
    mapping_perms(wmem, perms);
    assert_string_equal(perms, "rw-s");
    mapping_perms(rmem, perms);
    assert_string_equal(perms, "r--s");

    /* A reader works on the read-only mapping of what the writer writes. */
    assert_int_equal(channel_writer_init(&w, wmem, wsize, TEST_PROTOCOL, 32, TEST_EPOCH), 0);
    assert_int_equal(channel_reader_init(&r, rmem, rsize, TEST_PROTOCOL, 32), 0);
    assert_int_equal(channel_read(&r, element), CHANNEL_EPOCH_CHANGED);
    test_fill_element(element, 32, 42);
    channel_write(&w, element);
    memset(element, 0, sizeof(element));
    assert_int_equal(channel_read(&r, element), CHANNEL_SUCCESS);
    assert_true(test_element_is(element, 32, 42));
    assert_true(channel_has_data(&r) == false);
    channel_drain(&r);

    assert_int_equal(channel_unmap(wmem, wsize), 0);
    assert_int_equal(channel_unmap(rmem, rsize), 0);
}

static void map_file_reports_a_missing_file_as_enoent(void **state)
{
    void *mem;
    size_t size;

    (void)state;
    assert_int_equal(channel_map_file("/nonexistent/libchannel-channel", false, &mem, &size),
                     -ENOENT);
}

static void map_file_rejects_a_file_too_small_for_a_channel(void **state)
{
    char small[] = "/tmp/libchannel-test-small-XXXXXX";
    int fd = mkstemp(small);
    void *mem;
    size_t size;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 64), 0);
    close(fd);
    assert_int_equal(channel_map_file(small, false, &mem, &size), -EINVAL);
    unlink(small);
}

static void map_file_refuses_a_writer_on_a_read_only_file(void **state)
{
    void *mem;
    size_t size;

    (void)state;
    if (geteuid() == 0) {
        skip(); /* root may open any file for writing */
    }
    assert_int_equal(chmod(path, 0444), 0);
    assert_int_equal(channel_map_file(path, true, &mem, &size), -EACCES);
    assert_int_equal(channel_map_file(path, false, &mem, &size), 0);
    assert_int_equal(channel_unmap(mem, size), 0);
    assert_int_equal(chmod(path, 0600), 0);
}

static void map_and_unmap_reject_null_arguments(void **state)
{
    void *mem;
    size_t size;

    (void)state;
    assert_int_equal(channel_map_file(NULL, false, &mem, &size), -EINVAL);
    assert_int_equal(channel_map_file(path, false, NULL, &size), -EINVAL);
    assert_int_equal(channel_map_file(path, false, &mem, NULL), -EINVAL);
    assert_int_equal(channel_unmap(NULL, 4096), -EINVAL);
    assert_int_equal(channel_unmap(&size, 0), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writer_maps_shared_read_write_and_reader_read_only),
        cmocka_unit_test(map_file_reports_a_missing_file_as_enoent),
        cmocka_unit_test(map_file_rejects_a_file_too_small_for_a_channel),
        cmocka_unit_test(map_file_refuses_a_writer_on_a_read_only_file),
        cmocka_unit_test(map_and_unmap_reject_null_arguments),
    };

    return cmocka_run_group_tests(tests, create_file, remove_file);
}
