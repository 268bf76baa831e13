/*
 * The valid system of the tables_check tests (check_fixture.h), and how they assert a
 * refusal.
 */
#include "check_fixture.h"

static const struct moat_event_route alpha_sends[] = {
    {.action = MOAT_ACTION_NOTIFY, .target = BETA, .target_event = MOAT_MAX_EVENTS - 1u},
    {.action = MOAT_ACTION_SWITCH_PLAN, .plan = 1},
    {.action = MOAT_ACTION_UNMASK_IRQ, .irq = MOAT_MAX_IRQS - 1u},
    {.action = MOAT_ACTION_RESTART, .target = GAMMA},
    {.action = MOAT_ACTION_STOP, .target = GAMMA},
    {.action = MOAT_ACTION_POWEROFF},
    {.action = MOAT_ACTION_REBOOT},
};
static const struct moat_event_route beta_sends[] = {
    {.action = MOAT_ACTION_NOTIFY, .target = ALPHA, .target_event = 1},
};
static const struct moat_reset alpha_resets[] = {
    {.dst = P(0x11000u), .src = P(0x10000u), .size = 0x100u},
    {.dst = AUDIT_PHYS - 0x100u, .src = 0, .size = 0x100u}, /* ends where the audit starts */
};
/* gamma uses the most routes and reset steps a subject may have. */
static struct moat_event_route gamma_sends[MOAT_MAX_EVENTS];
static struct moat_reset gamma_resets[MOAT_MAX_RESETS];
static uint8_t io_bitmap[MOAT_IO_BITMAP_SIZE];

static const struct blob_subject subjects[] = {
    {.name = "alpha", .cpu = 0, .on_fault = MOAT_FAULT_RESTART, .sends = alpha_sends,
     .send_count = 7, .resets = alpha_resets, .reset_count = 2, .io_bitmap = io_bitmap,
     .pml4 = ALPHA_PML4, .sinfo_phys = ALPHA_SINFO},
    {.name = "beta", .cpu = 1, .on_fault = MOAT_FAULT_STOP, .sends = beta_sends,
     .send_count = 1, .io_bitmap = io_bitmap},
    {.name = "gamma", .cpu = 1, .on_fault = MOAT_FAULT_RESTART, .sends = gamma_sends,
     .send_count = MOAT_MAX_EVENTS, .resets = gamma_resets, .reset_count = MOAT_MAX_RESETS,
     .pml4 = GAMMA_PML4},
};
static const struct moat_frame main_cpu0[] = {{.subject = ALPHA, .ticks = 10}};
static const struct moat_frame main_cpu1[] = {
    {.subject = BETA, .ticks = 5},
    {.subject = GAMMA, .ticks = 4},
    {.subject = MOAT_SUBJECT_IDLE, .ticks = 1},
};
static const struct moat_frame other_cpu0[] = {{.subject = MOAT_SUBJECT_IDLE, .ticks = 10}};
static const struct moat_frame other_cpu1[] = {{.subject = GAMMA, .ticks = 10}};
static const struct blob_plan plans[] = {
    {.name = "main", .major_ticks = 10,
     .cpus = {{.frames = main_cpu0, .frame_count = 1}, {.frames = main_cpu1, .frame_count = 3}}},
    {.name = "other", .major_ticks = 10,
     .cpus = {{.frames = other_cpu0, .frame_count = 1}, {.frames = other_cpu1, .frame_count = 1}}},
};
static const struct moat_irq_route irqs[] = {
    {.line = 0, .event = 0, .subject = ALPHA},
    {.line = MOAT_MAX_IRQS - 1u, .event = MOAT_MAX_EVENTS - 1u, .subject = BETA},
};
/* Adjacent, the first one right at the kernel's end. */
static const struct moat_ram_range regions[] = {
    {.base = P(0), .size = REGION0_SIZE},
    {.base = P(REGION0_SIZE), .size = FAKE_MEM_SIZE - REGION0_SIZE},
};
static const struct blob_system check_system = {
    .name = "check",
    .cpu_count = 2,
    .tick_ns = 1000,
    .initial_plan = 1,
    .klog_reader = GAMMA,
    .subjects = subjects,
    .subject_count = SUBJECTS,
    .plans = plans,
    .plan_count = 2,
    .irqs = irqs,
    .irq_count = 2,
    .regions = regions,
    .region_count = 2,
    .audit_phys = AUDIT_PHYS,
    .audit_size = AUDIT_SIZE,
    .klog_phys = {KLOG0_PHYS, KLOG1_PHYS},
    .klog_size = KLOG_SIZE,
};

int check_setup(void **state)
{
    (void)state;
    fake_reset();
    for (uint32_t e = 0; e < MOAT_MAX_EVENTS; e++) {
        gamma_sends[e] = (struct moat_event_route){
            .action = MOAT_ACTION_NOTIFY, .target = ALPHA, .target_event = (uint8_t)e};
    }
    for (uint32_t r = 0; r < MOAT_MAX_RESETS; r++) {
        gamma_resets[r] = (struct moat_reset){.dst = P(0x13000u + r * 0x100u), .size = 0x100u};
    }
    blob_build(&check_system);
    return 0;
}

void assert_refused_at(const void *blob, uint64_t capacity, const char *why)
{
    fake.console_len = 0;
    fake.console[0] = '\0';
    assert_false(tables_check(blob, capacity));
    assert_null(tables);
    if (!fake_console_has(why)) {
        fail_msg("expected \"%s\", the kernel printed \"%s\"", why, fake.console);
    }
    assert_int_equal(fake.console_len, strlen(fake.console));
    assert_non_null(strchr(fake.console, '\n'));
    assert_null(strchr(strchr(fake.console, '\n') + 1, '\n'));
}

void assert_refused(const char *why)
{
    blob_seal();
    assert_refused_at(blob_buffer, BLOB_CAPACITY, why);
}
