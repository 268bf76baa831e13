/*
 * Host tests of fault containment against the fake arch (core_fixture.h): a fault or exit
 * is audited (region at once, report line by line in the subject's own frames), then the
 * policy's action (restart or stop) is carried out; restart and stop asked by another
 * subject wait for the target's frame.
 */
#include <moat/abi/audit.h>
#include <moat/sinfo_format.h>

#include "core_fixture.h"

static void fault_with_restart_audits_and_resets(void **state)
{
    (void)state;
    boot();
    memset(&fake.mem[0x100], 0xab, 16);
    memset(&fake.mem[0x200], 0x11, 16);
    memset(&fake.mem[0x300], 0x22, 16);
    struct arch_fault f = {.vector = 6, .ip = 0x401000, .regs = {0x1234}};
    fake.now = START + T(2);
    struct core_next n = core_on_fault(fake.now, ALPHA, &f);
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(fake.init_count[ALPHA], 2);
    assert_int_equal(fake.mem[0x200], 0xab);
    assert_int_equal(fake.mem[0x300], 0);
    assert_true(fake_log_has("audit 1 begin\naudit 1 kind fault\naudit 1 subject alpha\n"));
    assert_true(fake_log_has("audit 1 vector 6 #UD\n"));
    assert_true(fake_log_has("audit 1 ip 0x401000\n"));
    assert_true(fake_log_has("audit 1 action restart\naudit 1 end\n"));

    struct moat_audit_header h;
    struct moat_audit_record r;
    memcpy(&h, &fake.mem[0x8000], sizeof(h));
    memcpy(&r, &fake.mem[0x8000 + sizeof(h)], sizeof(r));
    assert_int_equal(h.magic, MOAT_AUDIT_MAGIC);
    assert_int_equal(h.count, 1);
    assert_int_equal(r.seq, 1);
    assert_int_equal(r.subject, ALPHA);
    assert_int_equal(r.vector, 6);
    assert_int_equal(r.ip, 0x401000);
    assert_int_equal(r.action, MOAT_FAULT_RESTART);
    assert_int_equal(r.regs[0], 0x1234);

    uint64_t khz;
    memcpy(&khz, &fake.mem[0x1000 + offsetof(struct moat_sinfo, tsc_khz)], sizeof(khz));
    assert_int_equal(khz, 1000000u);
}

static void fault_with_stop_idles_its_frames_and_keeps_the_plan(void **state)
{
    (void)state;
    boot();
    core_on_timer(START + T(10));
    struct arch_fault f = {.vector = 13};
    struct core_next n = core_on_fault(START + T(12), BETA, &f);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, START + T(30));
    assert_true(fake_log_has("audit 1 action stop\n"));
    n = core_on_timer(START + T(50));
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, START + T(70));
    n = core_on_timer(START + T(70));
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
}

static void return_from_main_is_audited_as_exit(void **state)
{
    (void)state;
    boot();
    core_on_timer(START + T(10));
    struct core_next n = kcall(BETA, MOAT_KCALL_EXIT, 42, 0);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(core_subject(BETA)->state, SUBJECT_STOPPED);
    assert_true(fake_log_has("audit 1 kind exit\naudit 1 subject beta\n"));
    assert_true(fake_log_has("audit 1 status 42\n"));
}

/* A report (audit lines, "restarted") taking 3 ticks here does not fit 2 ticks before
 * the frame's end: it is printed at the subject's next frame start, in its time. */
static void a_fault_near_its_frame_end_is_reported_at_its_next_frame_start(void **state)
{
    (void)state;
    boot();
    core_cpus[0].report_line_tsc = T(3);
    core_on_timer(START + T(35));
    struct arch_fault f = {.vector = 6, .ip = 0x401234};
    fake.now = START + T(38);
    struct core_next n = core_on_fault(fake.now, GAMMA, &f);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_false(fake_log_has("audit 1 begin"));
    struct moat_audit_record r;
    memcpy(&r, &fake.mem[0x8000 + sizeof(struct moat_audit_header)], sizeof(r));
    assert_int_equal(r.ip, 0x401234); /* the region has it at once */
    for (uint32_t t = 40; t < 75; t += 5) {
        timer_at(START + T(t));
    }
    assert_false(fake_log_has("audit 1 begin"));
    timer_at(START + T(75));
    assert_true(fake_log_has("audit 1 begin\naudit 1 kind fault\naudit 1 subject gamma\n"));
    assert_true(fake_log_has("audit 1 ip 0x401234\n"));
    assert_true(fake_log_has("audit 1 end\nsubject gamma restarted (1)\n"));
}

static void a_fault_with_room_before_its_frame_end_is_reported_at_once(void **state)
{
    (void)state;
    boot();
    core_cpus[0].report_line_tsc = T(3);
    core_on_timer(START + T(35));
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(36);
    core_on_fault(fake.now, GAMMA, &f);
    assert_true(fake_log_has("audit 1 end\nsubject gamma restarted (1)\n"));
}

/* Each arch_now() here moves the clock half a tick, so a report line (its stamp, then
 * the measurement after it) takes about one tick: a fault 2 ticks before alpha's frame
 * end prints only the report's first lines there, never past the end by more than a
 * line, and the rest at alpha's next frame start; alpha runs only then. */
static void a_fault_report_is_printed_line_by_line_in_own_frames(void **state)
{
    (void)state;
    boot();
    core_cpus[0].report_line_tsc = T(1);
    struct arch_fault f = {.vector = 6, .ip = 0x401234};
    fake.now = START + T(8);
    fake.now_step = T(1) / 2u;
    struct core_next n = core_on_fault(fake.now, ALPHA, &f);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_true(fake_log_has("audit 1 begin\n"));
    assert_false(fake_log_has("audit 1 end"));
    assert_false(fake_log_has("subject alpha restarted (1)"));
    assert_true(fake.now <= START + T(11));
    fake.now_step = 0;
    n = timer_at(START + T(40));
    assert_int_equal(n.subject, ALPHA);
    assert_true(fake_log_has("audit 1 begin\naudit 1 kind fault\naudit 1 subject alpha\n"
                             "audit 1 tsc "));
    assert_true(fake_log_has("audit 1 ip 0x401234\naudit 1 addr 0x0\naudit 1 action restart\n"
                             "audit 1 end\nsubject alpha restarted (1)\n"));
}

static void a_subject_waiting_for_its_report_does_not_run_again_in_that_frame(void **state)
{
    (void)state;
    boot();
    core_cpus[0].report_line_tsc = T(3);
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(8);
    struct core_next n = core_on_fault(fake.now, ALPHA, &f); /* its tiny reset is done */
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, START + T(10));
    assert_int_equal(core_subject(ALPHA)->state, SUBJECT_RUNNABLE);
    n = timer_at(START + T(40));
    assert_int_equal(n.subject, ALPHA);
    assert_true(fake_log_has("audit 1 end\nsubject alpha restarted (1)\n"));
}

static void restart_of_other_subject_waits_for_its_frame(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, SEND_RESTART_BETA, 0);
    assert_int_equal(fake.result[ALPHA], MOAT_OK);
    assert_int_equal(fake.init_count[BETA], 1);
    fake.now = START + T(2);
    core_on_timer(fake.now);
    assert_int_equal(fake.init_count[BETA], 1); /* nothing of beta in alpha's frame */
    assert_int_equal(core_subject(BETA)->restarts, 0);
    struct core_next n = core_on_timer(START + T(10));
    assert_int_equal(fake.init_count[BETA], 2);
    assert_int_equal(core_subject(BETA)->restarts, 1);
    assert_int_equal(n.subject, BETA);
    assert_true(fake_log_has("subject beta restarted (1)"));
}

static void restart_requests_coalesce_to_one_per_frame(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    for (int i = 0; i < 100; i++) {
        kcall(ALPHA, MOAT_KCALL_EVENT_SEND, SEND_RESTART_BETA, 0);
    }
    core_on_timer(START + T(10));
    assert_int_equal(core_subject(BETA)->restarts, 1);
    assert_int_equal(fake.init_count[BETA], 2);
    core_on_timer(START + T(30));
    core_on_timer(START + T(50));
    assert_int_equal(core_subject(BETA)->restarts, 1);
}

static void a_restart_flood_is_reported_sparsely(void **state)
{
    (void)state;
    boot();
    for (uint32_t m = 0; m < 100; m++) {
        fake.now = START + T(40 * m + 1);
        kcall(ALPHA, MOAT_KCALL_EVENT_SEND, SEND_RESTART_BETA, 0);
        core_on_timer(START + T(40 * m + 10));
        core_on_timer(START + T(40 * m + 40));
    }
    assert_int_equal(core_subject(BETA)->restarts, 100);
    /* 1..32, then 64. */
    assert_int_equal(log_count("subject beta restarted ("), 33);
    assert_true(fake_log_has("subject beta restarted (32)\n"));
    assert_false(fake_log_has("subject beta restarted (33)\n"));
    assert_true(fake_log_has("subject beta restarted (64)\n"));
}

static void stop_of_other_subject_waits_for_its_frame(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, SEND_STOP_GAMMA, 0);
    core_on_timer(START + T(10));
    core_on_timer(START + T(30));
    assert_int_equal(core_subject(GAMMA)->state, SUBJECT_RUNNABLE);
    assert_false(fake_log_has("subject gamma stopped"));
    struct core_next n = core_on_timer(START + T(35));
    assert_int_equal(core_subject(GAMMA)->state, SUBJECT_STOPPED);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(fault_with_restart_audits_and_resets, fixture_setup),
        cmocka_unit_test_setup(fault_with_stop_idles_its_frames_and_keeps_the_plan,
                               fixture_setup),
        cmocka_unit_test_setup(return_from_main_is_audited_as_exit, fixture_setup),
        cmocka_unit_test_setup(a_fault_near_its_frame_end_is_reported_at_its_next_frame_start,
                               fixture_setup),
        cmocka_unit_test_setup(a_fault_with_room_before_its_frame_end_is_reported_at_once,
                               fixture_setup),
        cmocka_unit_test_setup(a_fault_report_is_printed_line_by_line_in_own_frames,
                               fixture_setup),
        cmocka_unit_test_setup(a_subject_waiting_for_its_report_does_not_run_again_in_that_frame,
                               fixture_setup),
        cmocka_unit_test_setup(restart_of_other_subject_waits_for_its_frame, fixture_setup),
        cmocka_unit_test_setup(restart_requests_coalesce_to_one_per_frame, fixture_setup),
        cmocka_unit_test_setup(a_restart_flood_is_reported_sparsely, fixture_setup),
        cmocka_unit_test_setup(stop_of_other_subject_waits_for_its_frame, fixture_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
