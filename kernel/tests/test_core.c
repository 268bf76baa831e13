/*
 * Host tests of kernel/core against the fake arch: plan stepping at planned instants,
 * event routing, kernel calls, fault actions and audit records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <moat/abi/audit.h>
#include <moat/abi/kcall.h>
#include <moat/sinfo_format.h>

#include "fake_arch.h"

/* One tick is 1000 ns = 1000 TSC ticks at the fake 1 GHz. */
#define T(ticks) ((tsc_t)(ticks) * 1000u)
#define START 5000u

enum { ALPHA = 0, BETA = 1, GAMMA = 2 };

static const struct moat_event_route alpha_sends[] = {
    {.action = MOAT_ACTION_NOTIFY, .target = BETA, .target_event = 3},
    {.action = MOAT_ACTION_POWEROFF},
    {.action = MOAT_ACTION_SWITCH_PLAN, .plan = 1},
    {.action = MOAT_ACTION_STOP, .target = GAMMA},
    {.action = MOAT_ACTION_UNMASK_IRQ, .irq = 5},
    {.action = MOAT_ACTION_RESTART, .target = BETA},
};
static const struct moat_event_route beta_sends[] = {
    {.action = MOAT_ACTION_NOTIFY, .target = ALPHA, .target_event = 7},
};
static const struct moat_reset alpha_resets[] = {
    {.dst = FAKE_MEM_BASE + 0x200u, .src = FAKE_MEM_BASE + 0x100u, .size = 16},
    {.dst = FAKE_MEM_BASE + 0x300u, .src = 0, .size = 16},
};
static const struct moat_subject subjects[] = {
    {.name = "alpha", .on_fault = MOAT_FAULT_RESTART, .send_count = 6, .sends = alpha_sends,
     .reset_count = 2, .resets = alpha_resets, .sinfo_phys = FAKE_MEM_BASE + 0x1000u},
    {.name = "beta", .on_fault = MOAT_FAULT_STOP, .send_count = 1, .sends = beta_sends},
    {.name = "gamma", .on_fault = MOAT_FAULT_STOP},
};
static const struct moat_frame main_frames[] = {
    {.subject = ALPHA, .ticks = 10},
    {.subject = BETA, .ticks = 20},
    {.subject = MOAT_SUBJECT_IDLE, .ticks = 5},
    {.subject = GAMMA, .ticks = 5},
};
static const struct moat_frame other_frames[] = {
    {.subject = GAMMA, .ticks = 40},
};
static const struct moat_plan plans[] = {
    {.name = "main", .major_ticks = 40, .cpus = {{.frame_count = 4, .frames = main_frames}}},
    {.name = "other", .major_ticks = 40, .cpus = {{.frame_count = 1, .frames = other_frames}}},
};
static const struct moat_irq_route irqs[] = {
    {.line = 5, .event = 9, .subject = GAMMA},
};
static const struct moat_ram_range regions[] = {
    {.base = FAKE_MEM_BASE, .size = FAKE_MEM_SIZE},
};

const struct moat_system moat_system = {
    .name = "unit",
    .cpu_count = 1,
    .tick_ns = 1000,
    .subject_count = 3,
    .plan_count = 2,
    .irq_count = 1,
    .region_count = 1,
    .subjects = subjects,
    .plans = plans,
    .irqs = irqs,
    .regions = regions,
    .audit_phys = FAKE_MEM_BASE + 0x8000u,
    .audit_size = 0x8000u,
};

static jmp_buf power_jump;

static int setup(void **state)
{
    (void)state;
    fake_reset();
    fake.power_jump = &power_jump;
    return 0;
}

static struct core_next boot(void)
{
    assert_true(core_check_system());
    core_prepare_subjects();
    fake.now = START;
    return core_start(START);
}

static struct core_next kcall(subject_id_t who, uint64_t nr, uint64_t a0, uint64_t a1)
{
    return core_on_kcall(fake.now, who, nr, a0, a1);
}

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
    n = core_on_timer(START + T(40));
    assert_int_equal(n.subject, GAMMA);
    assert_int_equal(n.deadline, START + T(80));
    assert_int_equal(core_cpus[0].plan, 1);
    assert_int_equal(core_cpus[0].major_count, 1);
}

static void notify_sets_the_targets_pending_bit(void **state)
{
    (void)state;
    boot();
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 0, 0);
    assert_int_equal(fake.result[ALPHA], MOAT_OK);
    assert_int_equal(core_subjects[BETA].pending, 1u << 3);
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
    assert_int_equal(core_subjects[ALPHA].state, SUBJECT_WAITING); /* not in its frame */

    n = core_on_timer(START + T(40));
    assert_int_equal(n.subject, ALPHA);
    assert_true(fake.result_set[ALPHA]);
    assert_int_equal(fake.result[ALPHA], 7);
    assert_int_equal(core_subjects[ALPHA].pending, 0);
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

static void unknown_calls_and_ids_return_errors(void **state)
{
    (void)state;
    boot();
    kcall(ALPHA, 99, 0, 0);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_NO_CALL);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 6, 0);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_BAD_ID);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, UINT64_MAX, 0);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_BAD_ID);
    kcall(ALPHA, MOAT_KCALL_TIMER_SET, START + T(3), 64);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_BAD_ID);
    struct core_next n = core_on_timer(fake.now);
    assert_int_equal(n.subject, ALPHA);
}

static void timer_wakes_a_waiting_subject_inside_its_frame(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_TIMER_SET, START + T(4), 12);
    assert_int_equal(fake.result[ALPHA], MOAT_OK);
    struct core_next n = kcall(ALPHA, MOAT_KCALL_EVENT_WAIT, 0, 0);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, START + T(4)); /* wakes for the timer ... */
    n = core_on_timer(START + T(4));
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(fake.result[ALPHA], 12);
    assert_int_equal(n.deadline, START + T(10)); /* ... and the frame still ends on plan */
}

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
    assert_true(fake_console_has("audit 1 begin\naudit 1 kind fault\naudit 1 subject alpha\n"));
    assert_true(fake_console_has("audit 1 vector 6 #UD\n"));
    assert_true(fake_console_has("audit 1 ip 0x401000\n"));
    assert_true(fake_console_has("audit 1 r0 0x1234\n"));
    assert_true(fake_console_has("audit 1 action restart\naudit 1 end\n"));

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
    assert_true(fake_console_has("audit 1 action stop\n"));
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
    assert_int_equal(core_subjects[BETA].state, SUBJECT_STOPPED);
    assert_true(fake_console_has("audit 1 kind exit\naudit 1 subject beta\n"));
    assert_true(fake_console_has("audit 1 status 42\n"));
}

static void kernel_actions_do_what_the_policy_says(void **state)
{
    (void)state;
    boot();
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 3, 0);
    assert_int_equal(core_subjects[GAMMA].state, SUBJECT_STOPPED);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 4, 0);
    assert_int_equal(fake.unmasked_irq, 5);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 5, 0);
    assert_int_equal(fake.init_count[BETA], 2);
    core_on_irq(fake.now, 5);
    assert_int_equal(core_subjects[GAMMA].pending, 1u << 9);
    if (setjmp(power_jump) == 0) {
        kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 1, 0);
        fail();
    }
    assert_int_equal(fake.power, 1);
}

static void missing_ram_refuses_to_start(void **state)
{
    (void)state;
    fake.ram_size = 0x100000u; /* ends below the policy region */
    assert_false(core_check_system());
    assert_true(fake_console_has("refusing to start subjects"));
    assert_true(fake_console_has("memory: [0x1000000, 0x1010000) (policy region)"));
}

static void kernel_fault_panic_records_the_cpu_state(void **state)
{
    (void)state;
    boot();
    struct arch_fault f = {.vector = 6, .error = 0, .ip = 0x101234, .regs = {0x55}};
    if (setjmp(power_jump) == 0) {
        core_panic_fault("exception in the kernel, error code", &f);
    }
    assert_int_equal(fake.power, 2);
    assert_true(fake_console_has("PANIC: exception in the kernel, error code 0x0\n"));
    assert_true(fake_console_has("audit 1 kind panic\naudit 1 subject kernel\n"));
    assert_true(fake_console_has("audit 1 vector 6 #UD\n"));
    assert_true(fake_console_has("audit 1 ip 0x101234\n"));
    assert_true(fake_console_has("audit 1 r0 0x55\n"));
    struct moat_audit_record r;
    memcpy(&r, &fake.mem[0x8000 + sizeof(struct moat_audit_header)], sizeof(r));
    assert_int_equal(r.kind, MOAT_AUDIT_PANIC);
    assert_int_equal(r.ip, 0x101234);
}

static void ram_the_kernel_cannot_reach_refuses_to_start(void **state)
{
    (void)state;
    fake.reachable_end = FAKE_MEM_BASE + 0x1000u; /* the policy region reaches beyond */
    assert_false(core_check_system());
    assert_true(fake_console_has(
        "memory: [0x1000000, 0x1010000) (policy region) is beyond the physical memory"));
    assert_true(fake_console_has("refusing to start subjects"));
}

static void panic_writes_an_audit_record_and_powers_off_with_failure(void **state)
{
    (void)state;
    boot();
    if (setjmp(power_jump) == 0) {
        core_panic("test", 7);
    }
    assert_int_equal(fake.power, 2);
    assert_true(fake_console_has("PANIC: test 0x7\n"));
    assert_true(fake_console_has("audit 1 kind panic\naudit 1 subject kernel\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(frames_end_at_planned_instants_even_when_switches_are_late, setup),
        cmocka_unit_test_setup(a_very_late_timer_skips_whole_frames, setup),
        cmocka_unit_test_setup(an_early_timer_keeps_the_frame, setup),
        cmocka_unit_test_setup(major_frame_wraps_and_plan_switch_waits_for_it, setup),
        cmocka_unit_test_setup(notify_sets_the_targets_pending_bit, setup),
        cmocka_unit_test_setup(wait_blocks_for_the_frame_and_wakes_in_its_own_frame, setup),
        cmocka_unit_test_setup(yield_idles_the_rest_of_the_frame_only, setup),
        cmocka_unit_test_setup(unknown_calls_and_ids_return_errors, setup),
        cmocka_unit_test_setup(timer_wakes_a_waiting_subject_inside_its_frame, setup),
        cmocka_unit_test_setup(fault_with_restart_audits_and_resets, setup),
        cmocka_unit_test_setup(fault_with_stop_idles_its_frames_and_keeps_the_plan, setup),
        cmocka_unit_test_setup(return_from_main_is_audited_as_exit, setup),
        cmocka_unit_test_setup(kernel_actions_do_what_the_policy_says, setup),
        cmocka_unit_test_setup(missing_ram_refuses_to_start, setup),
        cmocka_unit_test_setup(ram_the_kernel_cannot_reach_refuses_to_start, setup),
        cmocka_unit_test_setup(kernel_fault_panic_records_the_cpu_state, setup),
        cmocka_unit_test_setup(panic_writes_an_audit_record_and_powers_off_with_failure, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
