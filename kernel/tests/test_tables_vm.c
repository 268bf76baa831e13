/*
 * Host tests of the boot check of VM subjects (kernel/core/tables_vm.c and the kind check
 * in tables.c): a system of one VM and one native subject, valid at every limit, and one
 * refusal per rule with the line that names the record.
 */
#include "check_fixture.h"

#include "../core/vm.h"

enum { GUEST = 0, NATIVE = 1 };

#define GUEST_RAM     P(0x20000u)
#define GUEST_RAM_SIZE 0x10000u
#define PRISTINE      P(0x40000u)
#define PRISTINE_SIZE 0x1000u
#define PATCH         (PRISTINE + PRISTINE_SIZE - MOAT_VM_TSC_DIGITS) /* ends with it */
#define VMCB          P(0x50000u)
#define CONSOLE       P(0x52000u)
#define CONSOLE_SIZE  0x2000u
#define VM_KLOG       P(0x4000u)

static struct moat_vm vm;
static const struct moat_reset guest_resets[] = {
    {.dst = GUEST_RAM, .src = 0, .size = GUEST_RAM_SIZE},
    {.dst = GUEST_RAM + 0x1000u, .src = PRISTINE, .size = PRISTINE_SIZE},
};
static const struct moat_event_route guest_sends[] = {
    {.action = MOAT_ACTION_NOTIFY, .target = NATIVE, .target_event = 0},
};
static const struct blob_subject vm_subjects[] = {
    {.name = "guest", .cpu = 0, .on_fault = MOAT_FAULT_RESTART, .sends = guest_sends,
     .send_count = 1, .resets = guest_resets, .reset_count = 2, .entry = 0xffffffffu,
     .vm = &vm},
    {.name = "native", .cpu = 0, .on_fault = MOAT_FAULT_STOP},
};
static const struct moat_frame vm_frames[] = {{.subject = GUEST, .ticks = 5},
                                              {.subject = NATIVE, .ticks = 5}};
static const struct blob_plan vm_plans[] = {
    {.name = "main", .major_ticks = 10, .cpus = {{.frames = vm_frames, .frame_count = 2}}},
};
static const struct blob_system vm_system = {
    .name = "vms",
    .cpu_count = 1,
    .tick_ns = 1000,
    .klog_reader = NATIVE,
    .subjects = vm_subjects,
    .subject_count = 2,
    .plans = vm_plans,
    .plan_count = 1,
    .klog_phys = {VM_KLOG},
    .klog_size = 0x2000u,
};

static struct moat_vm *vm_record(void)
{
    return blob_record(hdr()->vms, sizeof(struct moat_vm), 0);
}

static int vm_setup(void **state)
{
    (void)state;
    fake_reset();
    vm = (struct moat_vm){.vmcb = VMCB, .boot_rsi = 0xffffffffu, .ram_size = GUEST_RAM_SIZE,
                          .console_phys = CONSOLE, .console_size = CONSOLE_SIZE,
                          .tsc_khz_patch = PATCH};
    vm.vectors[0] = 32;
    vm.vectors[MOAT_MAX_EVENTS - 2u] = 255; /* 63 is the timer's */
    blob_build(&vm_system);
    return 0;
}

#define VM_TEST(f) cmocka_unit_test_setup(f, vm_setup)

static void accepts_a_vm_at_every_limit(void **state)
{
    (void)state;
    blob_seal();
    if (!tables_check(blob_buffer, BLOB_CAPACITY)) {
        fail_msg("refused: %s", fake.console);
    }
    assert_int_equal(tables_subject(GUEST)->kind, MOAT_SUBJECT_VM);
    assert_int_equal(tables_vm(tables_subject(GUEST))->vmcb, VMCB);
}

static void refuses_an_unknown_kind(void **state)
{
    (void)state;
    subject(NATIVE)->kind = 2;
    assert_refused("tables: subject 1 (native): bad kind: 2, vm 4294967295");
}

static void refuses_a_native_subject_with_a_vm(void **state)
{
    (void)state;
    subject(NATIVE)->vm = 0;
    assert_refused("tables: subject 1 (native): bad kind: 0, vm 0");
}

static void refuses_a_vm_index_past_the_vms(void **state)
{
    (void)state;
    subject(GUEST)->vm = 1;
    assert_refused("tables: subject 0 (guest): bad vm: 1, vms 1");
}

static void refuses_a_vm_two_subjects_use(void **state)
{
    (void)state;
    subject(NATIVE)->kind = MOAT_SUBJECT_VM;
    subject(NATIVE)->vm = 0;
    assert_refused("tables: subject 1 (native): vm used by two subjects: 0");
}

static void refuses_a_vm_no_subject_uses(void **state)
{
    (void)state;
    subject(GUEST)->kind = MOAT_SUBJECT_NATIVE;
    subject(GUEST)->vm = MOAT_TABLES_NONE;
    assert_refused("tables: vms: a vm no subject uses, used mask: 0x0");
}

static void refuses_more_vms_than_the_limit(void **state)
{
    (void)state;
    hdr()->vms.count = MOAT_MAX_VMS + 1u;
    hdr()->size += (MOAT_MAX_VMS + 1u) * sizeof(struct moat_vm); /* inside the blob */
    assert_refused("tables: vms: too many: 17, at most 16");
}

static void refuses_a_vm_with_an_io_bitmap(void **state)
{
    (void)state;
    subject(GUEST)->io_bitmap = 0;
    assert_refused("tables: subject 0 (guest): a VM with an io bitmap");
}

static void refuses_an_entry_beyond_32_bits(void **state)
{
    (void)state;
    subject(GUEST)->entry = 0x100000000u;
    assert_refused("tables: subject 0 (guest): vm entry or boot esi beyond 32 bits");
}

static void refuses_a_boot_esi_beyond_32_bits(void **state)
{
    (void)state;
    vm_record()->boot_rsi = 0x100000000u;
    assert_refused("tables: subject 0 (guest): vm entry or boot esi beyond 32 bits");
}

static void refuses_no_guest_ram(void **state)
{
    (void)state;
    vm_record()->ram_size = 0;
    assert_refused("tables: subject 0 (guest): bad vm ram size: 0x0");
}

static void refuses_guest_ram_of_part_of_a_page(void **state)
{
    (void)state;
    vm_record()->ram_size += 0x800u;
    assert_refused("tables: subject 0 (guest): bad vm ram size: 0x10800");
}

static void refuses_an_event_vector_among_the_exceptions(void **state)
{
    (void)state;
    vm_record()->vectors[MOAT_MAX_EVENTS - 2u] = 31;
    assert_refused("tables: subject 0 (guest) event 62: bad vector (0 or 32..255; 0 for event "
                   "63, the VM's timer): 31");
}

static void refuses_a_vector_for_the_timers_event(void **state)
{
    (void)state;
    vm_record()->vectors[VM_TIMER_EVENT] = 32;
    assert_refused("tables: subject 0 (guest) event 63: bad vector");
}

static void refuses_a_misaligned_vmcb(void **state)
{
    (void)state;
    vm_record()->vmcb += 8u;
    assert_refused("tables: vm 0: vmcb outside the regions (or misaligned): 0x1050008");
}

static void refuses_a_vmcb_outside_the_regions(void **state)
{
    (void)state;
    vm_record()->vmcb = P(FAKE_MEM_SIZE);
    assert_refused("tables: vm 0: vmcb outside the regions (or misaligned): 0x1100000");
}

static void refuses_a_vmcb_in_guest_ram(void **state)
{
    (void)state;
    vm_record()->vmcb = GUEST_RAM + GUEST_RAM_SIZE - MOAT_PAGE_SIZE;
    assert_refused("tables: subject 0 (guest) reset 0: dst: 0x1020000 overlaps a kernel range at "
                   "0x102f000");
}

static void refuses_a_vmcb_in_a_pristine_image(void **state)
{
    (void)state;
    vm_record()->vmcb = PRISTINE;
    assert_refused("tables: subject 0 (guest) reset 1: src: 0x1040000 overlaps a kernel range at "
                   "0x1040000");
}

static void refuses_a_vmcb_on_a_kernel_log(void **state)
{
    (void)state;
    vm_record()->vmcb = VM_KLOG + MOAT_PAGE_SIZE;
    assert_refused("tables: system (vms): kernel range: 0x1004000 overlaps a kernel range at "
                   "0x1005000");
}

static void refuses_a_page_table_on_a_vmcb(void **state)
{
    (void)state;
    subject(NATIVE)->pml4 = VMCB;
    assert_refused("tables: subject 1 (native): pml4: 0x1050000 overlaps a kernel range at "
                   "0x1050000");
}

static void refuses_a_console_of_size_0(void **state)
{
    (void)state;
    vm_record()->console_size = 0;
    assert_refused("tables: vm 0: console of size 0, or size without a channel: 0x1052000+0x0");
}

static void refuses_a_console_size_without_a_channel(void **state)
{
    (void)state;
    vm_record()->console_phys = 0;
    assert_refused("tables: vm 0: console of size 0, or size without a channel: 0x0+0x2000");
}

static void refuses_a_console_outside_the_regions(void **state)
{
    (void)state;
    vm_record()->console_phys = P(FAKE_MEM_SIZE - CONSOLE_SIZE + 1u);
    assert_refused("tables: vm 0: console outside the regions: 0x10fe001+0x2000");
}

static void refuses_a_console_on_its_vmcb(void **state)
{
    (void)state;
    vm_record()->console_phys = VMCB + MOAT_PAGE_SIZE - 1u;
    assert_refused("tables: system (vms): kernel range: 0x1050000 overlaps a kernel range at "
                   "0x1050fff");
}

static void refuses_a_console_in_guest_ram(void **state)
{
    (void)state;
    vm_record()->console_phys = GUEST_RAM + GUEST_RAM_SIZE - 1u;
    assert_refused("tables: subject 0 (guest) reset 0: dst: 0x1020000 overlaps a kernel range at "
                   "0x102ffff");
}

static void refuses_a_tsc_patch_outside_the_regions(void **state)
{
    (void)state;
    vm_record()->tsc_khz_patch = P(FAKE_MEM_SIZE - MOAT_VM_TSC_DIGITS + 1u);
    assert_refused("tables: subject 0 (guest): tsc_khz_patch outside the regions");
}

static void refuses_a_tsc_patch_past_its_pristine_image(void **state)
{
    (void)state;
    vm_record()->tsc_khz_patch = PATCH + 1u;
    assert_refused("tables: subject 0 (guest): tsc_khz_patch not in a pristine image the VM "
                   "copies: 0x1040ff7");
}

static void refuses_a_tsc_patch_before_its_pristine_image(void **state)
{
    (void)state;
    vm_record()->tsc_khz_patch = PRISTINE - 1u;
    assert_refused("tables: subject 0 (guest): tsc_khz_patch not in a pristine image");
}

static void refuses_a_tsc_patch_in_guest_ram(void **state)
{
    (void)state;
    /* Where the pristine image goes: the guest would see the kernel write it. */
    reset(GUEST, 1)->src = GUEST_RAM + 0x1000u;
    reset(GUEST, 1)->dst = PRISTINE;
    vm_record()->tsc_khz_patch = GUEST_RAM + 0x1000u;
    assert_refused("tables: subject 0 (guest): tsc_khz_patch in subject memory, a reset of "
                   "subject: 0x0 writes 0x1020000");
}

static void refuses_a_tsc_patch_in_another_subjects_memory(void **state)
{
    (void)state;
    reset(NATIVE, 0)->dst = PATCH + MOAT_VM_TSC_DIGITS - 1u;
    reset(NATIVE, 0)->size = 1;
    assert_refused("tables: subject 0 (guest): tsc_khz_patch in subject memory, a reset of "
                   "subject: 0x1 writes 0x1040fff");
}

static void refuses_a_later_subjects_resets_before_reading_them(void **state)
{
    (void)state;
    /* The patch is compared with every subject's reset steps: only once each subject's
     * range of steps is checked (before, the guest's check read the native's steps
     * gigabytes past the blob). */
    subject(NATIVE)->reset_first = 0x10000000u;
    assert_refused("tables: subject 1 (native): bad resets: 268435456+1");
}

static void refuses_vms_on_a_cpu_without_them(void **state)
{
    (void)state;
    blob_seal();
    assert_true(tables_check(blob_buffer, BLOB_CAPACITY));
    fake.no_vm = true;
    assert_false(core_check_system());
    assert_true(fake_console_has("vm: subject guest is a VM, this CPU has no fake VMs\n"));
    fake.no_vm = false;
    fake.console_len = 0;
    fake.console[0] = '\0';
    assert_true(core_check_system());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        VM_TEST(accepts_a_vm_at_every_limit),
        VM_TEST(refuses_an_unknown_kind),
        VM_TEST(refuses_a_native_subject_with_a_vm),
        VM_TEST(refuses_a_vm_index_past_the_vms),
        VM_TEST(refuses_a_vm_two_subjects_use),
        VM_TEST(refuses_a_vm_no_subject_uses),
        VM_TEST(refuses_more_vms_than_the_limit),
        VM_TEST(refuses_a_vm_with_an_io_bitmap),
        VM_TEST(refuses_an_entry_beyond_32_bits),
        VM_TEST(refuses_a_boot_esi_beyond_32_bits),
        VM_TEST(refuses_no_guest_ram),
        VM_TEST(refuses_guest_ram_of_part_of_a_page),
        VM_TEST(refuses_an_event_vector_among_the_exceptions),
        VM_TEST(refuses_a_vector_for_the_timers_event),
        VM_TEST(refuses_a_misaligned_vmcb),
        VM_TEST(refuses_a_vmcb_outside_the_regions),
        VM_TEST(refuses_a_vmcb_in_guest_ram),
        VM_TEST(refuses_a_vmcb_in_a_pristine_image),
        VM_TEST(refuses_a_vmcb_on_a_kernel_log),
        VM_TEST(refuses_a_page_table_on_a_vmcb),
        VM_TEST(refuses_a_console_of_size_0),
        VM_TEST(refuses_a_console_size_without_a_channel),
        VM_TEST(refuses_a_console_outside_the_regions),
        VM_TEST(refuses_a_console_on_its_vmcb),
        VM_TEST(refuses_a_console_in_guest_ram),
        VM_TEST(refuses_a_tsc_patch_outside_the_regions),
        VM_TEST(refuses_a_tsc_patch_past_its_pristine_image),
        VM_TEST(refuses_a_tsc_patch_before_its_pristine_image),
        VM_TEST(refuses_a_tsc_patch_in_guest_ram),
        VM_TEST(refuses_a_tsc_patch_in_another_subjects_memory),
        VM_TEST(refuses_a_later_subjects_resets_before_reading_them),
        VM_TEST(refuses_vms_on_a_cpu_without_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
