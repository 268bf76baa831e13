/*
 * Host tests of the boot check of the tables blob (tables_check, kernel/core/tables.c),
 * part 2: regions, IRQ routes, subjects, their routes and reset steps, the plans' frames
 * and every physical range are each refused with the line that names the record.
 */
#include "check_fixture.h"

/* ---- regions ---- */

static void refuses_an_empty_region(void **state)
{
    (void)state;
    region(1)->size = 0;
    assert_refused("tables: region 1: empty");
}

static void refuses_a_region_below_the_kernels_end(void **state)
{
    (void)state;
    region(0)->base -= MOAT_PAGE_SIZE;
    region(0)->size += MOAT_PAGE_SIZE;
    assert_refused("tables: region 0: below the kernel's end: 0xfff000 < 0x1000000");
}

static void refuses_overlapping_regions(void **state)
{
    (void)state;
    region(1)->base -= 1u;
    region(1)->size += 1u;
    assert_refused("tables: region 1: unsorted or overlapping");
}

static void refuses_unsorted_regions(void **state)
{
    (void)state;
    struct moat_ram_range first = *region(0);
    *region(0) = *region(1);
    *region(1) = first;
    assert_refused("tables: region 1: unsorted or overlapping");
}

static void refuses_a_region_that_wraps_around(void **state)
{
    (void)state;
    region(1)->size = UINT64_MAX - region(1)->base + 2u;
    assert_refused("tables: region 1: overflows");
}

/* ---- IRQ routes ---- */

static void refuses_an_irq_line_out_of_range(void **state)
{
    (void)state;
    irq(1)->line = MOAT_MAX_IRQS;
    assert_refused("tables: irq 1: bad line: 24, lines 24");
}

static void refuses_an_irq_line_routed_twice(void **state)
{
    (void)state;
    irq(1)->line = irq(0)->line;
    assert_refused("tables: irq 1: duplicate line: 0");
}

static void refuses_an_irq_to_no_subject(void **state)
{
    (void)state;
    irq(0)->subject = SUBJECTS;
    assert_refused("tables: irq 0: bad subject: 3, subjects 3");
}

static void refuses_an_irq_event_out_of_range(void **state)
{
    (void)state;
    irq(0)->event = MOAT_MAX_EVENTS;
    assert_refused("tables: irq 0: bad event: 64, events 64");
}

/* ---- subjects ---- */

static void refuses_a_subject_on_a_cpu_the_system_lacks(void **state)
{
    (void)state;
    subject(BETA)->cpu = 2;
    assert_refused("tables: subject 1 (beta): bad cpu: 2, cpus 2");
}

static void refuses_an_unknown_fault_action(void **state)
{
    (void)state;
    subject(ALPHA)->on_fault = 2;
    assert_refused("tables: subject 0 (alpha): bad on_fault: 2");
}

static void refuses_sends_past_the_sends_array(void **state)
{
    (void)state;
    subject(GAMMA)->send_first += 1u; /* gamma's end where the array does */
    assert_refused("tables: subject 2 (gamma): bad sends");
}

static void refuses_more_sends_than_event_ids(void **state)
{
    (void)state;
    /* Inside the array (alpha's and beta's routes follow), but over the id limit. */
    subject(GAMMA)->send_first = 0;
    subject(GAMMA)->send_count = MOAT_MAX_EVENTS + 1u;
    assert_refused("tables: subject 2 (gamma): bad sends: 0+65");
}

static void refuses_a_subject_without_reset_steps(void **state)
{
    (void)state;
    subject(BETA)->reset_count = 0;
    assert_refused("tables: subject 1 (beta): bad resets");
}

static void refuses_more_reset_steps_than_the_limit(void **state)
{
    (void)state;
    subject(GAMMA)->reset_first = 0; /* inside the array: alpha's and beta's follow */
    subject(GAMMA)->reset_count = MOAT_MAX_RESETS + 1u;
    assert_refused("tables: subject 2 (gamma): bad resets: 0+33");
}

static void refuses_resets_past_the_resets_array(void **state)
{
    (void)state;
    subject(GAMMA)->reset_first += 1u;
    assert_refused("tables: subject 2 (gamma): bad resets");
}

static void refuses_an_io_bitmap_index_out_of_range(void **state)
{
    (void)state;
    subject(GAMMA)->io_bitmap = hdr()->io_bitmaps.count;
    assert_refused("tables: subject 2 (gamma): bad io bitmap: 2, io bitmaps 2");
}

/* ---- routes ---- */

static void refuses_an_unknown_action(void **state)
{
    (void)state;
    route(ALPHA, 5)->action = MOAT_ACTION_COUNT;
    assert_refused("tables: subject 0 (alpha) send 5: bad action: 7");
}

static void refuses_a_notify_to_no_subject(void **state)
{
    (void)state;
    route(ALPHA, SEND_NOTIFY)->target = SUBJECTS;
    assert_refused("tables: subject 0 (alpha) send 0: bad target: 3, subjects 3");
}

static void refuses_a_restart_of_no_subject(void **state)
{
    (void)state;
    route(ALPHA, SEND_RESTART)->target = MOAT_SUBJECT_IDLE;
    assert_refused("tables: subject 0 (alpha) send 3: bad target: 65535");
}

static void refuses_a_stop_of_no_subject(void **state)
{
    (void)state;
    route(ALPHA, SEND_STOP)->target = SUBJECTS;
    assert_refused("tables: subject 0 (alpha) send 4: bad target: 3");
}

/* Every route is checked, the last one of the last subject too. */
static void refuses_a_bad_last_route(void **state)
{
    (void)state;
    route(GAMMA, MOAT_MAX_EVENTS - 1u)->target = SUBJECTS;
    assert_refused("tables: subject 2 (gamma) send 63: bad target: 3");
}

static void refuses_a_notify_of_an_event_id_out_of_range(void **state)
{
    (void)state;
    route(BETA, 0)->target_event = MOAT_MAX_EVENTS;
    assert_refused("tables: subject 1 (beta) send 0: bad target event: 64, events 64");
}

static void refuses_a_switch_to_no_plan(void **state)
{
    (void)state;
    route(ALPHA, SEND_SWITCH)->plan = 2;
    assert_refused("tables: subject 0 (alpha) send 1: bad plan: 2, plans 2");
}

static void refuses_an_unmask_of_an_unrouted_irq(void **state)
{
    (void)state;
    route(ALPHA, SEND_UNMASK)->irq = 5;
    assert_refused("tables: subject 0 (alpha) send 2: bad irq, line not routed: 5");
}

/* ---- frames ---- */

static void refuses_a_cpu_without_frames(void **state)
{
    (void)state;
    plan(0)->cpus[1].frame_count = 0;
    assert_refused("tables: plan 0 (main) cpu 1: bad frame count: 0");
}

static void refuses_more_frames_than_the_limit(void **state)
{
    (void)state;
    plan(0)->cpus[1].frame_first = 0;
    plan(0)->cpus[1].frame_count = MOAT_MAX_FRAMES_PER_CPU + 1u;
    assert_refused("tables: plan 0 (main) cpu 1: bad frame count: 4097");
}

static void refuses_frames_past_the_frames_array(void **state)
{
    (void)state;
    plan(1)->cpus[1].frame_first += 1u; /* the last CPU's frames end with the array */
    assert_refused("tables: plan 1 (other) cpu 1: frames beyond frames");
}

static void refuses_frames_for_a_cpu_the_system_lacks(void **state)
{
    (void)state;
    plan(1)->cpus[2] = plan(1)->cpus[1];
    assert_refused("tables: plan 1 (other) cpu 2: frames for an unused cpu");
}

static void refuses_a_frame_of_a_subject_on_another_cpu(void **state)
{
    (void)state;
    frame(0, 0, 0)->subject = BETA;
    assert_refused("tables: plan 0 (main) cpu 0: frame subject not idle nor pinned to this "
                   "cpu, frame: 0, subject 1");
}

static void refuses_a_frame_of_no_subject(void **state)
{
    (void)state;
    frame(0, 1, 2)->subject = SUBJECTS;
    assert_refused("tables: plan 0 (main) cpu 1: frame subject not idle nor pinned to this "
                   "cpu, frame: 2, subject 3");
}

/* The record past the subjects (bytes of the sends array here) reads as pinned to CPU 0:
 * only the index bound can refuse it. */
static void refuses_a_frame_of_no_subject_whatever_lies_past_the_subjects(void **state)
{
    (void)state;
    assert_int_equal(((const struct moat_subject *)subject(SUBJECTS))->cpu, 0);
    frame(0, 0, 0)->subject = SUBJECTS;
    assert_refused("tables: plan 0 (main) cpu 0: frame subject not idle nor pinned to this "
                   "cpu, frame: 0, subject 3");
}

static void refuses_a_frame_of_0_ticks(void **state)
{
    (void)state;
    frame(0, 1, 2)->ticks = 0;
    frame(0, 1, 1)->ticks += 1u; /* the sum still right */
    assert_refused("tables: plan 0 (main) cpu 1: frame ticks 0, frame: 2");
}

static void refuses_frames_that_do_not_add_up_to_the_major_frame(void **state)
{
    (void)state;
    frame(0, 1, 1)->ticks += 1u;
    assert_refused("tables: plan 0 (main) cpu 1: ticks != major: 11 != 10");
}

static void refuses_frames_short_of_the_major_frame(void **state)
{
    (void)state;
    plan(1)->major_ticks += 1u;
    assert_refused("tables: plan 1 (other) cpu 0: ticks != major: 10 != 11");
}

/* ---- physical ranges: each inside one region ---- */

static void refuses_a_pml4_outside_the_regions(void **state)
{
    (void)state;
    subject(BETA)->pml4 = P(FAKE_MEM_SIZE);
    assert_refused("tables: subject 1 (beta): pml4 outside the regions");
}

static void refuses_a_pml4_across_two_regions(void **state)
{
    (void)state;
    subject(ALPHA)->pml4 = ALPHA_PML4 + 8u;
    assert_refused("tables: subject 0 (alpha): pml4 outside the regions (or misaligned)");
}

static void refuses_a_misaligned_pml4(void **state)
{
    (void)state;
    subject(GAMMA)->pml4 = GAMMA_PML4 + 8u; /* inside region 1 */
    assert_refused("tables: subject 2 (gamma): pml4 outside the regions (or misaligned)");
}

static void refuses_a_sinfo_page_outside_the_regions(void **state)
{
    (void)state;
    subject(ALPHA)->sinfo_phys = P(0) - 8u;
    assert_refused("tables: subject 0 (alpha): sinfo outside the regions");
}

static void refuses_a_reset_destination_outside_the_regions(void **state)
{
    (void)state;
    reset(ALPHA, 1)->dst = P(FAKE_MEM_SIZE) - 0xffu; /* its 0x100 bytes: one past the end */
    assert_refused("tables: subject 0 (alpha) reset 1: dst outside the regions");
}

static void refuses_a_reset_source_outside_the_regions(void **state)
{
    (void)state;
    reset(ALPHA, 0)->src = 0x1000u; /* kernel memory */
    assert_refused("tables: subject 0 (alpha) reset 0: src outside the regions");
}

static void refuses_a_reset_size_that_wraps_around(void **state)
{
    (void)state;
    reset(GAMMA, MOAT_MAX_RESETS - 1u)->size = UINT64_MAX;
    assert_refused("tables: subject 2 (gamma) reset 31: dst outside the regions");
}

static void refuses_an_audit_region_outside_the_regions(void **state)
{
    (void)state;
    hdr()->audit_size = REGION0_SIZE - 0x18000u + 1u; /* one byte into region 1: not inside one region */
    assert_refused("tables: system (check): audit outside the regions");
}

static void refuses_a_klog_channel_outside_the_regions(void **state)
{
    (void)state;
    hdr()->klog_phys[1] = P(0) - 0x1000u;
    assert_refused("tables: system (check) klog 1: klog outside the regions");
}

static void refuses_a_klog_channel_of_a_cpu_the_system_lacks(void **state)
{
    (void)state;
    hdr()->klog_phys[2] = P(0x4000u);
    assert_refused("tables: system (check) klog 2: klog for an unused cpu or of size 0");
}

/* ---- what the kernel writes (state, audit, kernel logs) overlaps nothing else ---- */

static void refuses_an_audit_region_inside_the_state_region(void **state)
{
    (void)state;
    hdr()->audit_phys = hdr()->state_phys + 0x1000u;
    char why[128];
    snprintf(why, sizeof(why), "tables: system (check): kernel range: 0x%llx overlaps a kernel "
             "range at 0x%llx\n", (unsigned long long)hdr()->state_phys,
             (unsigned long long)hdr()->audit_phys);
    assert_refused(why);
}

static void refuses_overlapping_klog_channels(void **state)
{
    (void)state;
    hdr()->klog_phys[1] = KLOG0_PHYS + KLOG_SIZE - 8u;
    assert_refused("tables: system (check): kernel range: 0x1004000 overlaps a kernel range at "
                   "0x1005ff8\n");
}

static void refuses_a_reset_writing_into_the_audit_region(void **state)
{
    (void)state;
    reset(ALPHA, 1)->dst += 8u; /* its last 8 bytes are the audit region's first */
    assert_refused("tables: subject 0 (alpha) reset 1: dst: 0x1017f08 overlaps a kernel range at "
                   "0x1018000\n");
}

static void refuses_a_reset_writing_into_the_state_region(void **state)
{
    (void)state;
    reset(GAMMA, 0)->dst = hdr()->state_phys + hdr()->state_size - 0x80u;
    assert_refused("tables: subject 2 (gamma) reset 0: dst: ");
    assert_true(fake_console_has("overlaps a kernel range at"));
}

/* The state region holds every subject's saved registers: a reset step copying from it
 * would hand them to a subject. */
static void refuses_a_reset_reading_the_state_region(void **state)
{
    (void)state;
    reset(ALPHA, 0)->src = hdr()->state_phys + MOAT_SUBJECT_STATE_SIZE; /* beta's slot */
    assert_refused("tables: subject 0 (alpha) reset 0: src: ");
    assert_true(fake_console_has("overlaps a kernel range at"));
}

/* A top-level page table the kernel writes (here the state region, whose registers a
 * subject controls) would let a subject write its own mappings. */
static void refuses_a_pml4_inside_the_state_region(void **state)
{
    (void)state;
    subject(BETA)->pml4 = hdr()->state_phys + MOAT_SUBJECT_STATE_SIZE;
    assert_refused("tables: subject 1 (beta): pml4: ");
    assert_true(fake_console_has("overlaps a kernel range at"));
}

static void refuses_a_pml4_on_a_klog_channel(void **state)
{
    (void)state;
    subject(ALPHA)->pml4 = KLOG1_PHYS;
    assert_refused("tables: subject 0 (alpha): pml4: 0x1006000 overlaps a kernel range at "
                   "0x1006000\n");
}

static void refuses_a_sinfo_page_on_a_klog_channel(void **state)
{
    (void)state;
    subject(ALPHA)->sinfo_phys = ALPHA_SINFO + 8u;
    assert_refused("tables: subject 0 (alpha): sinfo: ");
    assert_true(fake_console_has("overlaps a kernel range at 0x1004000\n"));
}

static void refuses_a_state_region_of_the_wrong_size(void **state)
{
    (void)state;
    hdr()->state_size -= MOAT_SUBJECT_STATE_SIZE;
    assert_refused("tables: system (check): bad state size");
}

static void refuses_a_state_region_larger_than_its_subjects_need(void **state)
{
    (void)state;
    hdr()->state_size += MOAT_SUBJECT_STATE_SIZE; /* still inside region 1 */
    assert_refused("tables: system (check): bad state size: 32768, subjects 3");
}

static void refuses_a_state_region_outside_the_regions(void **state)
{
    (void)state;
    hdr()->state_phys = P(FAKE_MEM_SIZE) - MOAT_SUBJECT_STATE_SIZE;
    assert_refused("tables: system (check): state outside the regions");
}

static void refuses_a_misaligned_state_region(void **state)
{
    (void)state;
    hdr()->state_phys += 8u;
    assert_refused("tables: system (check): state outside the regions (or misaligned)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        CHECK_TEST(refuses_an_empty_region),
        CHECK_TEST(refuses_a_region_below_the_kernels_end),
        CHECK_TEST(refuses_overlapping_regions),
        CHECK_TEST(refuses_unsorted_regions),
        CHECK_TEST(refuses_a_region_that_wraps_around),
        CHECK_TEST(refuses_an_irq_line_out_of_range),
        CHECK_TEST(refuses_an_irq_line_routed_twice),
        CHECK_TEST(refuses_an_irq_to_no_subject),
        CHECK_TEST(refuses_an_irq_event_out_of_range),
        CHECK_TEST(refuses_a_subject_on_a_cpu_the_system_lacks),
        CHECK_TEST(refuses_an_unknown_fault_action),
        CHECK_TEST(refuses_sends_past_the_sends_array),
        CHECK_TEST(refuses_more_sends_than_event_ids),
        CHECK_TEST(refuses_a_subject_without_reset_steps),
        CHECK_TEST(refuses_more_reset_steps_than_the_limit),
        CHECK_TEST(refuses_resets_past_the_resets_array),
        CHECK_TEST(refuses_an_io_bitmap_index_out_of_range),
        CHECK_TEST(refuses_an_unknown_action),
        CHECK_TEST(refuses_a_notify_to_no_subject),
        CHECK_TEST(refuses_a_restart_of_no_subject),
        CHECK_TEST(refuses_a_stop_of_no_subject),
        CHECK_TEST(refuses_a_bad_last_route),
        CHECK_TEST(refuses_a_notify_of_an_event_id_out_of_range),
        CHECK_TEST(refuses_a_switch_to_no_plan),
        CHECK_TEST(refuses_an_unmask_of_an_unrouted_irq),
        CHECK_TEST(refuses_a_cpu_without_frames),
        CHECK_TEST(refuses_more_frames_than_the_limit),
        CHECK_TEST(refuses_frames_past_the_frames_array),
        CHECK_TEST(refuses_frames_for_a_cpu_the_system_lacks),
        CHECK_TEST(refuses_a_frame_of_a_subject_on_another_cpu),
        CHECK_TEST(refuses_a_frame_of_no_subject),
        CHECK_TEST(refuses_a_frame_of_no_subject_whatever_lies_past_the_subjects),
        CHECK_TEST(refuses_a_frame_of_0_ticks),
        CHECK_TEST(refuses_frames_that_do_not_add_up_to_the_major_frame),
        CHECK_TEST(refuses_frames_short_of_the_major_frame),
        CHECK_TEST(refuses_a_pml4_outside_the_regions),
        CHECK_TEST(refuses_a_pml4_across_two_regions),
        CHECK_TEST(refuses_a_misaligned_pml4),
        CHECK_TEST(refuses_a_sinfo_page_outside_the_regions),
        CHECK_TEST(refuses_a_reset_destination_outside_the_regions),
        CHECK_TEST(refuses_a_reset_source_outside_the_regions),
        CHECK_TEST(refuses_a_reset_size_that_wraps_around),
        CHECK_TEST(refuses_an_audit_region_outside_the_regions),
        CHECK_TEST(refuses_a_klog_channel_outside_the_regions),
        CHECK_TEST(refuses_a_klog_channel_of_a_cpu_the_system_lacks),
        CHECK_TEST(refuses_an_audit_region_inside_the_state_region),
        CHECK_TEST(refuses_overlapping_klog_channels),
        CHECK_TEST(refuses_a_reset_writing_into_the_audit_region),
        CHECK_TEST(refuses_a_reset_writing_into_the_state_region),
        CHECK_TEST(refuses_a_reset_reading_the_state_region),
        CHECK_TEST(refuses_a_pml4_inside_the_state_region),
        CHECK_TEST(refuses_a_pml4_on_a_klog_channel),
        CHECK_TEST(refuses_a_sinfo_page_on_a_klog_channel),
        CHECK_TEST(refuses_a_state_region_of_the_wrong_size),
        CHECK_TEST(refuses_a_state_region_larger_than_its_subjects_need),
        CHECK_TEST(refuses_a_state_region_outside_the_regions),
        CHECK_TEST(refuses_a_misaligned_state_region),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
