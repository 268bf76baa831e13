/*
 * Host tests of the boot checks against the machine and of panics, against the fake arch
 * (core_fixture.h): RAM the firmware map lacks or the kernel cannot reach refuses the
 * start; subject state lives in the policy's state region, one slot each; a panic
 * writes its audit record and powers off with failure.
 */
#include <moat/abi/audit.h>

#include "core_fixture.h"

static void missing_ram_refuses_to_start(void **state)
{
    (void)state;
    fake.ram_size = 0x100000u; /* ends below the policy region */
    assert_false(core_check_system());
    /* No "usable RAM" verdict; the arch then prints "refusing to start subjects". */
    assert_false(fake_console_has("policy regions are usable RAM"));
    assert_true(fake_console_has("memory: [0x1000000, 0x1010000) (policy region)"));
}

static void ram_the_kernel_cannot_reach_refuses_to_start(void **state)
{
    (void)state;
    fake.reachable_end = FAKE_MEM_BASE + 0x1000u; /* the policy region reaches beyond */
    assert_false(core_check_system());
    assert_true(fake_console_has(
        "memory: [0x1000000, 0x1010000) (policy region) is beyond the physical memory"));
    /* No "usable RAM" verdict; the arch then prints "refusing to start subjects". */
    assert_false(fake_console_has("policy regions are usable RAM"));
}

/* Subject n's state is slot n of the region the policy placed, zeroed at boot, and the
 * core's events land there: a notify to beta sets beta's slot's pending bit only. */
static void subject_state_lives_in_its_slot_of_the_policy_state_region(void **state)
{
    (void)state;
    paddr_t base = tables->state_phys;
    assert_int_equal(tables->state_size, 3u * MOAT_SUBJECT_STATE_SIZE);
    assert_int_equal(fake.mem[base - FAKE_MEM_BASE + 8u], 0xa5); /* garbage before boot */
    boot();
    for (subject_id_t id = ALPHA; id <= GAMMA; id++) {
        uint8_t *slot = &fake.mem[base - FAKE_MEM_BASE + id * MOAT_SUBJECT_STATE_SIZE];
        assert_ptr_equal(core_subject(id), slot);
        assert_int_equal(slot[MOAT_SUBJECT_STATE_SIZE - 1u], 0); /* the whole slot zeroed */
    }
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, 0, 0); /* notify beta's incoming 3 */
    uint64_t pending[3];
    for (subject_id_t id = ALPHA; id <= GAMMA; id++) {
        memcpy(&pending[id],
               &fake.mem[base - FAKE_MEM_BASE + id * MOAT_SUBJECT_STATE_SIZE +
                         offsetof(struct core_subject, pending)],
               sizeof(pending[id]));
    }
    assert_int_equal(pending[ALPHA], 0);
    assert_int_equal(pending[BETA], 1u << 3);
    assert_int_equal(pending[GAMMA], 0);
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

static void panic_writes_an_audit_record_and_powers_off_with_failure(void **state)
{
    (void)state;
    boot();
    if (setjmp(power_jump) == 0) {
        core_panic("test", 7);
    }
    assert_int_equal(fake.power, 2);
    assert_true(fake_console_has("PANIC: test 7\n"));
    assert_true(fake_console_has("audit 1 kind panic\naudit 1 subject kernel\n"));
}

/* A count or id reads as a number, an address or magic as hex. */
static void a_panic_prints_a_count_in_decimal(void **state)
{
    (void)state;
    boot();
    if (setjmp(power_jump) == 0) {
        core_panic("a CPU did not start, cpu", 12);
    }
    assert_true(fake_console_has("PANIC: a CPU did not start, cpu 12\n"));
}

static void a_panic_prints_an_address_in_hex(void **state)
{
    (void)state;
    boot();
    if (setjmp(power_jump) == 0) {
        core_panic_hex("unknown boot protocol, magic", 0x2badb002u);
    }
    assert_true(fake_console_has("PANIC: unknown boot protocol, magic 0x2badb002\n"));
}

/* A panic at boot before the tables are checked (the arch's: unknown boot protocol, timer
 * calibration) prints its record but writes none to the audit region, and reads nothing
 * of the tables, which are NULL then (or not yet checked). */
static void a_panic_before_the_boot_check_writes_no_audit_record(void **state)
{
    (void)state;
    paddr_t audit = tables->audit_phys;
    uint8_t before[sizeof(struct moat_audit_header) + sizeof(struct moat_audit_record)];
    memcpy(before, &fake.mem[audit - FAKE_MEM_BASE], sizeof(before));
    tables = NULL;
    if (setjmp(power_jump) == 0) {
        core_panic("PIT calibration timed out", 0);
    }
    assert_int_equal(fake.power, 2);
    assert_true(fake_console_has("PANIC: PIT calibration timed out 0\n"));
    assert_true(fake_console_has("audit 1 kind panic\naudit 1 subject kernel\n"));
    assert_memory_equal(&fake.mem[audit - FAKE_MEM_BASE], before, sizeof(before));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(missing_ram_refuses_to_start, fixture_setup),
        cmocka_unit_test_setup(a_panic_before_the_boot_check_writes_no_audit_record,
                               fixture_setup),
        cmocka_unit_test_setup(ram_the_kernel_cannot_reach_refuses_to_start, fixture_setup),
        cmocka_unit_test_setup(subject_state_lives_in_its_slot_of_the_policy_state_region,
                               fixture_setup),
        cmocka_unit_test_setup(kernel_fault_panic_records_the_cpu_state, fixture_setup),
        cmocka_unit_test_setup(a_panic_prints_a_count_in_decimal, fixture_setup),
        cmocka_unit_test_setup(a_panic_prints_an_address_in_hex, fixture_setup),
        cmocka_unit_test_setup(panic_writes_an_audit_record_and_powers_off_with_failure,
                               fixture_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
