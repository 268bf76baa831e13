/*
 * Host tests of the kernel log (print.c, audit.c): once the plan runs, kernel lines go
 * whole into the CPU's kernel log channel and never to the console; the channel never
 * makes the kernel wait; panics still print on the console; power actions wait for the
 * kernel log's reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <libchannel.h>
#include <moat/abi/audit.h>
#include <moat/abi/kcall.h>
#include <moat/log.h>

#include "blob.h"
#include "fake_arch.h"

#define T(ticks) ((tsc_t)(ticks) * 1000u)
#define START 5000u
#define KLOG_PHYS (FAKE_MEM_BASE + 0x4000u)
#define KLOG_SIZE 0x1000u /* 31 records */

enum { ALPHA = 0, READER = 1, GAMMA = 2 };

static const struct moat_event_route alpha_sends[] = {
    {.action = MOAT_ACTION_POWEROFF},
    {.action = MOAT_ACTION_REBOOT},
};
static const struct blob_subject subjects[] = {
    {.name = "alpha", .on_fault = MOAT_FAULT_RESTART, .send_count = 2, .sends = alpha_sends},
    {.name = "reader", .on_fault = MOAT_FAULT_STOP, .send_count = 2, .sends = alpha_sends},
    {.name = "gamma", .on_fault = MOAT_FAULT_STOP},
};
static const struct moat_frame frames[] = {
    {.subject = ALPHA, .ticks = 10},
    {.subject = READER, .ticks = 10},
    {.subject = GAMMA, .ticks = 10},
};
static const struct blob_plan plans[] = {
    {.name = "main", .major_ticks = 30, .cpus = {{.frame_count = 3, .frames = frames}}},
};

static const struct blob_system klog_system = {
    .name = "klog",
    .cpu_count = 1,
    .tick_ns = 1000,
    .subjects = subjects,
    .subject_count = 3,
    .plans = plans,
    .plan_count = 1,
    .audit_phys = FAKE_MEM_BASE + 0x8000u,
    .audit_size = 0x8000u,
    .klog_phys = {KLOG_PHYS},
    .klog_size = KLOG_SIZE,
    .klog_reader = READER,
};

static jmp_buf power_jump;

static int setup(void **state)
{
    (void)state;
    fake_reset();
    fake.power_jump = &power_jump;
    blob_load_or_fail(&klog_system);
    return 0;
}

static void boot(void)
{
    assert_true(core_check_system());
    core_prepare_subjects();
    fake.now = START;
    core_start(START);
}

static void fault(subject_id_t who)
{
    struct arch_fault f = {.vector = 6, .ip = 0x401000, .regs = {0x1234}};
    core_on_fault(fake.now, who, &f);
}

static struct channel_reader klog_reader(void)
{
    struct channel_reader r;
    assert_int_equal(channel_reader_init(&r, &fake.mem[KLOG_PHYS - FAKE_MEM_BASE], KLOG_SIZE,
                                         MOAT_LOG_PROTOCOL, sizeof(struct moat_log_record)),
                     0);
    return r;
}

static void boot_lines_go_to_the_console(void **state)
{
    (void)state;
    assert_true(core_check_system());
    assert_true(fake_console_has("system klog: 3 subjects"));
    assert_false(fake_log_has("system klog"));
}

static void after_the_plan_starts_kernel_lines_go_to_the_kernel_log_never_the_console(void **state)
{
    (void)state;
    boot();
    size_t console = fake.console_len;
    fault(ALPHA);
    assert_int_equal(fake.console_len, console);
    assert_true(fake_log_has("audit 1 begin\naudit 1 kind fault\naudit 1 subject alpha\n"));
    assert_true(fake_log_has("audit 1 vector 6 #UD\naudit 1 error 0x0\naudit 1 ip 0x401000\n"));
    assert_true(fake_log_has("audit 1 action restart\naudit 1 end\nsubject alpha restarted (1)\n"));
    /* The summary leaves the registers to the audit region. */
    assert_false(fake_log_has("r0"));
    struct moat_audit_record r;
    memcpy(&r, &fake.mem[0x8000 + sizeof(struct moat_audit_header)], sizeof(r));
    assert_int_equal(r.regs[0], 0x1234);
}

static void every_line_is_published_whole_in_one_batch(void **state)
{
    (void)state;
    boot();
    struct channel_reader r = klog_reader();
    struct moat_log_record rec;
    assert_int_equal(channel_read(&r, &rec), CHANNEL_EPOCH_CHANGED);
    char part[201];
    memset(part, 'x', 200);
    part[200] = '\0';
    print_str(part);
    print_str(part);
    /* Nothing of an unfinished line is visible (it fits the 4 records of a batch). */
    assert_int_equal(channel_read(&r, &rec), CHANNEL_NO_DATA);
    print_nl();
    uint64_t lengths[4] = {0};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(channel_read(&r, &rec), CHANNEL_SUCCESS);
        lengths[i] = rec.length;
        assert_int_equal(rec.flags, i < 3 ? MOAT_LOG_CONTINUED : 0);
    }
    assert_int_equal(lengths[0] + lengths[1] + lengths[2] + lengths[3], 400);
    assert_int_equal(channel_read(&r, &rec), CHANNEL_NO_DATA);
}

/* A line longer than a batch goes out in parts: every record but the line's last says
 * the line goes on, also the last one of a part. */
static void a_line_longer_than_a_batch_continues_across_batches(void **state)
{
    (void)state;
    boot();
    struct channel_reader r = klog_reader();
    struct moat_log_record rec;
    assert_int_equal(channel_read(&r, &rec), CHANNEL_EPOCH_CHANGED);
    char part[201];
    memset(part, 'y', 200);
    part[200] = '\0';
    for (int i = 0; i < 4; i++) {
        print_str(part);
    }
    print_nl();
    uint64_t total = 0;
    int records = 0;
    while (channel_read(&r, &rec) == CHANNEL_SUCCESS) {
        total += rec.length;
        records++;
        assert_int_equal(rec.flags, total < 800 ? MOAT_LOG_CONTINUED : 0);
    }
    assert_int_equal(total, 800);
    assert_true(records > (int)MOAT_LOG_RECORD_MAX);
}

static void a_full_kernel_log_is_overwritten_and_its_reader_counts_the_loss(void **state)
{
    (void)state;
    boot();
    struct channel_reader r = klog_reader();
    struct moat_log_record rec;
    assert_int_equal(channel_read(&r, &rec), CHANNEL_EPOCH_CHANGED);
    /* 20 audits of 10 lines and 20 notices: far more than the 31 records the ring holds. */
    for (int i = 0; i < 20; i++) {
        fault(ALPHA);
    }
    assert_int_equal(fake.console_len, strlen(fake.console));
    assert_false(fake_console_has("audit 20"));
    assert_int_equal(channel_read(&r, &rec), CHANNEL_OVERRUN);
    assert_true(channel_lost(&r) > 150u);
    assert_true(fake_log_has("audit 20 end\nsubject alpha restarted (20)\n"));
}

static void a_panic_after_the_plan_started_is_printed_in_full_on_the_console(void **state)
{
    (void)state;
    boot();
    print_str("half a line");
    size_t before = fake.console_len;
    struct arch_fault f = {.vector = 6, .ip = 0x101234, .regs = {0x55}};
    if (setjmp(power_jump) == 0) {
        core_panic_fault("exception in the kernel, error code", &f);
    }
    assert_int_equal(fake.power, 2);
    /* The panic starts a line of its own on the console, whatever was on it: the log
     * server may have been in the middle of one. */
    assert_memory_equal(fake.console + before, "\nPANIC: ", 8);
    assert_true(fake_console_has("\nPANIC: exception in the kernel, error code 0x0\n"));
    assert_true(fake_console_has("audit 1 kind panic\naudit 1 subject kernel\n"));
    assert_true(fake_console_has("audit 1 r0 0x55\naudit 1 end\n"));
    assert_false(fake_log_has("PANIC"));
}

static volatile int reader_yields;
static volatile int power_step;

static void a_poweroff_waits_until_the_kernel_log_reader_yielded_twice(void **state)
{
    (void)state;
    reader_yields = 0;
    boot();
    fake.now = START + T(1);
    if (setjmp(power_jump) == 0) {
        /* The request does not return: alpha's frame idles from now on. */
        struct core_next n = core_on_kcall(fake.now, ALPHA, MOAT_KCALL_EVENT_SEND, 0, 0);
        assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
        assert_false(fake.result_set[ALPHA]);
        assert_true(fake_log_has("poweroff: requested by alpha\n"));
        assert_false(fake_log_has("stopped"));
        /* Yields of other subjects do not count. */
        core_on_kcall(fake.now, GAMMA, MOAT_KCALL_YIELD, 0, 0);
        core_on_kcall(fake.now, GAMMA, MOAT_KCALL_YIELD, 0, 0);
        assert_int_equal(fake.power, 0);
        fake.now = START + T(11);
        core_on_timer(fake.now);
        for (reader_yields = 1; reader_yields <= 5; reader_yields++) {
            core_on_kcall(fake.now, READER, MOAT_KCALL_YIELD, 0, 0);
        }
        fail();
    }
    assert_int_equal(fake.power, 1);
    assert_int_equal(reader_yields, 2); /* the power action came with the second */
}

static void a_poweroff_the_reader_never_answers_happens_after_a_second(void **state)
{
    (void)state;
    power_step = 0;
    boot();
    fake.now = START + T(1);
    if (setjmp(power_jump) == 0) {
        core_on_kcall(fake.now, READER, MOAT_KCALL_EVENT_SEND, 0, 0);
        assert_true(fake_log_has("poweroff: requested by reader\n"));
        /* The reader itself goes on (to print); a later request does not replace the first. */
        assert_int_equal(core_subject(READER)->state, SUBJECT_RUNNABLE);
        core_on_kcall(fake.now, READER, MOAT_KCALL_EVENT_SEND, 1, 0);
        power_step = 1;
        core_on_timer(START + T(1) + 999u * 1000000u);
        power_step = 2;
        core_on_timer(START + T(1) + 1000u * 1000000u);
        fail();
    }
    assert_int_equal(fake.power, 1);
    assert_int_equal(power_step, 2); /* not before 1 s */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(boot_lines_go_to_the_console, setup),
        cmocka_unit_test_setup(
            after_the_plan_starts_kernel_lines_go_to_the_kernel_log_never_the_console, setup),
        cmocka_unit_test_setup(every_line_is_published_whole_in_one_batch, setup),
        cmocka_unit_test_setup(a_line_longer_than_a_batch_continues_across_batches, setup),
        cmocka_unit_test_setup(a_full_kernel_log_is_overwritten_and_its_reader_counts_the_loss,
                               setup),
        cmocka_unit_test_setup(a_panic_after_the_plan_started_is_printed_in_full_on_the_console,
                               setup),
        cmocka_unit_test_setup(a_poweroff_waits_until_the_kernel_log_reader_yielded_twice, setup),
        cmocka_unit_test_setup(a_poweroff_the_reader_never_answers_happens_after_a_second, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
