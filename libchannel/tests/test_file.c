/*
 * Unit tests of the channel-file calls (channel_file_writer/reader/close/message): a
 * writer creates a file of exactly the channel's size or reopens its own, a reader finds
 * protocol and size in the header, and every wrong file is refused with its own code,
 * untouched, and with a message that names the numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"

#define OTHER_PROTOCOL 0x6f746865ULL /* "othe" */

static char dir[] = "/tmp/libchannel-test-file-XXXXXX";
static char path[sizeof(dir) + 32];

static int make_dir(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    (void)snprintf(path, sizeof(path), "%s/chan", dir);
    return 0;
}

static int remove_dir(void **state)
{
    char cmd[sizeof(dir) + 16];

    (void)state;
    (void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

/* Each test starts without the file. */
static int no_file(void **state)
{
    (void)state;
    (void)unlink(path);
    (void)rmdir(path);
    return 0;
}

static void write_bytes(const char *p, const unsigned char *data, size_t len)
{
    FILE *out = fopen(p, "wb");

    assert_non_null(out);
    assert_int_equal(fwrite(data, 1, len, out), len);
    assert_int_equal(fclose(out), 0);
}

/* The whole file, into buf (at most cap bytes); returns its length. */
static size_t read_bytes(const char *p, unsigned char *buf, size_t cap)
{
    FILE *in = fopen(p, "rb");
    size_t len;

    assert_non_null(in);
    len = fread(buf, 1, cap, in);
    fclose(in);
    return len;
}

static off_t file_size(const char *p)
{
    struct stat st;

    assert_int_equal(stat(p, &st), 0);
    return st.st_size;
}

static bool contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL) {
        print_error("message '%s' lacks '%s'\n", text, part);
        return false;
    }
    return true;
}

static void writer_creates_a_file_of_exactly_the_channel_size(void **state)
{
    struct channel_file wf;
    struct channel_file rf;
    struct channel_writer w;
    struct channel_reader r;
    unsigned char in[64];
    unsigned char out[64];

    (void)state;
    assert_int_equal(channel_file_writer(&wf, &w, path, TEST_PROTOCOL, 64, 16, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     0);
    assert_true(wf.created);
    assert_int_equal(file_size(path), 64 + 16 * 64);
    assert_int_equal(wf.elements, 16);
    assert_int_equal(test_get_field(wf.mem, 16), TEST_PROTOCOL);

    /* The reader learns protocol and element size from the header. */
    assert_int_equal(channel_file_reader(&rf, &r, path, 0, 0, 0, 0), 0);
    assert_false(rf.created);
    assert_int_equal(rf.protocol, TEST_PROTOCOL);
    assert_int_equal(rf.element_size, 64);
    assert_int_equal(rf.elements, 16);
    assert_int_equal(channel_read(&r, out), CHANNEL_EPOCH_CHANGED);
    test_fill_element(in, sizeof(in), 7);
    channel_write(&w, in);
    assert_int_equal(channel_read(&r, out), CHANNEL_SUCCESS);
    assert_memory_equal(in, out, sizeof(in));
    assert_int_equal(channel_file_close(&rf), 0);
    assert_int_equal(channel_file_close(&wf), 0);
    assert_null(wf.mem);
}

static void writer_reopens_its_channel_with_a_new_epoch(void **state)
{
    struct channel_file wf;
    struct channel_file rf;
    struct channel_writer w;
    struct channel_reader r;
    unsigned char out[32];

    (void)state;
    assert_int_equal(channel_file_writer(&wf, &w, path, TEST_PROTOCOL, 32, 8, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     0);
    assert_int_equal(channel_file_reader(&rf, &r, path, TEST_PROTOCOL, 32, 8, 0), 0);
    assert_int_equal(channel_read(&r, out), CHANNEL_EPOCH_CHANGED);
    assert_int_equal(channel_file_close(&wf), 0);

    assert_int_equal(channel_file_writer(&wf, &w, path, TEST_PROTOCOL, 32, 8, TEST_EPOCH2,
                                         CHANNEL_FILE_CREATE),
                     0);
    assert_false(wf.created);
    assert_int_equal(test_get_field(wf.mem, 8), TEST_EPOCH2);
    assert_int_equal(channel_read(&r, out), CHANNEL_EPOCH_CHANGED);
    assert_int_equal(file_size(path), 64 + 8 * 32);
    channel_file_close(&wf);
    channel_file_close(&rf);
}

static void missing_file_without_create_is_refused(void **state)
{
    struct channel_file f;
    struct channel_writer w;
    struct channel_reader r;
    char msg[512];

    (void)state;
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 64, 16, TEST_EPOCH, 0),
                     CHANNEL_ERR_FILE_MISSING);
    assert_int_equal(f.sys_errno, ENOENT);
    assert_null(f.mem);
    channel_file_message(&f, CHANNEL_ERR_FILE_MISSING, msg, sizeof(msg));
    assert_true(contains(msg, path));
    assert_true(contains(msg, "No such file"));
    assert_int_equal(channel_file_reader(&f, &r, path, 0, 0, 0, 0), CHANNEL_ERR_FILE_MISSING);
    assert_int_equal(access(path, F_OK), -1);
}

static void file_of_the_wrong_size_is_refused_and_left_alone(void **state)
{
    unsigned char data[1000];
    unsigned char after[1100];
    struct channel_file f;
    struct channel_writer w;
    struct channel_reader r;
    char msg[512];

    (void)state;
    memset(data, 0, sizeof(data));
    write_bytes(path, data, sizeof(data));
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 64, 16, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_FILE_SIZE);
    assert_null(f.mem);
    channel_file_message(&f, CHANNEL_ERR_FILE_SIZE, msg, sizeof(msg));
    assert_true(contains(msg, "the file has 1000 bytes"));
    assert_true(contains(msg, "16 x 64-byte elements is 64 + 16 x 64 = 1088 bytes"));
    assert_int_equal(read_bytes(path, after, sizeof(after)), sizeof(data));
    assert_memory_equal(after, data, sizeof(data));

    /* One byte more than the channel is wrong too when the count is given. */
    write_bytes(path, data, 64 + 14 * 64 + 1);
    assert_int_equal(channel_file_reader(&f, &r, path, TEST_PROTOCOL, 64, 14, 0),
                     CHANNEL_ERR_FILE_SIZE);
    write_bytes(path, data, sizeof(data));
    /* Without a count, anything holding one element is fine; 1000 holds 14. */
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 64, 0, TEST_EPOCH, 0), 0);
    assert_int_equal(f.elements, 14);
    channel_file_close(&f);
}

static void file_smaller_than_header_and_one_element_is_refused(void **state)
{
    unsigned char data[64 + 63];
    struct channel_file f;
    struct channel_reader r;
    char msg[512];

    (void)state;
    memset(data, 0, sizeof(data));
    write_bytes(path, data, sizeof(data));
    assert_int_equal(channel_file_reader(&f, &r, path, TEST_PROTOCOL, 64, 0, 0),
                     CHANNEL_ERR_FILE_SIZE);
    channel_file_message(&f, CHANNEL_ERR_FILE_SIZE, msg, sizeof(msg));
    assert_true(contains(msg, "127 bytes, less than the 64-byte header and one 64-byte element"));
    write_bytes(path, data, 10);
    assert_int_equal(channel_file_reader(&f, &r, path, 0, 0, 0, 0), CHANNEL_ERR_FILE_SIZE);
    channel_file_message(&f, CHANNEL_ERR_FILE_SIZE, msg, sizeof(msg));
    assert_true(contains(msg, "the file has 10 bytes, less than the 64-byte header"));
    assert_null(strstr(msg, "0-byte element"));
}

static void header_with_another_protocol_is_refused_untouched(void **state)
{
    struct channel_file f;
    struct channel_writer w;
    struct channel_reader r;
    char msg[512];

    (void)state;
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 64, 4, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     0);
    channel_write(&w, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde");
    channel_file_close(&f);

    assert_int_equal(channel_file_writer(&f, &w, path, OTHER_PROTOCOL, 64, 4, TEST_EPOCH2,
                                         CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_FILE_PROTOCOL);
    channel_file_message(&f, CHANNEL_ERR_FILE_PROTOCOL, msg, sizeof(msg));
    assert_true(contains(msg, "header says 0x6d6f61742d746573, asked for 0x6f746865"));
    assert_int_equal(channel_file_reader(&f, &r, path, OTHER_PROTOCOL, 64, 4, 0),
                     CHANNEL_ERR_FILE_PROTOCOL);

    /* The first writer's epoch and element are still there. */
    assert_int_equal(channel_file_reader(&f, &r, path, TEST_PROTOCOL, 64, 4, 0), 0);
    assert_int_equal(test_get_field(f.mem, 8), TEST_EPOCH);
    assert_int_equal(test_get_field(f.mem, 56), 1);
    channel_file_close(&f);
}

static void header_with_another_element_size_is_refused(void **state)
{
    struct channel_file f;
    struct channel_writer w;
    struct channel_reader r;
    char msg[512];

    (void)state;
    /* 32 x 16 and 16 x 32 are the same file size: only the header tells them apart. */
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 32, 16, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     0);
    channel_file_close(&f);
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 16, 32, TEST_EPOCH2, 0),
                     CHANNEL_ERR_FILE_ELEMENT_SIZE);
    channel_file_message(&f, CHANNEL_ERR_FILE_ELEMENT_SIZE, msg, sizeof(msg));
    assert_true(contains(msg, "the header says 32 bytes, asked for 16"));
    assert_int_equal(channel_file_reader(&f, &r, path, TEST_PROTOCOL, 16, 0, 0),
                     CHANNEL_ERR_FILE_ELEMENT_SIZE);
    assert_int_equal(channel_file_reader(&f, &r, path, 0, 0, 0, 0), 0);
    assert_int_equal(f.element_size, 32);
    channel_file_close(&f);
}

static void file_that_is_not_a_channel_is_not_overwritten(void **state)
{
    unsigned char data[64 + 4 * 16];
    unsigned char after[sizeof(data)];
    struct channel_file f;
    struct channel_writer w;
    struct channel_reader r;
    char msg[512];

    (void)state;
    memset(data, 'x', sizeof(data));
    write_bytes(path, data, sizeof(data));
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 16, 4, TEST_EPOCH, 0),
                     CHANNEL_ERR_FILE_NOT_CHANNEL);
    channel_file_message(&f, CHANNEL_ERR_FILE_NOT_CHANNEL, msg, sizeof(msg));
    assert_true(contains(msg, "not a channel"));
    assert_int_equal(read_bytes(path, after, sizeof(after)), sizeof(data));
    assert_memory_equal(after, data, sizeof(data));
    assert_int_equal(channel_file_reader(&f, &r, path, TEST_PROTOCOL, 16, 4, 0),
                     CHANNEL_ERR_FILE_NOT_CHANNEL);

    /* One nonzero byte past the marker field is enough to refuse a header. */
    memset(data, 0, sizeof(data));
    data[63] = 1;
    write_bytes(path, data, sizeof(data));
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 16, 4, TEST_EPOCH, 0),
                     CHANNEL_ERR_FILE_NOT_CHANNEL);
}

static void directory_and_fifo_are_not_regular_files(void **state)
{
    struct channel_file f;
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(channel_file_reader(&f, &r, path, TEST_PROTOCOL, 16, 4, 0),
                     CHANNEL_ERR_FILE_TYPE);
    assert_int_equal(rmdir(path), 0);
    /* A FIFO must not block the open (nobody writes it). */
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(channel_file_reader(&f, &r, path, TEST_PROTOCOL, 16, 4, 0),
                     CHANNEL_ERR_FILE_TYPE);
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 16, 4, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_FILE_TYPE);
    assert_null(f.mem);
}

/* Run the open in a child that is not root (nobody), so permissions apply. */
static int open_as_nobody(bool writer)
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        struct channel_file f;
        struct channel_writer w;
        struct channel_reader r;
        int err;

        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
            _exit(100);
        }
        err = writer ? channel_file_writer(&f, &w, path, TEST_PROTOCOL, 16, 4, TEST_EPOCH, 0)
                     : channel_file_reader(&f, &r, path, TEST_PROTOCOL, 16, 4, 0);
        _exit(-err);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_not_equal(WEXITSTATUS(status), 100);
    return -WEXITSTATUS(status);
}

static void permission_problems_are_access_errors(void **state)
{
    struct channel_file f;
    struct channel_writer w;
    char msg[512];

    (void)state;
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 16, 4, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     0);
    channel_file_close(&f);
    /* Readable by all, writable by the owner only: others may read, not write. */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(open_as_nobody(false), 0);
    assert_int_equal(open_as_nobody(true), CHANNEL_ERR_FILE_ACCESS);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(open_as_nobody(false), CHANNEL_ERR_FILE_ACCESS);
    assert_int_equal(chmod(dir, 0700), 0);

    f.path = path;
    f.sys_errno = EACCES;
    channel_file_message(&f, CHANNEL_ERR_FILE_ACCESS, msg, sizeof(msg));
    assert_true(contains(msg, "Permission denied"));
}

/* A file that cannot be given its size (file size limit) is a system error, removed. */
static void failed_create_leaves_no_half_made_file(void **state)
{
    pid_t pid;
    int status;

    (void)state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit limit = { 100, 100 };
        struct channel_file f;
        struct channel_writer w;
        int err;

        (void)signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &limit) != 0) {
            _exit(100);
        }
        err = channel_file_writer(&f, &w, path, TEST_PROTOCOL, 64, 16, TEST_EPOCH,
                                  CHANNEL_FILE_CREATE);
        _exit(err == CHANNEL_ERR_FILE_SYSTEM && f.sys_errno == EFBIG ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(access(path, F_OK), -1);
}

static void reader_needs_protocol_and_size_from_somewhere(void **state)
{
    unsigned char data[64 + 4 * 16];
    struct channel_file f;
    struct channel_reader r;

    (void)state;
    memset(data, 0, sizeof(data));
    write_bytes(path, data, sizeof(data));
    assert_int_equal(channel_file_reader(&f, &r, path, 0, 0, 0, 0), CHANNEL_ERR_FILE_BLANK);
    assert_int_equal(channel_file_reader(&f, &r, path, TEST_PROTOCOL, 0, 0, 0),
                     CHANNEL_ERR_FILE_BLANK);
    /* Given both, a blank file is a channel no writer has started yet. */
    assert_int_equal(channel_file_reader(&f, &r, path, TEST_PROTOCOL, 16, 4, 0), 0);
    assert_int_equal(channel_read(&r, data), CHANNEL_INACTIVE);
    channel_file_close(&f);
}

static void reader_may_create_the_file_before_the_writer(void **state)
{
    struct channel_file rf;
    struct channel_file wf;
    struct channel_reader r;
    struct channel_writer w;
    unsigned char in[16];
    unsigned char out[16];

    (void)state;
    assert_int_equal(channel_file_reader(&rf, &r, path, TEST_PROTOCOL, 16, 4,
                                         CHANNEL_FILE_CREATE),
                     0);
    assert_true(rf.created);
    assert_int_equal(file_size(path), 64 + 4 * 16);
    assert_int_equal(channel_read(&r, out), CHANNEL_INACTIVE);
    assert_int_equal(channel_file_writer(&wf, &w, path, TEST_PROTOCOL, 16, 4, TEST_EPOCH, 0), 0);
    test_fill_element(in, sizeof(in), 3);
    channel_write(&w, in);
    assert_int_equal(channel_read(&r, out), CHANNEL_EPOCH_CHANGED);
    assert_int_equal(channel_read(&r, out), CHANNEL_SUCCESS);
    assert_memory_equal(in, out, sizeof(in));
    channel_file_close(&wf);
    channel_file_close(&rf);
}

static void create_without_a_full_geometry_leaves_no_file(void **state)
{
    struct channel_file f;
    struct channel_writer w;
    struct channel_reader r;
    char msg[512];

    (void)state;
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 16, 0, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_FILE_SIZE);
    channel_file_message(&f, CHANNEL_ERR_FILE_SIZE, msg, sizeof(msg));
    assert_true(contains(msg, "does not exist, and creating it needs"));
    assert_int_equal(channel_file_reader(&f, &r, path, 0, 0, 4, CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_FILE_SIZE);
    /* 64 + SIZE_MAX x 2 overflows. */
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, SIZE_MAX, 2, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_FILE_SIZE);
    assert_int_equal(access(path, F_OK), -1);
}

static void bad_arguments_are_init_errors_and_create_nothing(void **state)
{
    struct channel_file f;
    struct channel_writer w;
    struct channel_reader r;

    (void)state;
    assert_int_equal(channel_file_writer(NULL, &w, path, TEST_PROTOCOL, 16, 4, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_NULL);
    assert_int_equal(channel_file_writer(&f, NULL, path, TEST_PROTOCOL, 16, 4, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_NULL);
    assert_int_equal(channel_file_writer(&f, &w, NULL, TEST_PROTOCOL, 16, 4, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_NULL);
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 0, 4, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_ELEMENT_SIZE);
    assert_int_equal(channel_file_writer(&f, &w, path, 0, 16, 4, TEST_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_PROTOCOL);
    assert_int_equal(channel_file_writer(&f, &w, path, TEST_PROTOCOL, 16, 4, CHANNEL_NULL_EPOCH,
                                         CHANNEL_FILE_CREATE),
                     CHANNEL_ERR_EPOCH);
    assert_int_equal(channel_file_reader(&f, NULL, path, 0, 0, 0, 0), CHANNEL_ERR_NULL);
    assert_int_equal(channel_file_close(NULL), CHANNEL_ERR_NULL);
    assert_int_equal(access(path, F_OK), -1);
    (void)r;
}

static void every_error_code_has_its_own_text(void **state)
{
    int a;
    int b;

    (void)state;
    for (a = CHANNEL_ERR_FILE_BLANK; a <= 0; a++) {
        assert_string_not_equal(channel_strerror(a), "unknown error");
        for (b = CHANNEL_ERR_FILE_BLANK; b < a; b++) {
            assert_string_not_equal(channel_strerror(a), channel_strerror(b));
        }
    }
    assert_string_equal(channel_strerror(-99), "unknown error");
}

#define FILE_TEST(fn) cmocka_unit_test_setup(fn, no_file)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FILE_TEST(writer_creates_a_file_of_exactly_the_channel_size),
        FILE_TEST(writer_reopens_its_channel_with_a_new_epoch),
        FILE_TEST(missing_file_without_create_is_refused),
        FILE_TEST(file_of_the_wrong_size_is_refused_and_left_alone),
        FILE_TEST(file_smaller_than_header_and_one_element_is_refused),
        FILE_TEST(header_with_another_protocol_is_refused_untouched),
        FILE_TEST(header_with_another_element_size_is_refused),
        FILE_TEST(file_that_is_not_a_channel_is_not_overwritten),
        FILE_TEST(directory_and_fifo_are_not_regular_files),
        FILE_TEST(permission_problems_are_access_errors),
        FILE_TEST(failed_create_leaves_no_half_made_file),
        FILE_TEST(reader_needs_protocol_and_size_from_somewhere),
        FILE_TEST(reader_may_create_the_file_before_the_writer),
        FILE_TEST(create_without_a_full_geometry_leaves_no_file),
        FILE_TEST(bad_arguments_are_init_errors_and_create_nothing),
        FILE_TEST(every_error_code_has_its_own_text),
    };

    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
