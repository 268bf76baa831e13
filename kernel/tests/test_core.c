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
    {.action = MOAT_ACTION_RESTART, .target = GAMMA},
};
enum { SEND_STOP_GAMMA = 3, SEND_RESTART_BETA = 5, SEND_RESTART_GAMMA = 6 };
/* alpha's incoming ids: 7 is beta's notify, 12 its <timer>; gamma's <timer> is 4. */
enum { ALPHA_TIMER = 12, ALPHA_NOTIFY = 7, GAMMA_TIMER = 4 };
static const struct moat_event_route beta_sends[] = {
    {.action = MOAT_ACTION_NOTIFY, .target = ALPHA, .target_event = 7},
};
static const struct moat_reset alpha_resets[] = {
    {.dst = FAKE_MEM_BASE + 0x200u, .src = FAKE_MEM_BASE + 0x100u, .size = 16},
    {.dst = FAKE_MEM_BASE + 0x300u, .src = 0, .size = 16},
};
/* gamma's reset is big: 96 chunks, more than one kernel entry's worth. */
#define GAMMA_RESET_BASE 0x20000u
#define GAMMA_RESET_CHUNKS 96u
#define GAMMA_RESET_SIZE (GAMMA_RESET_CHUNKS * SUBJECT_RESET_CHUNK_BYTES)
static const struct moat_reset gamma_resets[] = {
    {.dst = FAKE_MEM_BASE + GAMMA_RESET_BASE, .src = 0, .size = GAMMA_RESET_SIZE},
};
static const struct moat_subject subjects[] = {
    {.name = "alpha", .on_fault = MOAT_FAULT_RESTART, .send_count = 7, .sends = alpha_sends,
     .reset_count = 2, .resets = alpha_resets, .sinfo_phys = FAKE_MEM_BASE + 0x1000u,
     .timer_events = 1ull << ALPHA_TIMER},
    {.name = "beta", .on_fault = MOAT_FAULT_STOP, .send_count = 1, .sends = beta_sends},
    {.name = "gamma", .on_fault = MOAT_FAULT_RESTART, .reset_count = 1, .resets = gamma_resets,
     .timer_events = 1ull << GAMMA_TIMER},
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
    {.base = FAKE_MEM_BASE, .size = 0x10000u},
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
    .klog_phys = {FAKE_MEM_BASE + 0x4000u},
    .klog_size = 0x2000u,
    .klog_reader = MOAT_SUBJECT_IDLE, /* power actions at once (test_klog.c: with a reader) */
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
    fake.phys_calls = 0;
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
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 7, 0);
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
    assert_int_equal(core_subjects[BETA].state, SUBJECT_STOPPED);
    assert_true(fake_log_has("audit 1 kind exit\naudit 1 subject beta\n"));
    assert_true(fake_log_has("audit 1 status 42\n"));
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
    assert_int_equal(core_subjects[GAMMA].state, SUBJECT_STOPPED);
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

static void timer_set_refuses_another_subjects_timer_id(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_TIMER_SET, START + T(3), GAMMA_TIMER);
    assert_int_equal(fake.result[ALPHA], MOAT_ERR_BAD_ID);
    struct core_next n = core_on_timer(START + T(3));
    assert_int_equal(core_subjects[ALPHA].pending, 0);
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
    assert_int_equal(core_subjects[ALPHA].pending, 0); /* beta's notify is not forged */
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
    assert_int_equal(core_subjects[BETA].timer_deadline, 0);
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
    assert_int_equal(core_subjects[ALPHA].pending, 0);
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
    assert_int_equal(core_subjects[ALPHA].pending, 0);
    core_on_timer(START + T(30));
    core_on_timer(START + T(35));
    assert_int_equal(core_subjects[ALPHA].pending, 0);
    n = core_on_timer(START + T(40)); /* alpha's next frame starts */
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(core_subjects[ALPHA].pending, 1ull << ALPHA_TIMER);
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
    assert_int_equal(core_subjects[GAMMA].pending, 1ull << GAMMA_TIMER);
    assert_int_equal(n.deadline, START + T(80));
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
    assert_int_equal(core_subjects[BETA].restarts, 0);
    struct core_next n = core_on_timer(START + T(10));
    assert_int_equal(fake.init_count[BETA], 2);
    assert_int_equal(core_subjects[BETA].restarts, 1);
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
    assert_int_equal(core_subjects[BETA].restarts, 1);
    assert_int_equal(fake.init_count[BETA], 2);
    core_on_timer(START + T(30));
    core_on_timer(START + T(50));
    assert_int_equal(core_subjects[BETA].restarts, 1);
}

static size_t log_count(const char *text)
{
    static char log[65536];
    fake_log_text(log, sizeof(log));
    size_t count = 0;
    for (const char *p = strstr(log, text); p != NULL; p = strstr(p + 1, text)) {
        count++;
    }
    return count;
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
    assert_int_equal(core_subjects[BETA].restarts, 100);
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
    assert_int_equal(core_subjects[GAMMA].state, SUBJECT_RUNNABLE);
    assert_false(fake_log_has("subject gamma stopped"));
    struct core_next n = core_on_timer(START + T(35));
    assert_int_equal(core_subjects[GAMMA].state, SUBJECT_STOPPED);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
}

static bool gamma_reset_zeroed(uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        if (fake.mem[GAMMA_RESET_BASE + i] != 0u) {
            return false;
        }
    }
    return true;
}

/* Each chunk takes 1 tick: gamma's 5-tick frame holds 5 of its 96 chunks. */
static void reset_is_chunked_across_own_frames(void **state)
{
    (void)state;
    boot();
    memset(&fake.mem[GAMMA_RESET_BASE], 0x5a, GAMMA_RESET_SIZE);
    fake.phys_cost = T(1);
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, SEND_RESTART_GAMMA, 0);
    assert_int_equal(fake.phys_calls, 0);
    core_on_timer(START + T(10));
    core_on_timer(START + T(30));
    assert_int_equal(fake.phys_calls, 0);
    fake.now = START + T(35);
    struct core_next n = core_on_timer(fake.now);
    assert_int_equal(core_subjects[GAMMA].state, SUBJECT_RESETTING);
    assert_int_equal(fake.phys_calls, 5);
    assert_int_equal(fake.now, START + T(40)); /* stopped at the frame's end */
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_true(gamma_reset_zeroed(0, 5u * SUBJECT_RESET_CHUNK_BYTES));
    assert_int_equal(fake.mem[GAMMA_RESET_BASE + 5u * SUBJECT_RESET_CHUNK_BYTES], 0x5a);
    uint32_t inits = fake.init_count[GAMMA];

    /* Alpha's and beta's frames of the next major frame: no reset work, gamma waits. */
    for (uint32_t t = 40; t < 75; t += 5) {
        fake.now = START + T(t);
        n = core_on_timer(fake.now);
        assert_int_not_equal(n.subject, GAMMA);
    }
    assert_int_equal(fake.phys_calls, 5);

    /* Gamma's frames carry on until all 96 chunks are done; then it runs. */
    uint32_t frames = 1;
    for (uint32_t major = 1; major < 40 && core_subjects[GAMMA].state == SUBJECT_RESETTING;
         major++) {
        fake.now = START + T(40 * major + 35);
        n = core_on_timer(fake.now);
        assert_true(fake.now <= START + T(40 * major + 40));
        frames++;
    }
    assert_int_equal(frames, 20); /* 19 frames of 5 chunks, then the last one */
    assert_int_equal(core_subjects[GAMMA].state, SUBJECT_RUNNABLE);
    assert_int_equal(n.subject, GAMMA);
    assert_int_equal(fake.init_count[GAMMA], inits + 1u);
    assert_true(gamma_reset_zeroed(0, GAMMA_RESET_SIZE));
}

static void reset_work_per_kernel_entry_is_bounded(void **state)
{
    (void)state;
    boot();
    core_on_timer(START + T(35));
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(36);
    struct core_next n = core_on_fault(fake.now, GAMMA, &f);
    /* Free chunks: the entry stops after SUBJECT_RESET_CHUNKS_PER_ENTRY and comes back at once. */
    assert_int_equal(fake.phys_calls, SUBJECT_RESET_CHUNKS_PER_ENTRY);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, fake.now);
    n = core_on_timer(fake.now);
    assert_int_equal(fake.phys_calls, GAMMA_RESET_CHUNKS);
    assert_int_equal(n.subject, GAMMA);
    assert_int_equal(n.deadline, START + T(40));
}

/* Chunks of 2 ticks measured at boot: at 39 of a frame ending at 40 none is started. */
static void reset_chunk_that_would_overrun_the_frame_waits(void **state)
{
    (void)state;
    fake.phys_cost = T(2);
    boot();
    core_on_timer(START + T(35));
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(35);
    struct core_next n = core_on_fault(fake.now, GAMMA, &f);
    assert_int_equal(fake.phys_calls, 2);
    assert_int_equal(fake.now, START + T(39));
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, START + T(40)); /* no pointless re-entries until then */
    core_on_timer(fake.now);
    assert_int_equal(fake.phys_calls, 2);
    assert_int_equal(fake.now, START + T(39)); /* the frame's end is kept */
}

/* The last part of a reset (registers, XSAVE image: 2 ticks here, measured at boot)
 * waits for a frame with room for it, like the chunks. */
static void reset_finish_waits_for_a_frame_with_room_for_it(void **state)
{
    (void)state;
    fake.phys_cost = T(1);
    fake.init_cost = T(2);
    boot();
    core_on_timer(START + T(35));
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(38);
    core_on_fault(fake.now, GAMMA, &f); /* 2 chunks, then 5 in each of its next frames */
    uint32_t inits = fake.init_count[GAMMA];
    for (uint32_t m = 1; m < 19; m++) {
        fake.now = START + T(40 * m + 35);
        core_on_timer(fake.now);
        assert_true(fake.now <= START + T(40 * m + 40));
    }
    /* Major 19: the last 4 chunks end at 39, 1 tick before the end: no room to finish. */
    fake.now = START + T(19 * 40 + 35);
    struct core_next n = core_on_timer(fake.now);
    assert_int_equal(fake.now, START + T(19 * 40 + 39));
    assert_int_equal(core_subjects[GAMMA].state, SUBJECT_RESETTING);
    assert_int_equal(fake.init_count[GAMMA], inits);
    assert_int_equal(n.deadline, START + T(19 * 40 + 40));
    fake.now = START + T(20 * 40 + 35);
    n = core_on_timer(fake.now);
    assert_int_equal(fake.init_count[GAMMA], inits + 1u);
    assert_int_equal(n.subject, GAMMA);
    assert_int_equal(fake.now, START + T(20 * 40 + 37));
}

/*
 * Estimates measured at boot while the host (or an SMI) stalled the CPU: a chunk and the
 * last part each "took" 100 ticks, 20 times gamma's 5-tick frame, so nothing would ever
 * fit and gamma would never run again. They count as half its frame: the reset runs in
 * its frames' first halves, ends inside them, and gamma runs again.
 */
static void reset_ends_although_its_boot_estimates_exceed_the_frame(void **state)
{
    (void)state;
    fake.phys_cost = T(100);
    fake.init_cost = T(100);
    boot();
    fake.phys_cost = T(1) / 4u;
    fake.init_cost = T(1);
    core_on_timer(START + T(35));
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(38);
    core_on_fault(fake.now, GAMMA, &f);
    uint32_t inits = fake.init_count[GAMMA];
    struct core_next n = {0};
    for (uint32_t m = 1; m < 10 && fake.init_count[GAMMA] == inits; m++) {
        fake.now = START + T(40 * m + 35);
        n = core_on_timer(fake.now);
        assert_true(fake.now <= START + T(40 * m + 40));
    }
    assert_int_equal(fake.init_count[GAMMA], inits + 1u);
    assert_int_equal(core_subjects[GAMMA].state, SUBJECT_RUNNABLE);
    assert_int_equal(n.subject, GAMMA);
}

static struct core_next timer_at(tsc_t now)
{
    fake.now = now;
    return core_on_timer(now);
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
    assert_int_equal(core_subjects[ALPHA].state, SUBJECT_RUNNABLE);
    n = timer_at(START + T(40));
    assert_int_equal(n.subject, ALPHA);
    assert_true(fake_log_has("audit 1 end\nsubject alpha restarted (1)\n"));
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

static void own_fault_restart_runs_in_own_frames_only(void **state)
{
    (void)state;
    boot();
    core_on_timer(START + T(35));
    fake.phys_cost = T(1);
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(37);
    struct core_next n = core_on_fault(fake.now, GAMMA, &f);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(fake.phys_calls, 3);
    fake.now = START + T(40);
    n = core_on_timer(fake.now);
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(fake.now, START + T(40));
    assert_int_equal(core_subjects[GAMMA].state, SUBJECT_RESETTING);
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
        cmocka_unit_test_setup(timer_set_refuses_another_subjects_timer_id, setup),
        cmocka_unit_test_setup(timer_set_refuses_an_incoming_notify_id, setup),
        cmocka_unit_test_setup(timer_set_refuses_a_subject_without_timers, setup),
        cmocka_unit_test_setup(timer_deadline_zero_cancels, setup),
        cmocka_unit_test_setup(timer_deadline_in_foreign_frame_fires_at_owner_frame_start, setup),
        cmocka_unit_test_setup(only_the_frame_subjects_timer_arms_the_timer, setup),
        cmocka_unit_test_setup(restart_of_other_subject_waits_for_its_frame, setup),
        cmocka_unit_test_setup(restart_requests_coalesce_to_one_per_frame, setup),
        cmocka_unit_test_setup(a_restart_flood_is_reported_sparsely, setup),
        cmocka_unit_test_setup(stop_of_other_subject_waits_for_its_frame, setup),
        cmocka_unit_test_setup(reset_is_chunked_across_own_frames, setup),
        cmocka_unit_test_setup(reset_work_per_kernel_entry_is_bounded, setup),
        cmocka_unit_test_setup(reset_chunk_that_would_overrun_the_frame_waits, setup),
        cmocka_unit_test_setup(reset_finish_waits_for_a_frame_with_room_for_it, setup),
        cmocka_unit_test_setup(reset_ends_although_its_boot_estimates_exceed_the_frame, setup),
        cmocka_unit_test_setup(a_fault_near_its_frame_end_is_reported_at_its_next_frame_start,
                               setup),
        cmocka_unit_test_setup(a_fault_with_room_before_its_frame_end_is_reported_at_once, setup),
        cmocka_unit_test_setup(a_fault_report_is_printed_line_by_line_in_own_frames, setup),
        cmocka_unit_test_setup(a_subject_waiting_for_its_report_does_not_run_again_in_that_frame,
                               setup),
        cmocka_unit_test_setup(own_fault_restart_runs_in_own_frames_only, setup),
        cmocka_unit_test_setup(frames_are_shortened_when_cpu_is_late, setup),
        cmocka_unit_test_setup(late_notices_back_off_and_skip_single_late_frames, setup),
        cmocka_unit_test_setup(a_cpu_far_behind_catches_up_in_bounded_entries, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
