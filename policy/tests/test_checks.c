/*
 * One test per semantic check: each policy in bad/ is minimal, breaks one rule, and
 * states on its first line the message moat-polc must give ("expect: LINE: MESSAGE").
 * The test runs `moat-polc check` in-process and asserts exit status 1 and that
 * message, with file and line. The policies that cross the ABI's size limits are written
 * at build time by gen_limits.py into GEN_DIR. Usage: test_checks BAD_DIR ELF_DIR GEN_DIR
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "polc.h"

static const char *bad_dir;
static const char *elf_dir;
static const char *gen_dir;

static void run_case(void **state)
{
    const char *name = *state;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.xml", bad_dir, name);
    uint8_t *text = NULL;
    size_t size = 0;
    if (!polc_read_file(path, &text, &size)) {
        snprintf(path, sizeof(path), "%s/%s.xml", gen_dir, name);
        assert_true(polc_read_file(path, &text, &size));
    }
    const char *expect = strstr((const char *)text, "expect: ");
    assert_non_null(expect);
    expect += strlen("expect: ");
    const char *end = strstr(expect, " -->");
    assert_non_null(end);
    const char *colon = strchr(expect, ':');
    assert_non_null(colon);
    char wanted[1024];
    long line = strtol(expect, NULL, 10);
    if (line > 0) {
        snprintf(wanted, sizeof(wanted), "%s.xml:%ld: error: %.*s", name, line,
                 (int)(end - colon - 2), colon + 2);
    } else {
        snprintf(wanted, sizeof(wanted), "%s.xml: error: %.*s", name, (int)(end - colon - 2),
                 colon + 2);
    }
    free(text);

    char *argv[] = {"moat-polc", "check", path, "-I", (char *)elf_dir, NULL};
    struct polc_buf out = {0};
    struct polc_buf err = {0};
    int status = polc_main(5, argv, &out, &err);
    if (err.data == NULL || strstr((const char *)err.data, wanted) == NULL) {
        print_error("wanted: %s\ngot:\n%s\n", wanted, err.data != NULL ? (const char *)err.data : "");
        fail();
    }
    assert_int_equal(status, 1);
    polc_buf_free(&out);
    polc_buf_free(&err);
}

/* Each case is a cmocka test named after its policy file. */
#define POLC_CASE(name) {#name, run_case, NULL, NULL, (void *)#name}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_checks BAD_DIR ELF_DIR GEN_DIR\n");
        return 2;
    }
    bad_dir = argv[1];
    elf_dir = argv[2];
    gen_dir = argv[3];
    const struct CMUnitTest tests[] = {
    POLC_CASE(root_not_system),
    POLC_CASE(subject_name_twice),
    POLC_CASE(channel_name_twice),
    POLC_CASE(event_name_twice),
    POLC_CASE(plan_name_twice),
    POLC_CASE(resource_name_clash),
    POLC_CASE(channel_writer_unknown),
    POLC_CASE(channel_reader_unknown),
    POLC_CASE(event_sender_unknown),
    POLC_CASE(event_target_unknown),
    POLC_CASE(frame_subject_unknown),
    POLC_CASE(subject_name_misspelt),
    POLC_CASE(too_many_subjects),
    POLC_CASE(too_many_channels),
    POLC_CASE(channel_no_writer),
    POLC_CASE(channel_two_writers),
    POLC_CASE(channel_no_reader),
    POLC_CASE(channel_reader_is_writer),
    POLC_CASE(channel_reader_twice),
    POLC_CASE(channel_element_size_zero),
    POLC_CASE(channel_protocol_zero),
    POLC_CASE(channel_size_unaligned),
    POLC_CASE(channel_too_small),
    POLC_CASE(channel_paddr_unaligned),
    POLC_CASE(channel_vaddr_unaligned),
    POLC_CASE(channel_device_no_paddr),
    POLC_CASE(channel_device_in_ram),
    POLC_CASE(channel_device_overlap),
    POLC_CASE(channel_device_memory_unknown),
    POLC_CASE(kernel_log_reader_unknown),
    POLC_CASE(kernel_log_size_unaligned),
    POLC_CASE(channel_name_reserved_kernel),
    POLC_CASE(event_notify_without_target),
    POLC_CASE(event_restart_without_target),
    POLC_CASE(event_poweroff_with_target),
    POLC_CASE(event_switch_plan_without_plan),
    POLC_CASE(event_switch_plan_unknown),
    POLC_CASE(event_plan_on_notify),
    POLC_CASE(event_unmask_without_irq),
    POLC_CASE(event_unmask_foreign_irq),
    POLC_CASE(event_irq_on_notify),
    POLC_CASE(too_many_sent_events),
    POLC_CASE(too_many_received_events),
    POLC_CASE(platform_too_many_cpus),
    POLC_CASE(platform_memory_unaligned),
    POLC_CASE(platform_memory_too_large),
    POLC_CASE(platform_memory_too_small),
    POLC_CASE(platform_audit_unaligned),
    POLC_CASE(tick_too_short),
    POLC_CASE(too_many_plans),
    POLC_CASE(initial_plan_unknown),
    POLC_CASE(subject_cpu_missing),
    POLC_CASE(plan_cpu_missing_platform),
    POLC_CASE(plan_cpu_twice),
    POLC_CASE(plan_cpu_without_frames),
    POLC_CASE(plan_ticks_unequal),
    POLC_CASE(frame_zero_ticks),
    POLC_CASE(frame_ticks_too_large),
    POLC_CASE(major_frame_overflow),
    POLC_CASE(major_frame_too_long),
    POLC_CASE(too_many_frames),
    POLC_CASE(frame_wrong_cpu),
    POLC_CASE(subject_on_two_cpus),
    POLC_CASE(subject_not_scheduled),
    POLC_CASE(ioport_count_zero),
    POLC_CASE(ioport_beyond_ffff),
    POLC_CASE(ioport_reserved),
    POLC_CASE(ioport_two_owners),
    POLC_CASE(ioport_pci_config),
    POLC_CASE(ioport_pci_reset),
    POLC_CASE(ioport_fw_cfg_dma),
    POLC_CASE(ioport_apm_smi),
    POLC_CASE(ioport_isa_dma),
    POLC_CASE(ioport_isa_dma_page),
    POLC_CASE(ioport_isa_dma2),
    POLC_CASE(ioport_reset_port_a),
    POLC_CASE(ioport_keyboard_reset),
    POLC_CASE(ioport_keyboard_data),
    POLC_CASE(ioport_debug_exit),
    POLC_CASE(ioport_cmos_nmi),
    POLC_CASE(ioport_pit),
    POLC_CASE(ioport_pit_gate),
    POLC_CASE(ioport_acpi_q35),
    POLC_CASE(ioport_acpi_piix4),
    POLC_CASE(ioport_two_devices),
    POLC_CASE(ioport_elcr),
    POLC_CASE(platform_device_pic),
    POLC_CASE(platform_device_ordinary_port),
    POLC_CASE(platform_device_blank_reason),
    POLC_CASE(platform_device_two_owners),
    POLC_CASE(irq_line_too_high),
    POLC_CASE(irq_two_owners),
    POLC_CASE(stack_size_unaligned),
    POLC_CASE(stack_size_too_large),
    POLC_CASE(memory_too_large),
    POLC_CASE(channel_too_large),
    POLC_CASE(memory_size_unaligned),
    POLC_CASE(memory_vaddr_unaligned),
    POLC_CASE(memory_paddr_unaligned),
    POLC_CASE(memory_writable_executable),
    POLC_CASE(number_too_large),
    POLC_CASE(size_suffix_overflow),
    POLC_CASE(image_missing),
    POLC_CASE(image_not_elf),
    POLC_CASE(image_32bit),
    POLC_CASE(image_big_endian),
    POLC_CASE(image_wrong_machine),
    POLC_CASE(image_not_executable),
    POLC_CASE(image_truncated),
    POLC_CASE(image_truncated_headers),
    POLC_CASE(image_writable_executable),
    POLC_CASE(image_no_segments),
    POLC_CASE(image_entry_not_code),
    POLC_CASE(image_memsz_below_filesz),
    POLC_CASE(image_segments_share_page),
    POLC_CASE(image_dynamic),
    POLC_CASE(image_kernel_half),
    POLC_CASE(virtual_overlap_memories),
    POLC_CASE(virtual_overlap_image),
    POLC_CASE(virtual_overlap_stack),
    POLC_CASE(virtual_overlap_channel_sinfo),
    POLC_CASE(virtual_outside_user_half),
    POLC_CASE(top_page_memory),
    POLC_CASE(top_page_channel),
    POLC_CASE(top_page_image),
    POLC_CASE(virtual_page_zero),
    POLC_CASE(sinfo_full),
    POLC_CASE(too_many_resets),
    POLC_CASE(paddr_in_kernel),
    POLC_CASE(paddr_beyond_memory),
    POLC_CASE(paddr_beyond_4g),
    POLC_CASE(memory_exhausted_below_4g),
    POLC_CASE(paddr_overlap),
    POLC_CASE(memory_exhausted),
    POLC_CASE(too_many_physical_ranges),
    POLC_CASE(vm_with_image),
    POLC_CASE(vm_with_stack_size),
    POLC_CASE(vm_with_ioport),
    POLC_CASE(vm_with_irq),
    POLC_CASE(vm_with_timer),
    POLC_CASE(vm_two_vm_elements),
    POLC_CASE(vm_memory_unaligned),
    POLC_CASE(vm_memory_too_large),
    POLC_CASE(vm_paddr_unaligned),
    POLC_CASE(vm_nothing_to_boot),
    POLC_CASE(vm_two_boots),
    POLC_CASE(vm_image_load_unaligned),
    POLC_CASE(vm_image_too_big),
    POLC_CASE(vm_image_entry_outside),
    POLC_CASE(vm_kernel_missing),
    POLC_CASE(vm_bzimage_bad_magic),
    POLC_CASE(vm_bzimage_bad_bootflag),
    POLC_CASE(vm_bzimage_old_protocol),
    POLC_CASE(vm_bzimage_zimage),
    POLC_CASE(vm_bzimage_truncated),
    POLC_CASE(vm_bzimage_header_cut),
    POLC_CASE(vm_bzimage_unaligned_pref),
    POLC_CASE(vm_bzimage_fixed_wrap),
    POLC_CASE(vm_initrd_above_max),
    POLC_CASE(vm_initrd_a_page_too_big),
    POLC_CASE(vm_kernel_a_page_too_big),
    POLC_CASE(vm_bzimage_no_payload),
    POLC_CASE(vm_bzimage_not_a_kernel),
    POLC_CASE(vm_kernel_too_big),
    POLC_CASE(vm_initrd_too_big),
    POLC_CASE(vm_cmdline_too_long),
    POLC_CASE(vm_cmdline_reserved),
    POLC_CASE(vm_cmdline_reserved_sinfo),
    POLC_CASE(vm_vector_exception),
    POLC_CASE(vm_vector_too_high),
    POLC_CASE(vm_vector_twice),
    POLC_CASE(vm_vector_on_native),
    POLC_CASE(vm_channel_in_guest_ram),
    POLC_CASE(vm_channel_on_boot_state),
    POLC_CASE(vm_channel_beyond_gpa_end),
    POLC_CASE(vm_channels_overlap),
    POLC_CASE(vm_ram_paddr_overlap),
    POLC_CASE(vm_console_reader_unknown),
    POLC_CASE(native_without_image),
    POLC_CASE(vm_too_many),
    POLC_CASE(vm_too_many_resets),
    POLC_CASE(vm_e820_full),
    };
    return cmocka_run_group_tests_name("policy checks", tests, NULL, NULL);
}
