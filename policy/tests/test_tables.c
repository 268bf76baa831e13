/*
 * Reads the tables blob back out of the image moat-polc built at build time for
 * good/pipeline.xml (with the stand-in kernel), through the kernel's own accessors
 * (kernel/core/tables.h), and checks that the kernel would read what the policy says:
 * the header and its layout, subjects, event routes, reset steps, I/O bitmaps, plans
 * with idle frames, IRQ routes and physical ranges.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "moat/abi/layout.h"
#include "moat/abi/tables.h"
#include "tables.h" /* kernel/core: the accessors the kernel uses */

const struct moat_tables_header *tables;
static const char *image_path;
static uint8_t *image;
static size_t image_size;
static uint64_t blob_filesz;

static uint64_t le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--) {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

/* Finds the tables segment by its program header and copies the blob (8-aligned). */
static int load_blob(void **state)
{
    (void)state;
    FILE *f = fopen(image_path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    image_size = (size_t)ftell(f);
    rewind(f);
    image = malloc(image_size);
    assert_non_null(image);
    assert_int_equal(fread(image, 1, image_size, f), image_size);
    fclose(f);
    uint64_t phoff = le(image + offsetof(Elf64_Ehdr, e_phoff), 8);
    uint64_t phnum = le(image + offsetof(Elf64_Ehdr, e_phnum), 2);
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = image + phoff + i * sizeof(Elf64_Phdr);
        if (le(ph + offsetof(Elf64_Phdr, p_type), 4) == PT_LOAD &&
            le(ph + offsetof(Elf64_Phdr, p_paddr), 8) == MOAT_TABLES_PHYS) {
            uint64_t off = le(ph + offsetof(Elf64_Phdr, p_offset), 8);
            blob_filesz = le(ph + offsetof(Elf64_Phdr, p_filesz), 8);
            assert_int_equal(le(ph + offsetof(Elf64_Phdr, p_memsz), 8), MOAT_TABLES_CAPACITY);
            assert_true(off + blob_filesz <= image_size);
            void *copy = malloc(blob_filesz);
            assert_non_null(copy);
            memcpy(copy, image + off, blob_filesz);
            tables = copy;
            return 0;
        }
    }
    fail_msg("%s has no tables segment", image_path);
    return 1;
}

static const struct moat_subject *subject(const char *name, subject_id_t *id)
{
    for (subject_id_t i = 0; i < tables_subject_count(); i++) {
        if (strcmp(tables_string(tables_subject(i)->name), name) == 0) {
            *id = i;
            return tables_subject(i);
        }
    }
    fail_msg("no subject %s", name);
    return NULL;
}

static void header_names_this_format_and_seals_the_blob(void **state)
{
    (void)state;
    assert_int_equal(tables->magic, MOAT_TABLES_MAGIC);
    assert_int_equal(tables->version, MOAT_TABLES_VERSION);
    assert_int_equal(tables->header_size, sizeof(struct moat_tables_header));
    assert_int_equal(tables->layout_hash, MOAT_TABLES_LAYOUT_HASH);
    assert_int_equal(tables->size, blob_filesz);
    assert_int_equal(tables->checksum,
                     moat_tables_checksum((const uint8_t *)tables, tables->size));
}

/* Every array 8-aligned, after the header, in header order, inside the blob. */
static void arrays_follow_the_header_in_order_and_aligned(void **state)
{
    (void)state;
    const struct moat_tables_array arrays[] = {
        tables->subjects, tables->plans, tables->frames, tables->sends, tables->resets,
        tables->irqs, tables->regions, tables->io_bitmaps, tables->strings,
    };
    const size_t sizes[] = {
        sizeof(struct moat_subject), sizeof(struct moat_plan), sizeof(struct moat_frame),
        sizeof(struct moat_event_route), sizeof(struct moat_reset),
        sizeof(struct moat_irq_route), sizeof(struct moat_ram_range),
        sizeof(struct moat_io_bitmap), 1,
    };
    uint64_t end = sizeof(struct moat_tables_header);
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
        assert_int_equal(arrays[i].offset % 8, 0);
        assert_true(arrays[i].offset >= end);
        end = arrays[i].offset + (uint64_t)arrays[i].count * sizes[i];
        assert_true(end <= tables->size);
    }
    /* Strings are NUL-ended: the last byte of the array is 0. */
    const char *strings = tables_string(0);
    assert_int_equal(strings[tables->strings.count - 1], 0);
}

static void system_header_matches_the_policy(void **state)
{
    (void)state;
    assert_string_equal(tables_string(tables->name), "pipeline");
    assert_int_equal(tables->cpu_count, 2);
    assert_int_equal(tables->tick_ns, 100000);
    assert_int_equal(tables_subject_count(), 4);
    assert_int_equal(tables_plan_count(), 2);
    assert_int_equal(tables->initial_plan, 0);
    assert_int_equal(tables->audit_size, 0x4000);
    assert_true(tables->audit_phys >= MOAT_ALLOC_PHYS_BASE);
    /* One state slot per subject, aligned, outside every subject's memory. */
    assert_int_equal(tables->state_size, 4 * MOAT_SUBJECT_STATE_SIZE);
    assert_int_equal(tables->state_phys % MOAT_SUBJECT_STATE_ALIGN, 0);
    assert_true(tables->state_phys >= MOAT_ALLOC_PHYS_BASE);
}

static void subjects_start_at_their_entry_with_own_tables(void **state)
{
    (void)state;
    for (subject_id_t i = 0; i < tables_subject_count(); i++) {
        const struct moat_subject *s = tables_subject(i);
        assert_int_equal(s->entry, 0x400000);
        assert_int_equal(s->stack_top, MOAT_STACK_TOP);
        assert_int_equal(s->sinfo_virt, MOAT_SINFO_VIRT);
        assert_true(s->pml4 >= MOAT_ALLOC_PHYS_BASE && s->pml4 % MOAT_PAGE_SIZE == 0);
        for (subject_id_t j = 0; j < i; j++) {
            assert_int_not_equal(s->pml4, tables_subject(j)->pml4);
        }
        /* The state region is the kernel's: no subject's tables or sinfo lie in it. */
        assert_false(s->pml4 >= tables->state_phys &&
                     s->pml4 < tables->state_phys + tables->state_size);
        assert_false(s->sinfo_phys >= tables->state_phys &&
                     s->sinfo_phys < tables->state_phys + tables->state_size);
    }
    subject_id_t id;
    assert_int_equal(subject("producer", &id)->on_fault, MOAT_FAULT_RESTART);
    assert_int_equal(subject("filter", &id)->on_fault, MOAT_FAULT_STOP);
}

/* Each subject's sends and resets follow the previous subject's (index ranges). */
static void index_ranges_tile_the_arrays(void **state)
{
    (void)state;
    uint32_t send = 0;
    uint32_t reset = 0;
    for (subject_id_t i = 0; i < tables_subject_count(); i++) {
        const struct moat_subject *s = tables_subject(i);
        assert_int_equal(s->send_first, send);
        assert_int_equal(s->reset_first, reset);
        send += s->send_count;
        reset += s->reset_count;
    }
    assert_int_equal(send, tables->sends.count);
    assert_int_equal(reset, tables->resets.count);
    uint32_t frame = 0;
    for (plan_id_t p = 0; p < tables_plan_count(); p++) {
        for (uint32_t c = 0; c < tables->cpu_count; c++) {
            assert_int_equal(tables_plan(p)->cpus[c].frame_first, frame);
            frame += tables_plan(p)->cpus[c].frame_count;
        }
        for (uint32_t c = tables->cpu_count; c < MOAT_MAX_CPUS; c++) {
            assert_int_equal(tables_plan(p)->cpus[c].frame_count, 0);
        }
    }
    assert_int_equal(frame, tables->frames.count);
}

static void event_routes_follow_the_actions(void **state)
{
    (void)state;
    subject_id_t producer_id;
    subject_id_t filter_id;
    subject_id_t control_id;
    const struct moat_subject *producer = subject("producer", &producer_id);
    subject("filter", &filter_id);
    const struct moat_subject *control = subject("control", &control_id);
    assert_int_equal(producer->send_count, 1);
    assert_int_equal(tables_send(producer, 0)->action, MOAT_ACTION_NOTIFY);
    assert_int_equal(tables_send(producer, 0)->target, filter_id);
    assert_int_equal(tables_send(producer, 0)->target_event, 0);
    assert_int_equal(control->send_count, 3);
    assert_int_equal(tables_send(control, 0)->action, MOAT_ACTION_POWEROFF);
    assert_int_equal(tables_send(control, 1)->action, MOAT_ACTION_RESTART);
    assert_int_equal(tables_send(control, 1)->target, filter_id);
    assert_int_equal(tables_send(control, 2)->action, MOAT_ACTION_SWITCH_PLAN);
    assert_int_equal(tables_send(control, 2)->plan, 1);
    subject_id_t logger_id;
    const struct moat_subject *logger = subject("logger", &logger_id);
    assert_int_equal(tables_send(logger, 0)->action, MOAT_ACTION_UNMASK_IRQ);
    assert_int_equal(tables_send(logger, 0)->irq, 4);
}

static void resets_restore_segments_and_zero_the_rest(void **state)
{
    (void)state;
    subject_id_t id;
    const struct moat_subject *producer = subject("producer", &id);
    /* The writable segment from its pristine copy, then the stack, then 'scratch'. */
    assert_int_equal(producer->reset_count, 3);
    assert_int_not_equal(tables_reset(producer, 0)->src, 0);
    assert_int_equal(tables_reset(producer, 0)->size, 0x3000);
    assert_int_equal(tables_reset(producer, 1)->src, 0);
    assert_int_equal(tables_reset(producer, 1)->size, 0x10000);
    assert_int_equal(tables_reset(producer, 2)->src, 0);
    assert_int_equal(tables_reset(producer, 2)->size, 0x10000);
    assert_true(producer->reset_count <= MOAT_MAX_RESETS);
}

static bool port_allowed(const uint8_t *bitmap, unsigned port)
{
    return (bitmap[port / 8] & (1u << (port % 8))) == 0;
}

static void io_bitmaps_open_exactly_the_granted_ports(void **state)
{
    (void)state;
    subject_id_t id;
    const struct moat_subject *logger = subject("logger", &id);
    assert_non_null(tables_io_bitmap(logger));
    for (unsigned port = 0; port < 0x10000; port++) {
        assert_int_equal(port_allowed(tables_io_bitmap(logger), port),
                         port >= 0x3f8 && port <= 0x3ff);
    }
    assert_int_equal(subject("producer", &id)->io_bitmap, MOAT_TABLES_NONE);
    assert_int_equal(tables->io_bitmaps.count, 2);
    /* A <platform-device> opens its ports like an <ioport>, and nothing else. */
    const struct moat_subject *control = subject("control", &id);
    assert_non_null(tables_io_bitmap(control));
    for (unsigned port = 0; port < 0x10000; port++) {
        assert_int_equal(port_allowed(tables_io_bitmap(control), port),
                         port == 0x70 || port == 0x71);
    }
}

/* logger receives irq 'uart_rx' (id 0), timer 'poll' (id 1) and notify 'flush' (id 2):
 * only the timer's bit is a timer grant. */
static void timer_grants_mark_only_timer_ids(void **state)
{
    (void)state;
    subject_id_t id;
    const struct moat_subject *logger = subject("logger", &id);
    const struct moat_subject *filter = subject("filter", &id);
    assert_int_equal(tables_irq(0)->event, 0);
    assert_int_equal(filter->send_count, 1);
    assert_int_equal(tables_send(filter, 0)->target_event, 2);
    assert_int_equal(logger->timer_events, 1ULL << 1);
    assert_int_equal(subject("producer", &id)->timer_events, 1ULL << 0);
    /* Receives notify 'samples_ready' as id 0 but has no timer. */
    assert_int_equal(filter->timer_events, 0);
    assert_int_equal(subject("control", &id)->timer_events, 0);
}

static void plans_hold_every_cpu_and_idle_frames(void **state)
{
    (void)state;
    const struct moat_plan *safe = tables_plan(1);
    assert_string_equal(tables_string(safe->name), "safe");
    assert_int_equal(safe->major_ticks, 20);
    assert_int_equal(safe->cpus[0].frame_count, 2);
    assert_int_equal(tables_frame(1, 0, 1)->subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(tables_frame(1, 0, 1)->ticks, 10);
    for (plan_id_t p = 0; p < tables_plan_count(); p++) {
        for (uint32_t c = 0; c < tables->cpu_count; c++) {
            uint64_t total = 0;
            for (uint32_t f = 0; f < tables_plan(p)->cpus[c].frame_count; f++) {
                total += tables_frame(p, c, f)->ticks;
            }
            assert_int_equal(total, tables_plan(p)->major_ticks);
        }
    }
}

static void irqs_and_regions_are_listed(void **state)
{
    (void)state;
    assert_int_equal(tables_irq_count(), 1);
    subject_id_t logger_id;
    subject("logger", &logger_id);
    assert_int_equal(tables_irq(0)->line, 4);
    assert_int_equal(tables_irq(0)->subject, logger_id);
    assert_int_equal(tables_irq(0)->event, 0);
    /* The allocated run from 16M (the state region included) and the pinned 'log'
     * channel at 128M. */
    assert_int_equal(tables_region_count(), 2);
    assert_int_equal(tables_region(0)->base, MOAT_ALLOC_PHYS_BASE);
    assert_true(tables->state_phys + tables->state_size <=
                tables_region(0)->base + tables_region(0)->size);
    assert_int_equal(tables_region(1)->base, 0x8000000);
    assert_int_equal(tables_region(1)->size, 0x2000);
    for (uint32_t i = 0; i < tables_region_count(); i++) {
        const struct moat_ram_range *r = tables_region(i);
        for (subject_id_t s = 0; s < tables_subject_count(); s++) {
            paddr_t sinfo = tables_subject(s)->sinfo_phys;
            if (sinfo >= r->base && sinfo < r->base + r->size) {
                assert_true(sinfo + 0x4000 <= r->base + r->size);
            }
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_polc_tables IMAGE.elf\n");
        return 2;
    }
    image_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_names_this_format_and_seals_the_blob),
        cmocka_unit_test(arrays_follow_the_header_in_order_and_aligned),
        cmocka_unit_test(system_header_matches_the_policy),
        cmocka_unit_test(subjects_start_at_their_entry_with_own_tables),
        cmocka_unit_test(index_ranges_tile_the_arrays),
        cmocka_unit_test(event_routes_follow_the_actions),
        cmocka_unit_test(resets_restore_segments_and_zero_the_rest),
        cmocka_unit_test(io_bitmaps_open_exactly_the_granted_ports),
        cmocka_unit_test(timer_grants_mark_only_timer_ids),
        cmocka_unit_test(plans_hold_every_cpu_and_idle_frames),
        cmocka_unit_test(irqs_and_regions_are_listed),
    };
    return cmocka_run_group_tests_name("tables blob in the image", tests, load_blob, NULL);
}
