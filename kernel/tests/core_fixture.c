/*
 * The core tests' system (see core_fixture.h), as a blob description.
 */
#include "core_fixture.h"

static const struct moat_event_route alpha_sends[] = {
    {.action = MOAT_ACTION_NOTIFY, .target = BETA, .target_event = 3},
    {.action = MOAT_ACTION_POWEROFF},
    {.action = MOAT_ACTION_SWITCH_PLAN, .plan = 1},
    {.action = MOAT_ACTION_STOP, .target = GAMMA},
    {.action = MOAT_ACTION_UNMASK_IRQ, .irq = 5},
    {.action = MOAT_ACTION_RESTART, .target = BETA},
    {.action = MOAT_ACTION_RESTART, .target = GAMMA},
};
static const struct moat_event_route beta_sends[] = {
    {.action = MOAT_ACTION_NOTIFY, .target = ALPHA, .target_event = ALPHA_NOTIFY},
};
static const struct moat_reset alpha_resets[] = {
    {.dst = FAKE_MEM_BASE + 0x200u, .src = FAKE_MEM_BASE + 0x100u, .size = 16},
    {.dst = FAKE_MEM_BASE + 0x300u, .src = 0, .size = 16},
};
static const struct moat_reset gamma_resets[] = {
    {.dst = FAKE_MEM_BASE + GAMMA_RESET_BASE, .src = 0, .size = GAMMA_RESET_SIZE},
};
static const struct blob_subject subjects[] = {
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
static const struct blob_plan plans[] = {
    {.name = "main", .major_ticks = 40, .cpus = {{.frame_count = 4, .frames = main_frames}}},
    {.name = "other", .major_ticks = 40, .cpus = {{.frame_count = 1, .frames = other_frames}}},
};
static const struct moat_irq_route irqs[] = {
    {.line = 5, .event = 9, .subject = GAMMA},
};
/* Two regions, so that a refusal names the first one ([0, 0x10000)) alone. */
static const struct moat_ram_range regions[] = {
    {.base = FAKE_MEM_BASE, .size = 0x10000u},
    {.base = FAKE_MEM_BASE + 0x10000u, .size = FAKE_MEM_SIZE - 0x10000u},
};

const struct blob_system fixture_system = {
    .name = "unit",
    .cpu_count = 1,
    .tick_ns = 1000,
    .subjects = subjects,
    .subject_count = 3,
    .plans = plans,
    .plan_count = 2,
    .irqs = irqs,
    .irq_count = 1,
    .regions = regions,
    .region_count = 2,
    .audit_phys = FAKE_MEM_BASE + 0x8000u,
    .audit_size = 0x8000u,
    .klog_phys = {FAKE_MEM_BASE + 0x4000u},
    .klog_size = 0x2000u,
    .klog_reader = MOAT_SUBJECT_IDLE, /* power actions at once (test_klog.c: with a reader) */
};

jmp_buf power_jump;

int fixture_setup(void **state)
{
    (void)state;
    fake_reset();
    fake.power_jump = &power_jump;
    blob_load_or_fail(&fixture_system);
    return 0;
}
