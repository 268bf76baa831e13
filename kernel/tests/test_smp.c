/*
 * Host tests of the core's multicore logic against the fake arch, on a two-CPU system:
 * the major-frame barrier and the plan it latches, cross-CPU notify wake-ups, restart
 * and stop of another CPU's subject, per-CPU timers, the CPU-count check and panics.
 * One thread plays both CPUs: fake.cpu says which one the core runs on, and the fake
 * arch_idle_until lets a test run the other CPU while one waits at the barrier.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <moat/abi/kcall.h>

#include "blob.h"
#include "fake_arch.h"

/* One tick is 1000 ns = 1000 TSC ticks at the fake 1 GHz. */
#define T(ticks) ((tsc_t)(ticks) * 1000u)
#define START 5000u

enum { ALPHA = 0, BETA = 1, GAMMA = 2 }; /* alpha on CPU 0; beta and gamma on CPU 1 */
enum { SEND_NOTIFY_BETA = 0, SEND_SWITCH = 1, SEND_RESTART_BETA = 2, SEND_STOP_GAMMA = 3 };

static const struct moat_event_route alpha_sends[] = {
    {.action = MOAT_ACTION_NOTIFY, .target = BETA, .target_event = 2},
    {.action = MOAT_ACTION_SWITCH_PLAN, .plan = 1},
    {.action = MOAT_ACTION_RESTART, .target = BETA},
    {.action = MOAT_ACTION_STOP, .target = GAMMA},
};
static const struct blob_subject subjects[] = {
    {.name = "alpha", .cpu = 0, .send_count = 4, .sends = alpha_sends},
    {.name = "beta", .cpu = 1, .timer_events = 1u},
    {.name = "gamma", .cpu = 1},
};
static const struct moat_frame p_cpu0[] = {{.subject = ALPHA, .ticks = 10}};
static const struct moat_frame p_cpu1[] = {{.subject = BETA, .ticks = 5},
                                           {.subject = GAMMA, .ticks = 5}};
static const struct moat_frame q_cpu0[] = {{.subject = ALPHA, .ticks = 20}};
static const struct moat_frame q_cpu1[] = {{.subject = BETA, .ticks = 10},
                                           {.subject = GAMMA, .ticks = 10}};
static const struct blob_plan plans[] = {
    {.name = "p", .major_ticks = 10,
     .cpus = {{.frame_count = 1, .frames = p_cpu0}, {.frame_count = 2, .frames = p_cpu1}}},
    {.name = "q", .major_ticks = 20,
     .cpus = {{.frame_count = 1, .frames = q_cpu0}, {.frame_count = 2, .frames = q_cpu1}}},
};

static const struct blob_system smp_system = {
    .name = "smp",
    .cpu_count = 2,
    .tick_ns = 1000,
    .subjects = subjects,
    .subject_count = 3,
    .plans = plans,
    .plan_count = 2,
    .audit_phys = FAKE_MEM_BASE + 0x8000u,
    .audit_size = 0x8000u,
    .klog_phys = {FAKE_MEM_BASE + 0x4000u, FAKE_MEM_BASE + 0x6000u},
    .klog_size = 0x2000u,
    .klog_reader = MOAT_SUBJECT_IDLE,
};

static jmp_buf power_jump;

static int setup(void **state)
{
    (void)state;
    fake_reset();
    fake.power_jump = &power_jump;
    fake.machine_cpus = 2;
    blob_load_or_fail(&smp_system);
    return 0;
}

static struct core_next on_cpu_timer(uint32_t cpu, tsc_t now)
{
    fake.cpu = cpu;
    fake.now = now;
    return core_on_timer(now);
}

static struct core_next on_cpu_kcall(uint32_t cpu, subject_id_t who, uint64_t nr, uint64_t a0)
{
    fake.cpu = cpu;
    return core_on_kcall(fake.now, who, nr, a0, 0);
}

static void boot(void)
{
    assert_true(core_check_system());
    core_prepare_subjects();
    fake.now = START;
    fake.cpu = 1;
    assert_int_equal(core_start(START).subject, BETA);
    fake.cpu = 0;
    assert_int_equal(core_start(START).subject, ALPHA);
}

/* While one CPU waits at the barrier, `other_cpu` reaches the same major frame start. */
static uint32_t other_cpu;
static struct core_next other_result;
static void other_cpu_arrives(void)
{
    uint32_t was = fake.cpu;
    fake.on_idle = NULL;
    other_result = on_cpu_timer(other_cpu, fake.now);
    fake.cpu = was;
}

static void the_barrier_waits_for_every_cpu_and_hands_out_the_requested_plan(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(3);
    on_cpu_kcall(0, ALPHA, MOAT_KCALL_EVENT_SEND, SEND_SWITCH);
    assert_int_equal(fake.result[ALPHA], MOAT_OK);
    /* CPU 1 crosses its minor frame boundary: no barrier, old plan. */
    assert_int_equal(on_cpu_timer(1, START + T(5)).subject, GAMMA);
    assert_int_equal(core_cpus[1].plan, 0);

    /* CPU 0 reaches the major frame first and waits until CPU 1 arrives. */
    fake.on_idle = other_cpu_arrives;
    other_cpu = 1;
    struct core_next n = on_cpu_timer(0, START + T(10));
    assert_int_equal(fake.idles, 1);
    assert_int_equal(fake.wakes[0], 1); /* the last to arrive woke the waiter */
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(n.deadline, START + T(30)); /* plan q: 20 ticks */
    assert_int_equal(other_result.subject, BETA);
    assert_int_equal(other_result.deadline, START + T(20)); /* plan q: 10 ticks */
    assert_int_equal(core_cpus[0].plan, 1);
    assert_int_equal(core_cpus[1].plan, 1);
    assert_int_equal(core_cpus[0].major_count, 1);
    assert_int_equal(core_cpus[1].major_count, 1);
    assert_int_equal(core_shared.generation, 1);
    assert_int_equal(core_shared.arrived, 0);
}

static void a_cpu_arriving_last_does_not_wait(void **state)
{
    (void)state;
    boot();
    /* CPU 1 arrives first (counted, waits), then CPU 0 is last: it releases at once. */
    core_shared.arrived = 1;
    struct core_next n = on_cpu_timer(0, START + T(10));
    assert_int_equal(fake.idles, 0);
    assert_int_equal(fake.wakes[1], 1);
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(core_shared.generation, 1);
    assert_int_equal(core_cpus[0].plan, 0); /* nothing requested: same plan */
}

static void a_cpu_late_by_whole_major_frames_meets_every_barrier_on_the_way(void **state)
{
    (void)state;
    boot();
    /* CPU 0 reached the first major frame start and waits there (counted). */
    core_shared.arrived = 1;
    fake.now = START + T(10);
    core_cpus[0].major_count = 1;
    core_cpus[0].major_start = START + T(10);
    core_cpus[0].frame_end = START + T(20);
    /* CPU 1 wakes 25 ticks in: it releases barrier 1, then waits at barrier 2 for CPU 0. */
    fake.on_idle = other_cpu_arrives;
    other_cpu = 0;
    struct core_next n = on_cpu_timer(1, START + T(25));
    assert_int_equal(core_shared.generation, 2);
    assert_int_equal(core_cpus[1].major_count, 2);
    assert_int_equal(n.subject, GAMMA); /* 5 ticks into major frame 2: gamma's frame */
    assert_int_equal(n.deadline, START + T(30));
    assert_int_equal(other_result.subject, ALPHA);
    assert_int_equal(other_result.deadline, START + T(30));
    assert_int_equal(core_cpus[0].major_count, 2);
}

static void a_cpu_that_never_arrives_makes_the_barrier_panic(void **state)
{
    (void)state;
    boot();
    if (setjmp(power_jump) == 0) {
        on_cpu_timer(0, START + T(10)); /* CPU 1 never comes: the wait times out */
        fail();
    }
    assert_int_equal(fake.power, 2);
    assert_true(fake.others_stopped);
    assert_true(fake_console_has("PANIC: a CPU missed the major-frame barrier"));
    assert_true(fake_console_has("audit 1 kind panic"));
}

static void notify_wakes_a_subject_waiting_on_another_cpu_inside_its_frame(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    struct core_next n = on_cpu_kcall(1, BETA, MOAT_KCALL_EVENT_WAIT, 0);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(core_subject(BETA)->state, SUBJECT_WAITING);

    fake.now = START + T(2);
    on_cpu_kcall(0, ALPHA, MOAT_KCALL_EVENT_SEND, SEND_NOTIFY_BETA);
    assert_int_equal(fake.wakes[1], 1); /* an IPI to CPU 1 */
    n = on_cpu_timer(1, START + T(2)); /* the IPI's kernel entry on CPU 1 */
    assert_int_equal(n.subject, BETA);
    assert_int_equal(n.deadline, START + T(5)); /* the same frame */
    assert_int_equal(fake.result[BETA], 2);
}

static void notify_to_a_subject_outside_its_frame_waits_for_that_frame(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    on_cpu_kcall(1, BETA, MOAT_KCALL_EVENT_WAIT, 0);
    on_cpu_timer(1, START + T(5)); /* gamma's frame now */
    fake.now = START + T(6);
    on_cpu_kcall(0, ALPHA, MOAT_KCALL_EVENT_SEND, SEND_NOTIFY_BETA);
    assert_int_equal(fake.wakes[1], 0); /* no IPI: beta is not in its frame */
    assert_int_equal(core_subject(BETA)->state, SUBJECT_WAITING);

    core_shared.arrived = 1; /* CPU 0 is already at the barrier */
    struct core_next n = on_cpu_timer(1, START + T(10));
    assert_int_equal(n.subject, BETA);
    assert_int_equal(fake.result[BETA], 2);
}

static void notify_to_a_running_subject_on_another_cpu_sends_no_ipi(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    on_cpu_kcall(0, ALPHA, MOAT_KCALL_EVENT_SEND, SEND_NOTIFY_BETA);
    assert_int_equal(fake.wakes[1], 0);
    assert_int_equal(core_subject(BETA)->pending, 1u << 2);
}

static void restart_and_stop_from_another_cpu_wait_for_the_targets_next_frame(void **state)
{
    (void)state;
    boot();
    uint32_t inits = fake.init_count[BETA];
    fake.now = START + T(1);
    on_cpu_kcall(0, ALPHA, MOAT_KCALL_EVENT_SEND, SEND_RESTART_BETA);
    on_cpu_kcall(0, ALPHA, MOAT_KCALL_EVENT_SEND, SEND_STOP_GAMMA);
    assert_int_equal(fake.wakes[1], 0); /* beta runs now: its frame is not interrupted */
    on_cpu_timer(1, START + T(2));      /* another kernel entry in beta's frame */
    assert_int_equal(fake.init_count[BETA], inits);
    assert_int_equal(core_subject(GAMMA)->state, SUBJECT_RUNNABLE);

    struct core_next n = on_cpu_timer(1, START + T(5)); /* gamma's frame starts */
    assert_int_equal(core_subject(GAMMA)->state, SUBJECT_STOPPED);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(fake.init_count[BETA], inits); /* still not beta's frame */
    assert_true(fake_log_has("subject gamma stopped"));

    core_shared.arrived = 1; /* CPU 0 is already at the barrier */
    n = on_cpu_timer(1, START + T(10)); /* beta's next frame starts */
    assert_int_equal(fake.init_count[BETA], inits + 1u);
    assert_int_equal(core_subject(BETA)->restarts, 1);
    assert_int_equal(n.subject, BETA);
    assert_true(fake_log_has("subject beta restarted (1)"));
}

static void a_cross_cpu_restart_flood_costs_the_target_one_restart_per_frame(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    for (int i = 0; i < 1000; i++) {
        on_cpu_kcall(0, ALPHA, MOAT_KCALL_EVENT_SEND, SEND_RESTART_BETA);
    }
    assert_int_equal(fake.wakes[1], 0);
    on_cpu_timer(1, START + T(5));
    core_shared.arrived = 1;
    on_cpu_timer(1, START + T(10));
    assert_int_equal(core_subject(BETA)->restarts, 1);
    fake.now = START + T(11);
    for (int i = 0; i < 1000; i++) {
        on_cpu_kcall(0, ALPHA, MOAT_KCALL_EVENT_SEND, SEND_RESTART_BETA);
    }
    on_cpu_timer(1, START + T(12)); /* within beta's frame: the new requests wait */
    assert_int_equal(core_subject(BETA)->restarts, 1);
    assert_int_equal(fake.wakes[1], 0);
}

static void subject_timers_fire_on_their_own_cpu_only(void **state)
{
    (void)state;
    boot();
    fake.now = START + T(1);
    on_cpu_kcall(1, BETA, MOAT_KCALL_TIMER_SET, START + T(2));
    on_cpu_timer(0, START + T(3));
    assert_int_equal(core_subject(BETA)->pending, 0);
    on_cpu_timer(1, START + T(3));
    assert_int_equal(core_subject(BETA)->pending, 1u);
}

static void fewer_cpus_than_the_policy_needs_refuses_to_start(void **state)
{
    (void)state;
    fake.machine_cpus = 1;
    assert_false(core_check_system());
    assert_true(fake_console_has("cpus: the policy needs 2 CPUs, this machine has 1"));
    /* No "usable RAM" verdict; the arch then prints "refusing to start subjects". */
    assert_false(fake_console_has("policy regions are usable RAM"));
}

static void a_panic_stops_the_other_cpus_and_a_second_one_halts(void **state)
{
    (void)state;
    boot();
    fake.cpu = 1;
    if (setjmp(power_jump) == 0) {
        core_panic("test", 7);
    }
    assert_int_equal(fake.power, 2);
    assert_true(fake.others_stopped);
    assert_true(core_panicking());
    assert_true(fake_console_has("PANIC: test 7\n"));
    fake.cpu = 0;
    if (setjmp(power_jump) == 0) {
        core_panic("second", 8);
    }
    assert_int_equal(fake.power, 4); /* CPU 0 halts; CPU 1 writes the one record */
    assert_false(fake_console_has("second"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(the_barrier_waits_for_every_cpu_and_hands_out_the_requested_plan,
                               setup),
        cmocka_unit_test_setup(a_cpu_arriving_last_does_not_wait, setup),
        cmocka_unit_test_setup(a_cpu_late_by_whole_major_frames_meets_every_barrier_on_the_way,
                               setup),
        cmocka_unit_test_setup(a_cpu_that_never_arrives_makes_the_barrier_panic, setup),
        cmocka_unit_test_setup(notify_wakes_a_subject_waiting_on_another_cpu_inside_its_frame,
                               setup),
        cmocka_unit_test_setup(notify_to_a_subject_outside_its_frame_waits_for_that_frame, setup),
        cmocka_unit_test_setup(notify_to_a_running_subject_on_another_cpu_sends_no_ipi, setup),
        cmocka_unit_test_setup(restart_and_stop_from_another_cpu_wait_for_the_targets_next_frame,
                               setup),
        cmocka_unit_test_setup(a_cross_cpu_restart_flood_costs_the_target_one_restart_per_frame,
                               setup),
        cmocka_unit_test_setup(subject_timers_fire_on_their_own_cpu_only, setup),
        cmocka_unit_test_setup(fewer_cpus_than_the_policy_needs_refuses_to_start, setup),
        cmocka_unit_test_setup(a_panic_stops_the_other_cpus_and_a_second_one_halts, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
