/*
 * The test kit's fake kernel: in a host build the kernel calls of <moat/subject.h> reach
 * it, so a subject's event and timer logic runs in a unit test. Pending events are taken
 * lowest first, sends are recorded in order, a timer fires when fake time reaches its
 * deadline (the test advances time, or a wait sleeps until the timer), ids are checked
 * against the attached page, events scheduled by the test come at their time, and a wait
 * that could never return aborts instead of hanging. The last test drives a small
 * subject's main loop from start to stop, as a subject author would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <moat/subject.h>
#include <moat/testkit.h>

static void wait_and_poll_take_the_lowest_pending_event(void **state)
{
    (void)state;
    assert_int_equal(moat_event_poll(), -1);
    assert_int_equal(moat_test_event_raise(9), 0);
    assert_int_equal(moat_test_event_raise(2), 0);
    assert_int_equal(moat_test_event_raise(2), 0); /* pending is a bit: raised twice, seen once */
    assert_true(moat_test_event_pending(9));
    assert_int_equal(moat_event_wait(), 2);
    assert_int_equal(moat_event_poll(), 9);
    assert_false(moat_test_event_pending(9));
    assert_int_equal(moat_event_poll(), -1);
    assert_int_equal(moat_test_event_raise(MOAT_MAX_EVENTS), -1);
}

static void sends_are_recorded_in_order_and_counted(void **state)
{
    (void)state;
    assert_int_equal(moat_test_event_sent(), -1);
    assert_int_equal(moat_event_send(4), MOAT_OK);
    assert_int_equal(moat_event_send(1), MOAT_OK);
    assert_int_equal(moat_event_send(4), MOAT_OK);
    assert_int_equal(moat_test_event_send_count(4), 2);
    assert_int_equal(moat_test_event_send_count(1), 1);
    assert_int_equal(moat_test_event_sent(), 4);
    assert_int_equal(moat_test_event_sent(), 1);
    assert_int_equal(moat_test_event_sent(), 4);
    assert_int_equal(moat_test_event_sent(), -1);
    assert_int_equal(moat_event_send(MOAT_MAX_EVENTS), MOAT_ERR_BAD_ID);
    /* Beyond MOAT_TEST_SENDS_MAX untaken sends the order is dropped, not the count. */
    for (unsigned i = 0; i < MOAT_TEST_SENDS_MAX + 5; i++) {
        assert_int_equal(moat_event_send(7), MOAT_OK);
    }
    assert_int_equal(moat_test_event_send_count(7), MOAT_TEST_SENDS_MAX + 5);
    unsigned taken = 0;
    while (moat_test_event_sent() == 7) {
        taken++;
    }
    assert_int_equal(taken, MOAT_TEST_SENDS_MAX);
    moat_yield();
    moat_yield();
    assert_int_equal(moat_test_yield_count(), 2);
}

static void ids_are_checked_against_the_attached_page(void **state)
{
    (void)state;
    static struct moat_test_sinfo page;
    moat_test_sinfo_init(&page, "app");
    assert_int_equal(moat_test_sinfo_add_event(&page, "kick", 2, true), 0);
    assert_int_equal(moat_test_sinfo_add_event(&page, "tick", 5, false), 0);
    assert_int_equal(moat_test_sinfo_attach(&page), MOAT_SINFO_OK);
    assert_int_equal(moat_event_send((unsigned)moat_event("kick")), MOAT_OK);
    assert_int_equal(moat_event_send(3), MOAT_ERR_BAD_ID);
    assert_int_equal(moat_event_send(5), MOAT_ERR_BAD_ID); /* incoming, not outgoing */
    assert_int_equal(moat_test_event_sent(), 2);
    assert_int_equal(moat_test_event_sent(), -1);
    assert_int_equal(moat_timer_set(moat_rdtsc() + 10, 5), MOAT_OK);
    assert_int_equal(moat_timer_set(moat_rdtsc() + 10, 2), MOAT_ERR_BAD_ID);
    unsigned id = 0;
    assert_int_equal(moat_test_timer_deadline(&id), MOAT_TEST_TSC_START + 10);
    assert_int_equal(id, 5);
}

static void a_timer_fires_when_time_reaches_its_deadline(void **state)
{
    (void)state;
    assert_int_equal(moat_rdtsc(), MOAT_TEST_TSC_START);
    assert_int_equal(moat_timer_set(moat_rdtsc() + 100, 6), MOAT_OK);
    moat_test_time_advance(99);
    assert_int_equal(moat_event_poll(), -1);
    assert_int_not_equal(moat_test_timer_deadline(NULL), 0);
    moat_test_time_advance(1);
    assert_int_equal(moat_test_timer_deadline(NULL), 0);
    assert_int_equal(moat_event_poll(), 6);
    assert_int_equal(moat_event_poll(), -1);
    /* One timer: setting it again replaces the deadline; 0 cancels. */
    assert_int_equal(moat_timer_set(moat_rdtsc() + 50, 6), MOAT_OK);
    assert_int_equal(moat_timer_set(moat_rdtsc() + 80, 6), MOAT_OK);
    moat_test_time_advance(60);
    assert_int_equal(moat_event_poll(), -1);
    assert_int_equal(moat_timer_set(0, 6), MOAT_OK);
    moat_test_time_advance(1000);
    assert_int_equal(moat_event_poll(), -1);
    /* A deadline already past fires at once. */
    assert_int_equal(moat_timer_set(moat_rdtsc() - 1, 6), MOAT_OK);
    assert_true(moat_test_event_pending(6));
}

static void wait_sleeps_until_the_armed_timer(void **state)
{
    (void)state;
    uint64_t deadline = moat_rdtsc() + 5000;
    assert_int_equal(moat_timer_set(deadline, 3), MOAT_OK);
    assert_int_equal(moat_event_wait(), 3);
    assert_int_equal(moat_rdtsc(), deadline);
    /* A pending event comes before the timer: no time passes. */
    assert_int_equal(moat_timer_set(deadline + 5000, 3), MOAT_OK);
    assert_int_equal(moat_test_event_raise(8), 0);
    assert_int_equal(moat_event_wait(), 8);
    assert_int_equal(moat_rdtsc(), deadline);
}

static void raise_on_block(void *context)
{
    unsigned *calls = context;
    (*calls)++;
    (void)moat_test_event_raise(11);
}

static void a_blocked_wait_asks_the_hook(void **state)
{
    (void)state;
    unsigned calls = 0;
    moat_test_kernel_on_block(raise_on_block, &calls);
    assert_int_equal(moat_event_wait(), 11);
    assert_int_equal(calls, 1);
    assert_int_equal(moat_test_event_raise(1), 0);
    assert_int_equal(moat_event_wait(), 1);
    assert_int_equal(calls, 1);
}

static void a_wait_that_can_never_return_aborts(void **state)
{
    (void)state;
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        dup2(pipe_fds[1], 2);
        (void)moat_event_wait();
        _exit(0);
    }
    close(pipe_fds[1]);
    char message[512] = {0};
    ssize_t n = read(pipe_fds[0], message, sizeof(message) - 1);
    close(pipe_fds[0]);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_true(n > 0);
    assert_non_null(strstr(message, "moat_event_wait() would block for ever"));
}

/*
 * A subject's main loop, as it would be written for Moat: every "tick" timer event it
 * samples a counter and rearms the timer one period later; a "stop" event makes it
 * report how many samples it took and send "done".
 */
#define SAMPLE_PERIOD 1000u

static void sampler_main(void)
{
    int tick = moat_event_incoming("tick");
    int stop = moat_event_incoming("stop");
    int done = moat_event_outgoing("done");
    unsigned samples = 0;
    (void)moat_timer_set(moat_rdtsc() + SAMPLE_PERIOD, (unsigned)tick);
    for (;;) {
        int ev = moat_event_wait();
        if (ev == tick) {
            samples++;
            (void)moat_timer_set(moat_rdtsc() + SAMPLE_PERIOD, (unsigned)tick);
        } else if (ev == stop) {
            moat_log("%u samples", samples);
            moat_event_send((unsigned)done);
            moat_timer_set(0, (unsigned)tick);
        }
    }
}

static jmp_buf sampler_exit;

static void leave_the_loop(void *context)
{
    (void)context;
    longjmp(sampler_exit, 1);
}

/* The sampler's resources: incoming "tick" (its timer) and "stop", outgoing "done". */
static void attach_sampler_page(void)
{
    struct moat_test_sinfo page;
    moat_test_sinfo_init(&page, "sampler");
    assert_int_equal(moat_test_sinfo_add_event(&page, "tick", 0, false), 0);
    assert_int_equal(moat_test_sinfo_add_event(&page, "stop", 1, false), 0);
    assert_int_equal(moat_test_sinfo_add_event(&page, "done", 0, true), 0);
    assert_int_equal(moat_test_sinfo_attach(&page), MOAT_SINFO_OK);
}

static void a_main_loop_samples_once_per_timer_period_until_stopped(void **state)
{
    (void)state;
    attach_sampler_page();
    assert_int_equal(moat_test_log_capture(), 0);
    /* Another subject stops it five and a half periods in; once it has nothing left to
     * wait for, the block hook takes the test out of main(). */
    uint64_t stop_at = moat_rdtsc() + 5 * SAMPLE_PERIOD + SAMPLE_PERIOD / 2;
    assert_int_equal(moat_test_event_raise_at(stop_at, 1), 0);
    moat_test_kernel_on_block(leave_the_loop, NULL);
    if (setjmp(sampler_exit) == 0) {
        sampler_main();
        fail_msg("main() returned");
    }
    char line[32];
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_string_equal(line, "5 samples");
    assert_int_equal(moat_test_event_sent(), 0);
    assert_int_equal(moat_test_event_sent(), -1);
    assert_int_equal(moat_rdtsc(), stop_at);
    assert_int_equal(moat_test_timer_deadline(NULL), 0);
}

static void scheduled_raises_come_at_their_time(void **state)
{
    (void)state;
    uint64_t start = moat_rdtsc();
    assert_int_equal(moat_test_event_raise_at(start + 300, 4), 0);
    assert_int_equal(moat_test_event_raise_at(start + 100, 9), 0);
    assert_int_equal(moat_timer_set(start + 200, 6), MOAT_OK);
    assert_int_equal(moat_event_wait(), 9);
    assert_int_equal(moat_rdtsc(), start + 100);
    assert_int_equal(moat_event_wait(), 6);
    assert_int_equal(moat_rdtsc(), start + 200);
    moat_test_time_advance(150);
    assert_true(moat_test_event_pending(4));
    assert_int_equal(moat_event_poll(), 4);
    assert_int_equal(moat_test_event_raise_at(start, MOAT_MAX_EVENTS), -1);
    /* Room for MOAT_TEST_RAISES_MAX of them at a time. */
    for (unsigned i = 0; i < MOAT_TEST_RAISES_MAX; i++) {
        assert_int_equal(moat_test_event_raise_at(moat_rdtsc() + 1 + i, 2), 0);
    }
    assert_int_equal(moat_test_event_raise_at(moat_rdtsc() + 1, 2), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(wait_and_poll_take_the_lowest_pending_event, moat_test_setup),
        cmocka_unit_test_setup(sends_are_recorded_in_order_and_counted, moat_test_setup),
        cmocka_unit_test_setup(ids_are_checked_against_the_attached_page, moat_test_setup),
        cmocka_unit_test_setup(a_timer_fires_when_time_reaches_its_deadline, moat_test_setup),
        cmocka_unit_test_setup(wait_sleeps_until_the_armed_timer, moat_test_setup),
        cmocka_unit_test_setup(a_blocked_wait_asks_the_hook, moat_test_setup),
        cmocka_unit_test_setup(a_wait_that_can_never_return_aborts, moat_test_setup),
        cmocka_unit_test_setup(scheduled_raises_come_at_their_time, moat_test_setup),
        cmocka_unit_test_setup(a_main_loop_samples_once_per_timer_period_until_stopped,
                               moat_test_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
