/*
 * Unit tests of the Linux SDK library: a channel is found by its policy name through
 * MOAT_CHANNELS (shared files, never created) or MOAT_CHANNEL_DIR (plain files, created
 * at the ring's size), every bad name, environment or file is refused with its own code
 * and a message naming the channel, and events are refused rather than faked. The VM back
 * end runs on a file standing in for /dev/mem (MOAT_VM_MEMFILE) with a sinfo page in it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <moat/sinfo_format.h>

#include "moat-linux.h"

#define PROTOCOL     0x62726467ULL /* "brdg" */
#define OTHER        0x6f746865ULL
#define ELEMENT_SIZE 64u
#define EPOCH        0x1234567ULL

static char dir[] = "/tmp/moat-linux-test-XXXXXX";
static char file_a[sizeof(dir) + 16];

static int make_dir(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    (void)snprintf(file_a, sizeof(file_a), "%s/a", dir);
    return 0;
}

/* Each test starts with no environment and no file "a"; the last one leaves no folder. */
static int clean(void **state)
{
    (void)state;
    (void)unsetenv("MOAT_CHANNELS");
    (void)unsetenv("MOAT_CHANNEL_DIR");
    (void)unsetenv("MOAT_SINFO");
    (void)unsetenv("MOAT_VM_MEMFILE");
    (void)chmod(file_a, 0600);
    (void)unlink(file_a);
    (void)rmdir(file_a);
    return 0;
}

static int remove_dir(void **state)
{
    (void)clean(state);
    return rmdir(dir);
}

static off_t size_of(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0 ? st.st_size : -1;
}

static void make_file(const char *p, off_t size)
{
    FILE *f = fopen(p, "wb");

    assert_non_null(f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(truncate(p, size), 0);
}

static bool contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL) {
        print_error("message '%s' lacks '%s'\n", text, part);
        return false;
    }
    return true;
}

static void shared_name_wins_over_the_channel_dir(void **state)
{
    struct moat_linux_channel c;
    char list[256];

    (void)state;
    (void)snprintf(list, sizeof(list), "up=/x/up.chan,%s=/elsewhere/a.chan,b=/y", "a");
    setenv("MOAT_CHANNELS", list, 1);
    setenv("MOAT_CHANNEL_DIR", dir, 1);
    assert_int_equal(moat_linux_locate(&c, "a"), 0);
    assert_int_equal(c.backend, MOAT_LINUX_BACKEND_SHARED);
    assert_string_equal(c.path, "/elsewhere/a.chan");
    assert_int_equal(moat_linux_locate(&c, "b"), 0);
    assert_string_equal(c.path, "/y");
    /* Not in the list: the folder. */
    assert_int_equal(moat_linux_locate(&c, "down.log"), 0);
    assert_int_equal(c.backend, MOAT_LINUX_BACKEND_FILES);
    assert_true(contains(c.path, "/down.log"));
    /* A name listed twice: its first file. */
    setenv("MOAT_CHANNELS", "a=/first.chan,a=/second.chan", 1);
    assert_int_equal(moat_linux_locate(&c, "a"), 0);
    assert_string_equal(c.path, "/first.chan");
}

static void no_environment_is_no_back_end(void **state)
{
    struct moat_linux_channel c;
    struct channel_reader r;
    char msg[512];

    (void)state;
    assert_int_equal(moat_linux_reader(&c, &r, "a", PROTOCOL, ELEMENT_SIZE),
                     MOAT_LINUX_ERR_NO_BACKEND);
    moat_linux_message(&c, MOAT_LINUX_ERR_NO_BACKEND, msg, sizeof(msg));
    assert_true(contains(msg, "channel 'a'"));
    assert_true(contains(msg, "MOAT_CHANNELS"));
    /* A list that does not name it and no folder: still none. */
    setenv("MOAT_CHANNELS", "b=/y", 1);
    assert_int_equal(moat_linux_locate(&c, "a"), MOAT_LINUX_ERR_NO_BACKEND);
}

static void names_that_are_not_policy_names_are_refused(void **state)
{
    static const char *const bad[] = {
        "", "../a", "a/b", "1abc", "-a", "a b", "a,b", "a=b",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
    };
    struct moat_linux_channel c;

    (void)state;
    setenv("MOAT_CHANNEL_DIR", dir, 1);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(moat_linux_locate(&c, bad[i]), MOAT_LINUX_ERR_NAME);
    }
    assert_int_equal(moat_linux_locate(&c, NULL), MOAT_LINUX_ERR_NAME);
    /* 63 characters and every allowed character are fine. */
    assert_int_equal(
        moat_linux_locate(&c, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0);
    assert_int_equal(moat_linux_locate(&c, "_Az09.-_x"), 0);
}

static void malformed_channel_lists_are_config_errors(void **state)
{
    static const char *const bad[] = {
        "a", "=/f", "a=", "a=/f,,b=/g", "a=/f,b", "x/y=/f", "a=/f,9=/g", ",a=/f",
    };
    struct moat_linux_channel c;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("MOAT_CHANNELS", bad[i], 1);
        if (moat_linux_locate(&c, "a") != MOAT_LINUX_ERR_CONFIG) {
            fail_msg("MOAT_CHANNELS='%s' was accepted", bad[i]);
        }
    }
}

static void plain_file_writer_creates_its_ring_and_a_reader_finds_it(void **state)
{
    struct moat_linux_channel wc;
    struct moat_linux_channel rc;
    struct channel_writer w;
    struct channel_reader r;
    unsigned char in[ELEMENT_SIZE] = "by name";
    unsigned char out[ELEMENT_SIZE];

    (void)state;
    setenv("MOAT_CHANNEL_DIR", dir, 1);
    assert_int_equal(moat_linux_writer(&wc, &w, "a", PROTOCOL, ELEMENT_SIZE, 16, EPOCH), 0);
    assert_int_equal(wc.backend, MOAT_LINUX_BACKEND_FILES);
    assert_true(wc.file.created);
    assert_int_equal(size_of(file_a), 64 + 16 * ELEMENT_SIZE);
    assert_int_equal(moat_linux_reader(&rc, &r, "a", 0, 0), 0);
    assert_int_equal(rc.file.protocol, PROTOCOL);
    assert_int_equal(rc.file.element_size, ELEMENT_SIZE);
    assert_int_equal(moat_linux_wait(&r, 0), 1); /* the new epoch */
    assert_int_equal(channel_read(&r, out), CHANNEL_EPOCH_CHANGED);
    assert_int_equal(moat_linux_wait(&r, 5), 0);
    channel_write(&w, in);
    assert_int_equal(moat_linux_wait(&r, 1000), 1);
    assert_int_equal(channel_read(&r, out), CHANNEL_SUCCESS);
    assert_memory_equal(in, out, sizeof(in));
    assert_int_equal(moat_linux_close(&rc), 0);
    assert_int_equal(moat_linux_close(&wc), 0);
    /* Reopened with the same ring: the same file, not a new one. */
    assert_int_equal(moat_linux_writer(&wc, &w, "a", PROTOCOL, ELEMENT_SIZE, 16, EPOCH + 2), 0);
    assert_false(wc.file.created);
    assert_int_equal(moat_linux_close(&wc), 0);
}

static void shared_file_is_never_created(void **state)
{
    struct moat_linux_channel c;
    struct channel_writer w;
    char list[sizeof(file_a) + 8];
    char msg[1024];

    (void)state;
    (void)snprintf(list, sizeof(list), "a=%s", file_a);
    setenv("MOAT_CHANNELS", list, 1);
    assert_int_equal(moat_linux_writer(&c, &w, "a", PROTOCOL, ELEMENT_SIZE, 16, EPOCH),
                     CHANNEL_ERR_FILE_MISSING);
    assert_int_equal(size_of(file_a), -1);
    moat_linux_message(&c, CHANNEL_ERR_FILE_MISSING, msg, sizeof(msg));
    assert_true(contains(msg, "moat-run --share a="));
}

static void shared_file_of_the_policy_size_holds_as_many_as_fit(void **state)
{
    struct moat_linux_channel c;
    struct channel_writer w;
    char list[sizeof(file_a) + 8];

    (void)state;
    (void)snprintf(list, sizeof(list), "a=%s", file_a);
    setenv("MOAT_CHANNELS", list, 1);
    make_file(file_a, 4096); /* the policy's size="4K", zero: as moat-run makes it */
    /* The caller's element count does not decide a shared file's size. */
    assert_int_equal(moat_linux_writer(&c, &w, "a", PROTOCOL, ELEMENT_SIZE, 16, EPOCH), 0);
    assert_int_equal(c.backend, MOAT_LINUX_BACKEND_SHARED);
    assert_int_equal(c.file.elements, (4096 - 64) / ELEMENT_SIZE);
    assert_int_equal(moat_linux_close(&c), 0);
    assert_int_equal(size_of(file_a), 4096);
}

/* Bad files, by name, on both back ends: each refused with its own code, left alone. */
static void wrong_files_are_refused_by_name(void **state)
{
    struct moat_linux_channel c;
    struct moat_linux_channel other;
    struct channel_writer w;
    struct channel_reader r;
    char msg[1024];

    (void)state;
    setenv("MOAT_CHANNEL_DIR", dir, 1);
    /* Truncated: a 16-slot ring is 1088 bytes. */
    make_file(file_a, 1000);
    assert_int_equal(moat_linux_writer(&c, &w, "a", PROTOCOL, ELEMENT_SIZE, 16, EPOCH),
                     CHANNEL_ERR_FILE_SIZE);
    moat_linux_message(&c, CHANNEL_ERR_FILE_SIZE, msg, sizeof(msg));
    assert_true(contains(msg, "channel 'a' (channel file in MOAT_CHANNEL_DIR)"));
    assert_true(contains(msg, "1000 bytes"));
    assert_true(contains(msg, "1088"));
    assert_int_equal(size_of(file_a), 1000);
    /* Shorter than the header and one element, for a reader. */
    assert_int_equal(truncate(file_a, 100), 0);
    assert_int_equal(moat_linux_reader(&c, &r, "a", PROTOCOL, ELEMENT_SIZE),
                     CHANNEL_ERR_FILE_SIZE);
    assert_int_equal(unlink(file_a), 0);

    /* Another protocol, another element size. */
    assert_int_equal(moat_linux_writer(&other, &w, "a", OTHER, ELEMENT_SIZE, 16, EPOCH), 0);
    assert_int_equal(moat_linux_close(&other), 0);
    assert_int_equal(moat_linux_reader(&c, &r, "a", PROTOCOL, ELEMENT_SIZE),
                     CHANNEL_ERR_FILE_PROTOCOL);
    assert_int_equal(moat_linux_writer(&c, &w, "a", PROTOCOL, ELEMENT_SIZE, 16, EPOCH),
                     CHANNEL_ERR_FILE_PROTOCOL);
    assert_int_equal(moat_linux_reader(&c, &r, "a", OTHER, 32), CHANNEL_ERR_FILE_ELEMENT_SIZE);
    moat_linux_message(&c, CHANNEL_ERR_FILE_ELEMENT_SIZE, msg, sizeof(msg));
    assert_true(contains(msg, "says 64 bytes, asked for 32"));
    assert_int_equal(unlink(file_a), 0);

    /* A directory. */
    assert_int_equal(mkdir(file_a, 0700), 0);
    assert_int_equal(moat_linux_reader(&c, &r, "a", PROTOCOL, ELEMENT_SIZE),
                     CHANNEL_ERR_FILE_TYPE);
    assert_int_equal(moat_linux_writer(&c, &w, "a", PROTOCOL, ELEMENT_SIZE, 16, EPOCH),
                     CHANNEL_ERR_FILE_TYPE);
    assert_int_equal(rmdir(file_a), 0);
}

/* No permission: opened by a child that is not root (nobody), so permissions apply. */
static void unreadable_file_is_an_access_error(void **state)
{
    struct moat_linux_channel c;
    struct channel_writer w;
    int status;
    pid_t pid;

    (void)state;
    setenv("MOAT_CHANNEL_DIR", dir, 1);
    assert_int_equal(moat_linux_writer(&c, &w, "a", PROTOCOL, ELEMENT_SIZE, 16, EPOCH), 0);
    assert_int_equal(moat_linux_close(&c), 0);
    assert_int_equal(chmod(file_a, 0600), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct channel_reader r;

        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
            _exit(100);
        }
        _exit(-moat_linux_reader(&c, &r, "a", PROTOCOL, ELEMENT_SIZE));
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(chmod(dir, 0700), 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(-WEXITSTATUS(status), CHANNEL_ERR_FILE_ACCESS);
}

static void events_are_refused_not_faked(void **state)
{
    (void)state;
    setenv("MOAT_CHANNEL_DIR", dir, 1);
    assert_int_equal(moat_linux_event_send("kick"), MOAT_LINUX_ERR_NO_EVENTS);
    assert_int_equal(moat_linux_event_wait("kick", 10), MOAT_LINUX_ERR_NO_EVENTS);
    assert_true(contains(moat_linux_strerror(MOAT_LINUX_ERR_NO_EVENTS), "poll the channel"));
}

/*
 * The VM back end on a file standing in for /dev/mem (MOAT_VM_MEMFILE): a sinfo page at
 * 0x1000 listing host.up (this VM writes it, at 0x8000) and host.down (it reads it, at
 * 0x10000), 16K each, and the outgoing event "off".
 */
#define VM_SINFO 0x1000u
#define VM_UP    0x8000u
#define VM_DOWN  0x10000u
#define VM_SIZE  0x4000u

static void vm_resource(struct moat_sinfo_resource *res, const char *name, uint32_t kind,
                        uint32_t flags, uint64_t address)
{
    memset(res, 0, sizeof(*res));
    (void)snprintf(res->name, sizeof(res->name), "%s", name);
    res->kind = kind;
    res->flags = flags;
    res->address = address;
    res->size = kind == MOAT_RES_CHANNEL ? VM_SIZE : 0u;
    res->element_size = kind == MOAT_RES_CHANNEL ? ELEMENT_SIZE : 0u;
    res->protocol = kind == MOAT_RES_CHANNEL ? PROTOCOL : 0u;
}

static void make_vm(void)
{
    static union {
        struct moat_sinfo info;
        char page[4096];
    } sinfo;
    int fd;

    memset(&sinfo, 0, sizeof(sinfo));
    sinfo.info.magic = MOAT_SINFO_MAGIC;
    sinfo.info.version = MOAT_SINFO_VERSION;
    sinfo.info.resource_count = 4;
    vm_resource(&sinfo.info.resources[0], "host.up", MOAT_RES_CHANNEL,
                MOAT_RES_WRITABLE | MOAT_RES_WRITER, VM_UP);
    vm_resource(&sinfo.info.resources[1], "host.down", MOAT_RES_CHANNEL, 0u, VM_DOWN);
    vm_resource(&sinfo.info.resources[2], "off", MOAT_RES_EVENT_SEND, 0u, 0u);
    vm_resource(&sinfo.info.resources[3], "kick", MOAT_RES_EVENT_RECV, 0u, 0u);
    sinfo.info.resources[3].line = 0x40; /* injected as vector 0x40: not for a poll */
    fd = open(file_a, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, VM_DOWN + VM_SIZE), 0);
    assert_int_equal(pwrite(fd, &sinfo, sizeof(sinfo), VM_SINFO), (ssize_t)sizeof(sinfo));
    (void)close(fd);
    setenv("MOAT_VM_MEMFILE", file_a, 1);
    setenv("MOAT_SINFO", "0x1000", 1);
}

static void vm_channels_by_name_from_the_sinfo_page(void **state)
{
    struct moat_linux_channel wc, rc, dc;
    struct channel_writer w;
    struct channel_reader r, d;
    char out[ELEMENT_SIZE] = { 0 };
    char in[ELEMENT_SIZE] = "up, by name";

    (void)state;
    make_vm();
    setenv("MOAT_CHANNEL_DIR", dir, 1); /* the sinfo page comes first */
    assert_int_equal(moat_linux_writer(&wc, &w, "host.up", PROTOCOL, ELEMENT_SIZE, 0, EPOCH), 0);
    assert_int_equal(wc.backend, MOAT_LINUX_BACKEND_VM);
    assert_int_equal(wc.vm_address, VM_UP);
    assert_int_equal(wc.file.elements, (VM_SIZE - 64u) / ELEMENT_SIZE);
    /* Its own writer's channel may be read too (channel-stat does), read-only. */
    assert_int_equal(moat_linux_reader(&rc, &r, "host.up", 0, 0), 0);
    assert_int_equal(moat_linux_close(&rc), 0);
    /* The reader's own end: host.down, mapped read-only (a write is a SIGSEGV). */
    assert_int_equal(moat_linux_reader(&dc, &d, "host.down", PROTOCOL, ELEMENT_SIZE), 0);
    assert_int_equal(dc.vm_address, VM_DOWN);
    pid_t pid = fork();
    if (pid == 0) {
        (void)signal(SIGSEGV, SIG_DFL); /* not cmocka's handler */
        *(volatile char *)dc.file.mem = 1;
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
    /* What the writer wrote is in the memory file at host.up's address. */
    channel_write(&w, in);
    int fd = open(file_a, O_RDONLY);
    assert_int_equal(pread(fd, out, sizeof(out), VM_UP + 64), (ssize_t)sizeof(out));
    (void)close(fd);
    assert_string_equal(out, in);
    assert_int_equal(moat_linux_close(&wc), 0);
    assert_int_equal(moat_linux_close(&dc), 0);
}

static void vm_names_match_whole_and_ends_and_formats_are_checked(void **state)
{
    struct moat_linux_channel c;
    struct channel_writer w;
    struct channel_reader r;
    char msg[1024];

    (void)state;
    make_vm();
    /* Neither a prefix nor a longer name is host.up: not in the sinfo page, no back end. */
    assert_int_equal(moat_linux_locate(&c, "host."), MOAT_LINUX_ERR_NO_BACKEND);
    assert_int_equal(moat_linux_locate(&c, "host.upx"), MOAT_LINUX_ERR_NO_BACKEND);
    assert_int_equal(moat_linux_locate(&c, "off"), MOAT_LINUX_ERR_NO_BACKEND); /* an event */
    assert_int_equal(moat_linux_writer(&c, &w, "host.down", 0, 0, 0, EPOCH), MOAT_LINUX_ERR_END);
    assert_true(contains(moat_linux_message(&c, MOAT_LINUX_ERR_END, msg, sizeof(msg)),
                         "'host.down' (VM channel"));
    assert_int_equal(moat_linux_reader(&c, &r, "host.down", OTHER, ELEMENT_SIZE),
                     CHANNEL_ERR_FILE_PROTOCOL);
    assert_int_equal(moat_linux_reader(&c, &r, "host.down", PROTOCOL, 32),
                     CHANNEL_ERR_FILE_ELEMENT_SIZE);
    /* Events: "off" is granted but this is no VM (vmmcall would fault), so only names:
     * "off" is outgoing (nothing to wait for) and "kick" has a vector (an interrupt). */
    assert_int_equal(moat_linux_event_send("nosuch"), MOAT_LINUX_ERR_NO_EVENT);
    assert_int_equal(moat_linux_event_wait("off", 0), MOAT_LINUX_ERR_NO_EVENT);
    assert_int_equal(moat_linux_event_wait("kick", 0), MOAT_LINUX_ERR_NO_EVENTS);
}

static void vm_bad_sinfo_addresses_and_pages_are_refused(void **state)
{
    struct moat_linux_channel c;

    (void)state;
    make_vm();
    setenv("MOAT_SINFO", "0x1001", 1); /* not a page */
    assert_int_equal(moat_linux_locate(&c, "host.up"), MOAT_LINUX_ERR_SINFO);
    setenv("MOAT_SINFO", "zz", 1);
    assert_int_equal(moat_linux_locate(&c, "host.up"), MOAT_LINUX_ERR_SINFO);
    assert_int_equal(moat_linux_event_send("off"), MOAT_LINUX_ERR_SINFO);
    setenv("MOAT_SINFO", "0x2000", 1); /* zeros: no magic */
    assert_int_equal(moat_linux_locate(&c, "host.up"), MOAT_LINUX_ERR_SINFO);
    setenv("MOAT_VM_MEMFILE", "/nonexistent/mem", 1);
    setenv("MOAT_SINFO", "0x1000", 1);
    assert_int_equal(moat_linux_locate(&c, "host.up"), CHANNEL_ERR_FILE_SYSTEM);
}

static void epochs_differ_and_are_nonzero(void **state)
{
    uint64_t a = moat_linux_epoch();
    uint64_t b = moat_linux_epoch();

    (void)state;
    assert_true(a != 0u && b != 0u && a != b);
}

static void every_error_has_its_own_text(void **state)
{
    static const int codes[] = { MOAT_LINUX_ERR_NAME, MOAT_LINUX_ERR_NO_BACKEND,
                                 MOAT_LINUX_ERR_CONFIG, MOAT_LINUX_ERR_NO_EVENTS,
                                 MOAT_LINUX_ERR_SINFO, MOAT_LINUX_ERR_END,
                                 MOAT_LINUX_ERR_NO_EVENT, CHANNEL_ERR_FILE_MISSING };

    (void)state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(moat_linux_strerror(codes[i]), moat_linux_strerror(codes[j]));
        }
        assert_string_not_equal(moat_linux_strerror(codes[i]), "unknown error");
    }
}

#define LINUX_TEST(fn) cmocka_unit_test_setup(fn, clean)

int main(void)
{
    const struct CMUnitTest tests[] = {
        LINUX_TEST(shared_name_wins_over_the_channel_dir),
        LINUX_TEST(no_environment_is_no_back_end),
        LINUX_TEST(names_that_are_not_policy_names_are_refused),
        LINUX_TEST(malformed_channel_lists_are_config_errors),
        LINUX_TEST(plain_file_writer_creates_its_ring_and_a_reader_finds_it),
        LINUX_TEST(shared_file_is_never_created),
        LINUX_TEST(shared_file_of_the_policy_size_holds_as_many_as_fit),
        LINUX_TEST(wrong_files_are_refused_by_name),
        LINUX_TEST(unreadable_file_is_an_access_error),
        LINUX_TEST(events_are_refused_not_faked),
        LINUX_TEST(vm_channels_by_name_from_the_sinfo_page),
        LINUX_TEST(vm_names_match_whole_and_ends_and_formats_are_checked),
        LINUX_TEST(vm_bad_sinfo_addresses_and_pages_are_refused),
        LINUX_TEST(epochs_differ_and_are_nonzero),
        LINUX_TEST(every_error_has_its_own_text),
    };

    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
