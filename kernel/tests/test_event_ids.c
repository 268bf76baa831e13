/*
 * Host tests of the event id bound (event_send) against the fake arch. Each subject's
 * routes are a range of the blob's sends array, and the route right after the range is a
 * poison: a poweroff after alpha's two routes, a restart of alpha after beta's empty
 * range. A kernel that reads one route past a range (`id > send_count` instead of
 * `id >= send_count`) carries the poison out instead of returning MOAT_ERR_BAD_ID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <moat/abi/kcall.h>

#include "../core/tables.h"
#include "blob.h"
#include "fake_arch.h"

#define START 5000u

enum { ALPHA = 0, BETA = 1 };

static const struct moat_event_route alpha_routes[] = {
    {.action = MOAT_ACTION_NOTIFY, .target = BETA, .target_event = 3},
    {.action = MOAT_ACTION_NOTIFY, .target = BETA, .target_event = 4},
    {.action = MOAT_ACTION_POWEROFF}, /* not alpha's: one past its table */
};
static const struct moat_event_route beta_routes[] = {
    {.action = MOAT_ACTION_RESTART, .target = ALPHA}, /* not beta's: it has none */
};
/* Each subject's padding route is laid out right after its own ones (blob.h). */
static const struct blob_subject subjects[] = {
    {.name = "alpha", .on_fault = MOAT_FAULT_STOP, .send_count = 2, .send_padding = 1,
     .sends = alpha_routes},
    {.name = "beta", .on_fault = MOAT_FAULT_STOP, .send_count = 0, .send_padding = 1,
     .sends = beta_routes},
};
static const struct moat_frame frames[] = {
    {.subject = ALPHA, .ticks = 10},
    {.subject = BETA, .ticks = 10},
};
static const struct blob_plan plans[] = {
    {.name = "main", .major_ticks = 20, .cpus = {{.frame_count = 2, .frames = frames}}},
};

static const struct blob_system event_ids_system = {
    .name = "event-ids",
    .cpu_count = 1,
    .tick_ns = 1000,
    .subjects = subjects,
    .subject_count = 2,
    .plans = plans,
    .plan_count = 1,
    .audit_phys = FAKE_MEM_BASE + 0x8000u,
    .audit_size = 0x8000u,
    .klog_reader = MOAT_SUBJECT_IDLE,
};

static jmp_buf power_jump;

static int setup(void **state)
{
    (void)state;
    fake_reset();
    fake.power_jump = &power_jump;
    blob_load_or_fail(&event_ids_system);
    /* The poison routes are where the tests say: right after each subject's range. */
    const struct moat_event_route *sends = blob_record(blob_header()->sends, sizeof(*sends), 0);
    assert_int_equal(tables_subject(ALPHA)->send_first, 0);
    assert_int_equal(sends[2].action, MOAT_ACTION_POWEROFF);
    assert_int_equal(tables_subject(BETA)->send_first, 3);
    assert_int_equal(sends[3].action, MOAT_ACTION_RESTART);
    assert_true(core_check_system());
    core_prepare_subjects();
    fake.now = START;
    core_start(START);
    return 0;
}

/* Sends `id` as `who` through the kernel-call entry and returns the delivered result;
 * a poweroff or reboot on the way fails the test (the poison route was taken). */
static int64_t send(subject_id_t who, uint64_t id)
{
    fake.result_set[who] = false;
    if (setjmp(power_jump) != 0) {
        fail_msg("event_send(%s, %llu) carried out a route outside its table (power %d)",
                 subjects[who].name, (unsigned long long)id, fake.power);
    }
    core_on_kcall(fake.now, who, MOAT_KCALL_EVENT_SEND, id, 0);
    assert_true(fake.result_set[who]);
    return fake.result[who];
}

/* Nothing a route could do happened: no event, restart, plan request, IRQ or power. */
static void assert_no_effect(void)
{
    assert_int_equal(core_subject(ALPHA)->pending, 0);
    assert_int_equal(core_subject(BETA)->pending, 0);
    assert_int_equal(fake.init_count[ALPHA], 1);
    assert_int_equal(fake.init_count[BETA], 1);
    assert_int_equal(core_subject(ALPHA)->state, SUBJECT_RUNNABLE);
    assert_int_equal(core_subject(BETA)->state, SUBJECT_RUNNABLE);
    assert_int_equal(fake.unmasked_irq, -1);
    assert_int_equal(fake.power, 0);
}

static void ids_below_send_count_take_their_routes(void **state)
{
    (void)state;
    assert_int_equal(send(ALPHA, 0), MOAT_OK);
    assert_int_equal(send(ALPHA, 1), MOAT_OK);
    assert_int_equal(core_subject(BETA)->pending, (1u << 3) | (1u << 4));
    assert_int_equal(fake.power, 0);
}

static void the_id_equal_to_send_count_is_refused(void **state)
{
    (void)state;
    assert_int_equal(send(ALPHA, 2), MOAT_ERR_BAD_ID);
    assert_no_effect();
}

static void a_subject_without_routes_refuses_id_0(void **state)
{
    (void)state;
    core_on_timer(START + 10u * 1000u); /* beta's frame */
    assert_int_equal(send(BETA, 0), MOAT_ERR_BAD_ID);
    assert_no_effect();
}

static void every_id_past_the_table_is_refused(void **state)
{
    (void)state;
    /* Also ids that equal a valid one in their low 8, 16 or 32 bits. */
    static const uint64_t wide[] = {
        0x100u, 0x101u, 0x10000u, 0x10001u, 0x100000000ull, 0x100000001ull,
        0x8000000000000000ull, UINT64_MAX, UINT64_MAX - 1u,
    };
    for (uint64_t id = 2; id < 1024u; id++) {
        assert_int_equal(send(ALPHA, id), MOAT_ERR_BAD_ID);
    }
    for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
        assert_int_equal(send(ALPHA, wide[i]), MOAT_ERR_BAD_ID);
    }
    core_on_timer(START + 10u * 1000u);
    for (uint64_t id = 0; id < 1024u; id++) {
        assert_int_equal(send(BETA, id), MOAT_ERR_BAD_ID);
    }
    for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
        assert_int_equal(send(BETA, wide[i]), MOAT_ERR_BAD_ID);
    }
    assert_no_effect();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(ids_below_send_count_take_their_routes, setup),
        cmocka_unit_test_setup(the_id_equal_to_send_count_is_refused, setup),
        cmocka_unit_test_setup(a_subject_without_routes_refuses_id_0, setup),
        cmocka_unit_test_setup(every_id_past_the_table_is_refused, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
