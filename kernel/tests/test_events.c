/*
 * Host tests of events and kernel calls against the fake arch (core_fixture.h): notify,
 * wait, poll and yield, the policy's kernel actions, error returns, and subject timers
 * (only the caller's own <timer> ids, firing in the owner's own frames).
 */
#include <moat/abi/audit.h>

#include "core_fixture.h"

static void notify_sets_the_targets_pending_bit(void **state)
{
    (void)state;
    boot();
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 0, 0);
    assert_int_equal(fake.result[ALPHA], MOAT_OK);
    assert_int_equal(core_subject(BETA)->pending, 1u << 3);
    core_on_timer(START + T(10));
    kcall(BETA, MOAT_KCALL_EVENT_POLL, 0, 0);
    assert_int_equal(fake.result[BETA], 3);
    kcall(BETA, MOAT_KCALL_EVENT_POLL, 0, 0);
    assert_int_equal(fake.result[BETA], MOAT_ERR_NONE_PENDING);
}

static void wait_blocks_for_the_frame_and_wakes_in_its_own_frame(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(2);
    struct core_next n = kcall(ALPHA, MOAT_KCALL_EVENT_WAIT, 0, 0);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, START + T(10));
    assert_false(fake.result_set[ALPHA]);

    n = core_on_timer(START + T(10));
    assert_int_equal(n.subject, BETA);
    fake.now = START + T(11);
    kcall(BETA, MOAT_KCALL_EVENT_SEND, 0, 0);
    assert_int_equal(core_subject(ALPHA)->state, SUBJECT_WAITING); /* not in its frame */

    n = core_on_timer(START + T(40));
    assert_int_equal(n.subject, ALPHA);
    assert_true(fake.result_set[ALPHA]);
    assert_int_equal(fake.result[ALPHA], 7);
    assert_int_equal(core_subject(ALPHA)->pending, 0);
}

static void unknown_calls_and_ids_return_errors(void **state)
{
    (void)state;
    boot();
    kcall(ALPHA, 99, 0, 0);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_NO_CALL);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 7, 0);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_BAD_ID);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, UINT64_MAX, 0);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_BAD_ID);
    kcall(ALPHA, MOAT_KCALL_TIMER_SET, START + T(3), 64);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_BAD_ID);
    struct core_next n = core_on_timer(fake.now);
    assert_int_equal(n.subject, ALPHA);
}

static void kernel_actions_do_what_the_policy_says(void **state)
{
    (void)state;
    boot();
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, SEND_STOP_GAMMA, 0);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 4, 0);
    assert_int_equal(fake.unmasked_irq, 5);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, SEND_RESTART_BETA, 0);
    core_on_timer(START + T(10)); /* beta's frame starts: its restart */
    assert_int_equal(fake.init_count[BETA], 2);
    core_on_timer(START + T(35)); /* gamma's frame starts: its stop */
    assert_int_equal(core_subject(GAMMA)->state, SUBJECT_STOPPED);
    core_on_irq(fake.now, 5);
    assert_int_equal(core_subject(GAMMA)->pending, 1u << 9);
    if (setjmp(power_jump) == 0) {
        kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 1, 0);
        fail();
    }
    assert_int_equal(fake.power, 1);
}

static void timer_wakes_a_waiting_subject_inside_its_frame(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_TIMER_SET, START + T(4), ALPHA_TIMER);
    assert_int_equal(fake.result[ALPHA], MOAT_OK);
    struct core_next n = kcall(ALPHA, MOAT_KCALL_EVENT_WAIT, 0, 0);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, START + T(4)); /* wakes for the timer ... */
    n = core_on_timer(START + T(4));
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(fake.result[ALPHA], 12);
    assert_int_equal(n.deadline, START + T(10)); /* ... and the frame still ends on plan */
}

static void timer_set_refuses_another_subjects_timer_id(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_TIMER_SET, START + T(3), GAMMA_TIMER);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_BAD_ID);
    struct core_next n = core_on_timer(START + T(3));
    assert_int_equal(core_subject(ALPHA)->pending, 0);
    assert_int_equal(n.deadline, START + T(10));
}

static void timer_set_refuses_an_incoming_notify_id(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_TIMER_SET, START + T(2), ALPHA_NOTIFY);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_BAD_ID);
    core_on_timer(START + T(2));
    assert_int_equal(core_subject(ALPHA)->pending, 0); /* beta's notify is not forged */
}

static void timer_set_refuses_a_subject_without_timers(void **state)
{
    (void)state;
    boot();
    core_on_timer(START + T(10));
    fake.now = START + T(11);
    for (uint64_t id = 0; id < MOAT_MAX_EVENTS; id++) {
        fake.result[BETA] = 0;
        kcall(BETA, MOAT_KCALL_TIMER_SET, START + T(12), id);
        assert_int_equal(fake.result[BETA], MOAT_ERR_BAD_ID);
    }
    assert_int_equal(core_subject(BETA)->timer_deadline, 0);
}

static void timer_deadline_zero_cancels(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_TIMER_SET, START + T(4), ALPHA_TIMER);
    kcall(ALPHA, MOAT_KCALL_TIMER_SET, 0, ALPHA_TIMER);
    assert_int_equal(fake.result[ALPHA], MOAT_OK);
    struct core_next n = kcall(ALPHA, MOAT_KCALL_EVENT_WAIT, 0, 0);
    assert_int_equal(n.deadline, START + T(10));
    n = core_on_timer(START + T(4));
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(core_subject(ALPHA)->pending, 0);
}

static void timer_deadline_in_foreign_frame_fires_at_owner_frame_start(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_TIMER_SET, START + T(15), ALPHA_TIMER); /* in beta's frame */
    struct core_next n = core_on_timer(START + T(10));
    assert_int_equal(n.subject, BETA);
    assert_int_equal(n.deadline, START + T(30)); /* alpha's deadline does not arm the timer */
    fake.now = START + T(16);
    kcall(BETA, MOAT_KCALL_EVENT_POLL, 0, 0); /* a kernel entry after the deadline */
    assert_int_equal(core_subject(ALPHA)->pending, 0);
    core_on_timer(START + T(30));
    core_on_timer(START + T(35));
    assert_int_equal(core_subject(ALPHA)->pending, 0);
    n = core_on_timer(START + T(40)); /* alpha's next frame starts */
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(core_subject(ALPHA)->pending, 1ull << ALPHA_TIMER);
}

static void only_the_frame_subjects_timer_arms_the_timer(void **state)
{
    (void)state;
    boot();
    core_on_timer(START + T(35));
    fake.now = START + T(36);
    kcall(GAMMA, MOAT_KCALL_TIMER_SET, START + T(42), GAMMA_TIMER); /* in alpha's frame */
    struct core_next n = core_on_timer(START + T(40));
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(n.deadline, START + T(50));
    n = core_on_timer(START + T(75)); /* gamma's frame: its late timer, then its own end */
    assert_int_equal(core_subject(GAMMA)->pending, 1ull << GAMMA_TIMER);
    assert_int_equal(n.deadline, START + T(80));
}

/* A kernel call returns straight to its caller (sched_resume): these pin what that
 * return must still do that the timer path did. */
static void timer_set_arms_the_callers_deadline_on_the_direct_return(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    struct core_next n = kcall(ALPHA, MOAT_KCALL_TIMER_SET, START + T(4), ALPHA_TIMER);
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(n.deadline, START + T(4));
}

static void timer_set_in_the_past_fires_at_once(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(2);
    struct core_next n = kcall(ALPHA, MOAT_KCALL_TIMER_SET, START + T(1), ALPHA_TIMER);
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(n.deadline, START + T(10));
    assert_int_equal(core_subject(ALPHA)->pending, 1ull << ALPHA_TIMER);
    kcall(ALPHA, MOAT_KCALL_EVENT_POLL, 0, 0);
    assert_int_equal(fake.result[ALPHA], ALPHA_TIMER);
}

static void a_kernel_call_after_its_frame_ended_switches_at_once(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(10); /* alpha's frame is over; its timer entry has not come yet */
    struct core_next n = kcall(ALPHA, MOAT_KCALL_EVENT_POLL, 0, 0);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_NONE_PENDING);
    assert_int_equal(n.subject, BETA);
    assert_int_equal(n.deadline, START + T(30));
}

static void poll_returns_the_lowest_pending_id_first(void **state)
{
    (void)state;
    boot();
    core_subject(ALPHA)->pending = (1ull << 63) | (1ull << ALPHA_TIMER) | (1ull << ALPHA_NOTIFY);
    const int64_t order[] = {ALPHA_NOTIFY, ALPHA_TIMER, 63, MOAT_ERR_NONE_PENDING};
    for (uint32_t i = 0; i < 4u; i++) {
        kcall(ALPHA, MOAT_KCALL_EVENT_POLL, 0, 0);
        assert_int_equal(fake.result[ALPHA], order[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(notify_sets_the_targets_pending_bit, fixture_setup),
        cmocka_unit_test_setup(wait_blocks_for_the_frame_and_wakes_in_its_own_frame,
                               fixture_setup),
        cmocka_unit_test_setup(unknown_calls_and_ids_return_errors, fixture_setup),
        cmocka_unit_test_setup(kernel_actions_do_what_the_policy_says, fixture_setup),
        cmocka_unit_test_setup(timer_wakes_a_waiting_subject_inside_its_frame, fixture_setup),
        cmocka_unit_test_setup(timer_set_refuses_another_subjects_timer_id, fixture_setup),
        cmocka_unit_test_setup(timer_set_refuses_an_incoming_notify_id, fixture_setup),
        cmocka_unit_test_setup(timer_set_refuses_a_subject_without_timers, fixture_setup),
        cmocka_unit_test_setup(timer_deadline_zero_cancels, fixture_setup),
        cmocka_unit_test_setup(timer_deadline_in_foreign_frame_fires_at_owner_frame_start,
                               fixture_setup),
        cmocka_unit_test_setup(only_the_frame_subjects_timer_arms_the_timer, fixture_setup),
        cmocka_unit_test_setup(timer_set_arms_the_callers_deadline_on_the_direct_return,
                               fixture_setup),
        cmocka_unit_test_setup(timer_set_in_the_past_fires_at_once, fixture_setup),
        cmocka_unit_test_setup(a_kernel_call_after_its_frame_ended_switches_at_once,
                               fixture_setup),
        cmocka_unit_test_setup(poll_returns_the_lowest_pending_id_first, fixture_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
