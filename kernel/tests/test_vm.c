/*
 * Host tests of the vendor-neutral VM part (kernel/core/vm.c) against the fake arch: the
 * TSC-kHz patch, console lines into the VM's channel, incoming events as vectors, the
 * guest's interrupt priorities, HLT, kernel calls by vmmcall, and the TSC-deadline timer
 * firing only in the VM's frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <libchannel.h>
#include <moat/abi/kcall.h>
#include <moat/log.h>

#include "../core/vm.h"
#include "blob.h"
#include "fake_arch.h"

#define P(offset) ((paddr_t)FAKE_MEM_BASE + (offset))
#define T(ticks) ((tsc_t)(ticks) * 1000u) /* 1 us ticks at the fake 1 GHz */
#define START 5000u

enum { GUEST = 0, PEER = 1 };
#define GUEST_RAM P(0x20000u)
#define PRISTINE  P(0x40000u)
#define PATCH     (PRISTINE + 0x100u)
#define CONSOLE   P(0x52000u)
#define CONSOLE_SIZE 0x2000u

static struct moat_vm vm = {
    .vmcb = P(0x50000u), .ram_size = 0x10000u, .console_phys = CONSOLE,
    .console_size = CONSOLE_SIZE, .tsc_khz_patch = PATCH,
    .vectors = {[0] = 0x40, [2] = 0x51},
};
static const struct moat_reset guest_resets[] = {
    {.dst = GUEST_RAM, .src = 0, .size = 0x10000u},
    {.dst = GUEST_RAM + 0x1000u, .src = PRISTINE, .size = 0x1000u},
};
static const struct moat_event_route guest_sends[] = {
    {.action = MOAT_ACTION_NOTIFY, .target = PEER, .target_event = 4},
};
static const struct blob_subject subjects[] = {
    {.name = "guest", .cpu = 0, .on_fault = MOAT_FAULT_RESTART, .sends = guest_sends,
     .send_count = 1, .resets = guest_resets, .reset_count = 2, .vm = &vm},
    {.name = "peer", .cpu = 0, .on_fault = MOAT_FAULT_STOP},
};
static const struct moat_frame frames[] = {{.subject = GUEST, .ticks = 10},
                                           {.subject = PEER, .ticks = 10}};
static const struct blob_plan plans[] = {
    {.name = "main", .major_ticks = 20, .cpus = {{.frames = frames, .frame_count = 2}}},
};
static const struct blob_system vm_system = {
    .name = "vm", .cpu_count = 1, .tick_ns = 1000, .klog_reader = MOAT_SUBJECT_IDLE,
    .subjects = subjects, .subject_count = 2, .plans = plans, .plan_count = 1,
};

static int vm_setup(void **state)
{
    (void)state;
    fake_reset();
    blob_load_or_fail(&vm_system);
    /* The pristine image, with the field moat-polc leaves blank. */
    memset(&fake.mem[PATCH - FAKE_MEM_BASE], ' ', MOAT_VM_TSC_DIGITS);
    assert_true(core_check_system());
    core_prepare_subjects();
    fake.now = START;
    struct core_next n = core_start(START);
    assert_int_equal(n.subject, GUEST);
    return 0;
}

#define VM_TEST(f) cmocka_unit_test_setup(f, vm_setup)

/* The console channel's records, joined: "text|" per record, "+" before | if continued. */
static void console_text(char *out, size_t size)
{
    struct channel_reader r;
    assert_int_equal(channel_reader_init(&r, &fake.mem[CONSOLE - FAKE_MEM_BASE], CONSOLE_SIZE,
                                         MOAT_LOG_PROTOCOL, sizeof(struct moat_log_record)),
                     0);
    size_t len = 0;
    struct moat_log_record rec;
    /* The loop condition reads rec.length before the first record arrives. */
    memset(&rec, 0, sizeof(rec));
    out[0] = '\0';
    for (enum channel_result res = channel_read(&r, &rec);
         res != CHANNEL_NO_DATA && res != CHANNEL_INACTIVE && len + rec.length + 3u < size;
         res = channel_read(&r, &rec)) {
        if (res != CHANNEL_SUCCESS) {
            continue; /* the first read synchronises to the writer */
        }
        memcpy(out + len, rec.text, rec.length);
        len += rec.length;
        if ((rec.flags & MOAT_LOG_CONTINUED) != 0u) {
            out[len++] = '+';
        }
        out[len++] = '|';
        out[len] = '\0';
    }
}

static void the_tsc_patch_is_left_aligned_digits_then_spaces(void **state)
{
    (void)state;
    /* 1,000,000 kHz: Linux reads a leading 0 as octal, so no zero padding. */
    assert_memory_equal(&fake.mem[PATCH - FAKE_MEM_BASE], "1000000   ", MOAT_VM_TSC_DIGITS);
    /* Written before the first reset step copied the image into guest RAM. */
    assert_memory_equal(&fake.mem[GUEST_RAM + 0x1100u - FAKE_MEM_BASE], "1000000   ",
                        MOAT_VM_TSC_DIGITS);
}

static void console_lines_become_records_of_the_vms_channel(void **state)
{
    (void)state;
    const char *text = "hi\r\n";
    for (size_t i = 0; text[i] != '\0'; i++) {
        vm_console_out(GUEST, (uint8_t)text[i]);
    }
    for (uint32_t i = 0; i < MOAT_LOG_TEXT_MAX + 3u; i++) {
        vm_console_out(GUEST, 'x');
    }
    vm_console_out(GUEST, '\n');
    char out[1024];
    console_text(out, sizeof(out));
    char want[1024];
    snprintf(want, sizeof(want), "hi|%.*s+|xxx|", (int)MOAT_LOG_TEXT_MAX,
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_string_equal(out, want);
}

static void a_restart_ends_the_line_its_guest_left_open(void **state)
{
    (void)state;
    vm_console_out(GUEST, 'a');
    vm_console_out(GUEST, 'b');
    vm_reset(GUEST);
    vm_console_out(GUEST, 'c');
    vm_console_out(GUEST, '\n');
    char out[256];
    console_text(out, sizeof(out));
    assert_string_equal(out, "ab|c|");
}

static void events_with_a_vector_become_requests_the_others_stay_pending(void **state)
{
    (void)state;
    event_raise(GUEST, 0);
    event_raise(GUEST, 1); /* no vector */
    assert_true(vm_enter(GUEST));
    assert_int_equal(vm_state(GUEST)->irr[1], 1ull << 0);
    assert_int_equal(core_subject(GUEST)->pending, 1u << 1);
    assert_int_equal(vm_irq_next(GUEST), 0x40);
}

static void the_timer_raises_its_routed_vector_and_none_when_masked(void **state)
{
    (void)state;
    vm_timer_route(GUEST, 0x41, true);
    event_raise(GUEST, VM_TIMER_EVENT);
    assert_true(vm_enter(GUEST));
    assert_int_equal(vm_irq_next(GUEST), 0);
    vm_timer_route(GUEST, 0x41, false);
    event_raise(GUEST, VM_TIMER_EVENT);
    assert_true(vm_enter(GUEST));
    assert_int_equal(vm_irq_next(GUEST), 0x41);
}

static void only_a_higher_priority_class_preempts_one_in_service(void **state)
{
    (void)state;
    vm_irq_request(GUEST, 0x41);
    vm_irq_request(GUEST, 0x45);
    vm_irq_request(GUEST, 31); /* an exception's number: never requested */
    assert_int_equal(vm_irq_next(GUEST), 0x45);
    vm_irq_injected(GUEST, 0x45);
    assert_int_equal(vm_irq_next(GUEST), 0); /* 0x41 is in 0x45's class */
    vm_irq_request(GUEST, 0x51);
    assert_int_equal(vm_irq_next(GUEST), 0x51);
    vm_irq_injected(GUEST, 0x51);
    vm_irq_eoi(GUEST); /* ends 0x51, the highest */
    assert_int_equal(vm_irq_next(GUEST), 0);
    vm_irq_eoi(GUEST);
    assert_int_equal(vm_irq_next(GUEST), 0x41);
}

static void hlt_waits_for_an_event_it_gets_as_an_interrupt(void **state)
{
    (void)state;
    fake.now = START + T(2);
    struct core_next n = vm_on_halt(fake.now, GUEST, true);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, START + T(10));
    assert_int_equal(core_subject(GUEST)->state, SUBJECT_HALTED);
    event_raise(GUEST, 1); /* no vector: not a wake-up */
    n = core_on_timer(START + T(3));
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    event_raise(GUEST, 2);
    n = core_on_timer(START + T(4));
    assert_int_equal(n.subject, GUEST);
    assert_true(vm_enter(GUEST));
    assert_int_equal(vm_irq_next(GUEST), 0x51);
    assert_int_equal(core_subject(GUEST)->pending, 1u << 1);
}

static void hlt_with_an_interrupt_waiting_goes_on(void **state)
{
    (void)state;
    event_raise(GUEST, 0);
    struct core_next n = vm_on_halt(START + T(1), GUEST, true);
    assert_int_equal(n.subject, GUEST);
    assert_int_equal(core_subject(GUEST)->state, SUBJECT_RUNNABLE);
}

static void hlt_with_interrupts_off_lasts_until_a_restart(void **state)
{
    (void)state;
    struct core_next n = vm_on_halt(START + T(1), GUEST, false);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    event_raise(GUEST, 0);
    n = core_on_timer(START + T(2));
    assert_int_equal(n.subject, GUEST); /* woken by the core ... */
    assert_false(vm_enter(GUEST));     /* ... but it stays halted */
    assert_int_equal(core_subject(GUEST)->state, SUBJECT_HALTED);
    vm_reset(GUEST);
    assert_true(vm_enter(GUEST));
}

static void vmmcall_sends_granted_events_and_refuses_the_rest(void **state)
{
    (void)state;
    int64_t result = 1;
    struct core_next n = vm_on_call(START + T(1), GUEST, MOAT_KCALL_EVENT_SEND, 0, &result);
    assert_int_equal(result, MOAT_OK);
    assert_int_equal(core_subject(PEER)->pending, 1u << 4);
    assert_int_equal(n.subject, GUEST);
    (void)vm_on_call(START + T(1), GUEST, MOAT_KCALL_EVENT_SEND, 1, &result);
    assert_int_equal(result, MOAT_ERR_BAD_ID);
    (void)vm_on_call(START + T(1), GUEST, MOAT_KCALL_EVENT_SEND, UINT64_MAX, &result);
    assert_int_equal(result, MOAT_ERR_BAD_ID);
    (void)vm_on_call(START + T(1), GUEST, MOAT_KCALL_EVENT_WAIT, 0, &result);
    assert_int_equal(result, MOAT_ERR_NO_CALL);
    (void)vm_on_call(START + T(1), GUEST, MOAT_KCALL_TIMER_SET, 0, &result);
    assert_int_equal(result, MOAT_ERR_NO_CALL);
    n = vm_on_call(START + T(1), GUEST, MOAT_KCALL_YIELD, 0, &result);
    assert_int_equal(result, MOAT_OK);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE); /* the rest of its frame idles */
    assert_int_equal(n.deadline, START + T(10));
}

/* Events without a vector are polled by vmmcall, lowest first; those with one (and the
 * timer's) are never handed out by a poll: they arrive as interrupts. */
static void vmmcall_polls_the_events_without_a_vector(void **state)
{
    (void)state;
    int64_t result = 0;
    (void)vm_on_call(START + T(1), GUEST, MOAT_KCALL_EVENT_POLL, 0, &result);
    assert_int_equal(result, MOAT_ERR_NONE_PENDING);
    event_raise(GUEST, 0); /* vector 0x40 */
    event_raise(GUEST, 2); /* vector 0x51 */
    event_raise(GUEST, 63); /* the timer's */
    (void)vm_on_call(START + T(1), GUEST, MOAT_KCALL_EVENT_POLL, 0, &result);
    assert_int_equal(result, MOAT_ERR_NONE_PENDING);
    event_raise(GUEST, 5);
    event_raise(GUEST, 1);
    struct core_next n = vm_on_call(START + T(1), GUEST, MOAT_KCALL_EVENT_POLL, 0, &result);
    assert_int_equal(result, 1);
    assert_int_equal(n.subject, GUEST);
    (void)vm_on_call(START + T(1), GUEST, MOAT_KCALL_EVENT_POLL, 0, &result);
    assert_int_equal(result, 5);
    (void)vm_on_call(START + T(1), GUEST, MOAT_KCALL_EVENT_POLL, 0, &result);
    assert_int_equal(result, MOAT_ERR_NONE_PENDING);
    assert_int_equal(core_subject(GUEST)->pending, (1ull << 0) | (1ull << 2) | (1ull << 63));
}

static void the_timer_fires_only_in_the_vms_own_frames(void **state)
{
    (void)state;
    vm_timer_route(GUEST, 0x41, false);
    /* A deadline in the peer's frame: nothing arms the timer for it there. */
    vm_timer_set(GUEST, START + T(12));
    assert_int_equal(vm_timer_get(GUEST), START + T(12));
    struct core_next n = core_on_timer(START + T(10));
    assert_int_equal(n.subject, PEER);
    assert_int_equal(n.deadline, START + T(20));
    n = core_on_timer(START + T(13));
    assert_int_equal(n.subject, PEER);
    assert_int_equal(core_subject(GUEST)->pending, 0);
    /* Its next frame: it fires at once. */
    n = core_on_timer(START + T(20));
    assert_int_equal(n.subject, GUEST);
    assert_int_equal(core_subject(GUEST)->pending, 1ull << VM_TIMER_EVENT);
    assert_int_equal(vm_timer_get(GUEST), 0);
    /* Within its frame, the deadline arms the timer. */
    vm_timer_set(GUEST, START + T(25));
    n = sched_resume(START + T(21), GUEST);
    assert_int_equal(n.deadline, START + T(25));
}

/* Mutation campaign (docs/architecture.md, Tests): the corners the tests above missed. */
static void vectors_32_to_255_are_requested_and_exception_numbers_never(void **state)
{
    (void)state;
    vm_irq_request(GUEST, 31);
    assert_int_equal(vm_irq_next(GUEST), 0);
    vm_irq_request(GUEST, 32); /* the lowest, in the first word of the map */
    assert_int_equal(vm_irq_next(GUEST), 32);
    vm_irq_request(GUEST, 255);
    assert_int_equal(vm_irq_next(GUEST), 255);
}

static void a_higher_vector_of_the_class_in_service_waits_for_its_eoi(void **state)
{
    (void)state;
    vm_irq_request(GUEST, 0x41);
    vm_irq_injected(GUEST, 0x41);
    vm_irq_request(GUEST, 0x45); /* higher, but in 0x41's class of 16 */
    assert_int_equal(vm_irq_next(GUEST), 0);
    vm_irq_eoi(GUEST);
    assert_int_equal(vm_irq_next(GUEST), 0x45);
}

static void a_restart_forgets_requested_and_in_service_vectors(void **state)
{
    (void)state;
    vm_irq_request(GUEST, 0x45);
    vm_irq_injected(GUEST, 0x45);
    vm_irq_request(GUEST, 0x51);
    vm_reset(GUEST);
    assert_int_equal(vm_irq_next(GUEST), 0); /* 0x51 was the old life's */
    vm_irq_request(GUEST, 0x41);
    assert_int_equal(vm_irq_next(GUEST), 0x41); /* 0x45 is no longer in service */
}

static void hlt_with_interrupts_off_stays_halted_with_an_interrupt_waiting(void **state)
{
    (void)state;
    event_raise(GUEST, 0);
    struct core_next n = vm_on_halt(START + T(1), GUEST, false);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(core_subject(GUEST)->state, SUBJECT_HALTED);
    assert_false(vm_enter(GUEST));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        VM_TEST(the_tsc_patch_is_left_aligned_digits_then_spaces),
        VM_TEST(console_lines_become_records_of_the_vms_channel),
        VM_TEST(a_restart_ends_the_line_its_guest_left_open),
        VM_TEST(events_with_a_vector_become_requests_the_others_stay_pending),
        VM_TEST(the_timer_raises_its_routed_vector_and_none_when_masked),
        VM_TEST(only_a_higher_priority_class_preempts_one_in_service),
        VM_TEST(hlt_waits_for_an_event_it_gets_as_an_interrupt),
        VM_TEST(hlt_with_an_interrupt_waiting_goes_on),
        VM_TEST(hlt_with_interrupts_off_lasts_until_a_restart),
        VM_TEST(vmmcall_sends_granted_events_and_refuses_the_rest),
        VM_TEST(vmmcall_polls_the_events_without_a_vector),
        VM_TEST(the_timer_fires_only_in_the_vms_own_frames),
        VM_TEST(vectors_32_to_255_are_requested_and_exception_numbers_never),
        VM_TEST(a_higher_vector_of_the_class_in_service_waits_for_its_eoi),
        VM_TEST(a_restart_forgets_requested_and_in_service_vectors),
        VM_TEST(hlt_with_interrupts_off_stays_halted_with_an_interrupt_waiting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
