/*
 * Nothing the test kit keeps may point into a test that has returned: log capture and
 * the attached fake sinfo page belong to the kit, destroying a channel the page lists
 * detaches it, and moat_test_reset() forgets it all. Each test first leaves state
 * behind in a stack frame that returns, then scribbles over that stack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <moat/subject.h>
#include <moat/testkit.h>

/* Overwrite the stack below the caller, where a returned frame's locals were. */
static __attribute__((noinline)) void scribble_stack(void)
{
    volatile unsigned char junk[64 * 1024];
    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = 0x5a;
    }
}

static __attribute__((noinline)) void capture_in_a_frame_that_returns(void)
{
    assert_int_equal(moat_test_log_capture(), 0);
    assert_true(moat_log("before %d", 1) > 0);
}

static void log_capture_outlives_the_frame_that_started_it(void **state)
{
    (void)state;
    capture_in_a_frame_that_returns();
    scribble_stack();
    assert_true(moat_log("after %d", 2) > 0);
    char line[64];
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_string_equal(line, "before 1");
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_string_equal(line, "after 2");
    assert_int_equal(moat_test_log_next(line, sizeof(line)), -1);
}

/* The next test logs without capturing anything itself: no crash, and a new capture
 * starts empty. */
static void a_later_test_logs_safely_and_captures_afresh(void **state)
{
    (void)state;
    scribble_stack();
    (void)moat_log("into the previous test's capture");
    assert_int_equal(moat_test_log_capture(), 0);
    char line[64];
    assert_int_equal(moat_test_log_next(line, sizeof(line)), -1);
    moat_log("fresh");
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_string_equal(line, "fresh");
}

static __attribute__((noinline)) void attach_a_page_on_the_stack(void)
{
    struct moat_test_sinfo page;
    moat_test_sinfo_init(&page, "stacked");
    assert_int_equal(moat_test_sinfo_add_event(&page, "kick", 3, true), 0);
    assert_int_equal(moat_test_sinfo_attach(&page), MOAT_SINFO_OK);
}

static void an_attached_page_is_the_kits_copy(void **state)
{
    (void)state;
    attach_a_page_on_the_stack();
    scribble_stack();
    assert_string_equal(moat_subject_name(), "stacked");
    assert_int_equal(moat_event("kick"), 3);
    assert_non_null(moat_sinfo_page);
    assert_string_equal(moat_sinfo_page->subject_name, "stacked");
}

static void destroying_a_listed_channel_detaches_the_page(void **state)
{
    (void)state;
    struct moat_test_channel log;
    assert_int_equal(
        moat_test_channel_create(&log, 16, sizeof(struct moat_log_record), MOAT_LOG_PROTOCOL), 0);
    static struct moat_test_sinfo page;
    moat_test_sinfo_init(&page, "app");
    assert_int_equal(moat_test_sinfo_add_channel(&page, "app.log", &log, true), 0);
    assert_int_equal(moat_test_sinfo_attach(&page), MOAT_SINFO_OK);
    assert_int_equal(moat_log("found %s", "it"), 8);
    char line[64];
    assert_int_equal(moat_test_log_read(&log, line, sizeof(line)), 0);
    assert_string_equal(line, "found it");

    moat_test_channel_destroy(&log);
    /* The page named the freed memory: it is gone, and moat_log() with it. */
    assert_int_equal(moat_log("nowhere"), -1);
    struct moat_channel_info info;
    assert_int_not_equal(moat_channel("app.log", &info), 0);
    assert_null(moat_sinfo_page);
}

static void destroying_the_channel_moat_log_uses_stops_it(void **state)
{
    (void)state;
    struct moat_test_channel log;
    assert_int_equal(
        moat_test_channel_create(&log, 16, sizeof(struct moat_log_record), MOAT_LOG_PROTOCOL), 0);
    moat_log_use(&log.writer);
    assert_true(moat_log("x") > 0);
    moat_test_channel_destroy(&log);
    assert_int_equal(moat_log("after"), -1);
}

static void reset_forgets_the_page_the_capture_and_the_kernel(void **state)
{
    (void)state;
    static struct moat_test_sinfo page;
    moat_test_sinfo_init(&page, "left-behind");
    assert_int_equal(moat_test_sinfo_add_event(&page, "kick", 1, true), 0);
    assert_int_equal(moat_test_sinfo_attach(&page), MOAT_SINFO_OK);
    assert_int_equal(moat_test_log_capture(), 0);
    moat_log("old");
    assert_int_equal(moat_test_event_raise(5), 0);
    moat_test_time_advance(77);

    moat_test_reset();
    assert_int_equal(moat_event("kick"), -1);
    assert_null(moat_sinfo_page);
    char line[16];
    assert_int_equal(moat_test_log_next(line, sizeof(line)), -1);
    assert_int_equal(moat_log("no log channel"), -1);
    assert_false(moat_test_event_pending(5));
    assert_int_equal(moat_test_tsc(), MOAT_TEST_TSC_START);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log_capture_outlives_the_frame_that_started_it),
        cmocka_unit_test(a_later_test_logs_safely_and_captures_afresh),
        cmocka_unit_test(an_attached_page_is_the_kits_copy),
        cmocka_unit_test_setup(destroying_a_listed_channel_detaches_the_page, moat_test_setup),
        cmocka_unit_test_setup(destroying_the_channel_moat_log_uses_stops_it, moat_test_setup),
        cmocka_unit_test_setup(reset_forgets_the_page_the_capture_and_the_kernel,
                               moat_test_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
