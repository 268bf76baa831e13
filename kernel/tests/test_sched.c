/*
 * Host tests of the core's scheduling against the fake arch (core_fixture.h): frames
 * start and end at planned instants however late the timer comes, plan switches wait
 * for the major frame, a CPU behind its plan says so sparsely and catches up boundedly.
 */
#include <moat/abi/audit.h>

#include <string.h>

#include "core_fixture.h"

static void frames_end_at_planned_instants_even_when_switches_are_late(void **state)
{
    (void)state;
    struct core_next n = boot();
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(n.deadline, START + T(10));

    /* The timer comes 3 ticks late: beta's frame still ends at START + 30 ticks. */
    fake.now = START + T(13);
    n = core_on_timer(fake.now);
    assert_int_equal(n.subject, BETA);
    assert_int_equal(n.deadline, START + T(30));

    n = core_on_timer(START + T(30));
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, START + T(35));
}

static void a_very_late_timer_skips_whole_frames(void **state)
{
    (void)state;
    boot();
    /* 37 ticks in: alpha, beta and the idle frame are over; gamma runs until 40. */
    struct core_next n = core_on_timer(START + T(37));
    assert_int_equal(n.subject, GAMMA);
    assert_int_equal(n.deadline, START + T(40));
}

static void an_early_timer_keeps_the_frame(void **state)
{
    (void)state;
    boot();
    struct core_next n = core_on_timer(START + T(9));
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(n.deadline, START + T(10));
}

static void major_frame_wraps_and_plan_switch_waits_for_it(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 2, 0);
    assert_int_equal(fake.result[ALPHA], MOAT_OK);
    struct core_next n = core_on_timer(START + T(10));
    assert_int_equal(n.subject, BETA); /* still the old plan */
    assert_false(fake_log_has("plan switch"));
    n = core_on_timer(START + T(40));
    assert_int_equal(n.subject, GAMMA);
    assert_int_equal(n.deadline, START + T(80));
    assert_int_equal(core_cpus[0].plan, 1);
    assert_int_equal(core_cpus[0].major_count, 1);
    /* The kernel log says so once, when it takes effect; a major frame of the same plan
     * says nothing. */
    (void)core_on_timer(START + T(80));
    static char log[65536];
    fake_log_text(log, sizeof(log));
    const char *line = strstr(log, "plan switch: main -> other at major frame 1\n");
    assert_non_null(line);
    assert_null(strstr(line + 1, "plan switch"));
}

static void yield_idles_the_rest_of_the_frame_only(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    struct core_next n = kcall(ALPHA, MOAT_KCALL_YIELD, 0, 0);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, START + T(10));
    n = core_on_timer(START + T(40));
    assert_int_equal(n.subject, ALPHA);
}

/* Major frames from..to-1 each come 38 ticks late into their last frame (gamma's):
 * beta's and the idle frame get no time, gamma starts 3 of its 5 ticks late. */
static void late_major_frames(uint32_t from, uint32_t to)
{
    for (uint32_t m = from; m < to; m++) {
        struct core_next n = timer_at(START + T(40 * m + 38));
        assert_int_equal(n.subject, GAMMA);
        assert_int_equal(n.deadline, START + T(40 * m + 40));
        timer_at(START + T(40 * m + 40));
    }
}

static void frames_are_shortened_when_cpu_is_late(void **state)
{
    (void)state;
    boot();
    /* 20 ms = 500 major frames of 40 ticks: the window's notice comes at major 500. */
    late_major_frames(0, 499);
    assert_false(fake_log_has("behind its plan"));
    late_major_frames(499, 500);
    assert_true(fake_log_has("cpu 0 behind its plan: of 2000 frames 1000 skipped, 500 "
                                 "started late, worst 3000 TSC ticks late, major frame 500\n"));
}

static void late_notices_back_off_and_skip_single_late_frames(void **state)
{
    (void)state;
    boot();
    /* One late frame in a 20 ms window: shortened, but not worth a notice. */
    late_major_frames(0, 1);
    static const uint32_t starts[] = {0, 10, 30, 35}; /* every frame on time */
    for (uint32_t m = 1; m < 510; m++) {
        for (uint32_t f = 0; f < 4u; f++) {
            timer_at(START + T(40 * m + starts[f]));
        }
    }
    assert_false(fake_log_has("behind its plan"));
    /* Behind from major 510 on: the window of majors 500-1000 reports at 1000, then the
     * window doubles while it keeps reporting: 40 ms later (2000), 80 ms (4000). */
    late_major_frames(510, 999);
    assert_int_equal(log_count("behind its plan"), 0);
    late_major_frames(999, 1000);
    assert_int_equal(log_count("behind its plan"), 1);
    late_major_frames(1000, 1999);
    assert_int_equal(log_count("behind its plan"), 1);
    late_major_frames(1999, 2000);
    assert_int_equal(log_count("behind its plan"), 2);
    late_major_frames(2000, 3999);
    assert_int_equal(log_count("behind its plan"), 2);
    late_major_frames(3999, 4000);
    assert_int_equal(log_count("behind its plan"), 3);
    assert_true(fake_log_has("of 8000 frames 4000 skipped, 2000 started late"));
    /* A quiet window (160 ms, to major 8000) sets it back to 20 ms. */
    static const uint32_t again[] = {0, 10, 30, 35};
    for (uint32_t m = 4000; m < 8000; m++) {
        for (uint32_t f = 0; f < 4u; f++) {
            timer_at(START + T(40 * m + again[f]));
        }
    }
    late_major_frames(8000, 8500);
    assert_int_equal(log_count("behind its plan"), 3);
    late_major_frames(8500, 8501);
    assert_int_equal(log_count("behind its plan"), 4);
}

static void a_cpu_far_behind_catches_up_in_bounded_entries(void **state)
{
    (void)state;
    boot();
    /* 100 major frames late: each entry steps at most MOAT_MAX_FRAMES_PER_CPU frames. */
    fake.now = START + T(4000 + 1);
    struct core_next n = core_on_timer(fake.now);
    uint32_t entries = 1;
    for (; entries < 100 && n.deadline <= fake.now; entries++) {
        n = core_on_timer(fake.now);
    }
    assert_int_equal(entries, (400 + MOAT_MAX_FRAMES_PER_CPU - 1) / MOAT_MAX_FRAMES_PER_CPU);
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(n.deadline, START + T(4010));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(frames_end_at_planned_instants_even_when_switches_are_late,
                               fixture_setup),
        cmocka_unit_test_setup(a_very_late_timer_skips_whole_frames, fixture_setup),
        cmocka_unit_test_setup(an_early_timer_keeps_the_frame, fixture_setup),
        cmocka_unit_test_setup(major_frame_wraps_and_plan_switch_waits_for_it, fixture_setup),
        cmocka_unit_test_setup(yield_idles_the_rest_of_the_frame_only, fixture_setup),
        cmocka_unit_test_setup(frames_are_shortened_when_cpu_is_late, fixture_setup),
        cmocka_unit_test_setup(late_notices_back_off_and_skip_single_late_frames,
                               fixture_setup),
        cmocka_unit_test_setup(a_cpu_far_behind_catches_up_in_bounded_entries, fixture_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
