/*
 * Links the tables.c that moat-polc generated at build time for good/pipeline.xml and
 * checks that the kernel would read what the policy says: subjects, event routes,
 * reset steps, I/O bitmaps, plans with idle frames, IRQ routes and physical ranges.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "moat/abi/layout.h"
#include "moat/abi/tables.h"

static const struct moat_subject *subject(const char *name, subject_id_t *id)
{
    for (subject_id_t i = 0; i < moat_system.subject_count; i++) {
        if (strcmp(moat_system.subjects[i].name, name) == 0) {
            *id = i;
            return &moat_system.subjects[i];
        }
    }
    fail_msg("no subject %s", name);
    return NULL;
}

static void system_header_matches_the_policy(void **state)
{
    (void)state;
    assert_string_equal(moat_system.name, "pipeline");
    assert_int_equal(moat_system.cpu_count, 2);
    assert_int_equal(moat_system.tick_ns, 100000);
    assert_int_equal(moat_system.subject_count, 4);
    assert_int_equal(moat_system.plan_count, 2);
    assert_int_equal(moat_system.initial_plan, 0);
    assert_int_equal(moat_system.audit_size, 0x4000);
    assert_true(moat_system.audit_phys >= MOAT_ALLOC_PHYS_BASE);
}

static void subjects_start_at_their_entry_with_own_tables(void **state)
{
    (void)state;
    for (subject_id_t i = 0; i < moat_system.subject_count; i++) {
        const struct moat_subject *s = &moat_system.subjects[i];
        assert_int_equal(s->entry, 0x400000);
        assert_int_equal(s->stack_top, MOAT_STACK_TOP);
        assert_int_equal(s->sinfo_virt, MOAT_SINFO_VIRT);
        assert_true(s->pml4 >= MOAT_ALLOC_PHYS_BASE && s->pml4 % MOAT_PAGE_SIZE == 0);
        for (subject_id_t j = 0; j < i; j++) {
            assert_int_not_equal(s->pml4, moat_system.subjects[j].pml4);
        }
    }
    subject_id_t id;
    assert_int_equal(subject("producer", &id)->on_fault, MOAT_FAULT_RESTART);
    assert_int_equal(subject("filter", &id)->on_fault, MOAT_FAULT_STOP);
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
    assert_int_equal(producer->sends[0].action, MOAT_ACTION_NOTIFY);
    assert_int_equal(producer->sends[0].target, filter_id);
    assert_int_equal(producer->sends[0].target_event, 0);
    assert_int_equal(control->send_count, 3);
    assert_int_equal(control->sends[0].action, MOAT_ACTION_POWEROFF);
    assert_int_equal(control->sends[1].action, MOAT_ACTION_RESTART);
    assert_int_equal(control->sends[1].target, filter_id);
    assert_int_equal(control->sends[2].action, MOAT_ACTION_SWITCH_PLAN);
    assert_int_equal(control->sends[2].plan, 1);
    subject_id_t logger_id;
    const struct moat_subject *logger = subject("logger", &logger_id);
    assert_int_equal(logger->sends[0].action, MOAT_ACTION_UNMASK_IRQ);
    assert_int_equal(logger->sends[0].irq, 4);
}

static void resets_restore_segments_and_zero_the_rest(void **state)
{
    (void)state;
    subject_id_t id;
    const struct moat_subject *producer = subject("producer", &id);
    /* The writable segment from its pristine copy, then the stack, then 'scratch'. */
    assert_int_equal(producer->reset_count, 3);
    assert_int_not_equal(producer->resets[0].src, 0);
    assert_int_equal(producer->resets[0].size, 0x3000);
    assert_int_equal(producer->resets[1].src, 0);
    assert_int_equal(producer->resets[1].size, 0x10000);
    assert_int_equal(producer->resets[2].src, 0);
    assert_int_equal(producer->resets[2].size, 0x10000);
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
    assert_non_null(logger->io_bitmap);
    for (unsigned port = 0; port < 0x10000; port++) {
        assert_int_equal(port_allowed(logger->io_bitmap, port), port >= 0x3f8 && port <= 0x3ff);
    }
    assert_null(subject("producer", &id)->io_bitmap);
    /* A <platform-device> opens its ports like an <ioport>, and nothing else. */
    const struct moat_subject *control = subject("control", &id);
    assert_non_null(control->io_bitmap);
    for (unsigned port = 0; port < 0x10000; port++) {
        assert_int_equal(port_allowed(control->io_bitmap, port), port == 0x70 || port == 0x71);
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
    assert_int_equal(moat_system.irqs[0].event, 0);
    assert_int_equal(filter->send_count, 1);
    assert_int_equal(filter->sends[0].target_event, 2);
    assert_int_equal(logger->timer_events, 1ULL << 1);
    assert_int_equal(subject("producer", &id)->timer_events, 1ULL << 0);
    /* Receives notify 'samples_ready' as id 0 but has no timer. */
    assert_int_equal(filter->timer_events, 0);
    assert_int_equal(subject("control", &id)->timer_events, 0);
}

static void plans_hold_every_cpu_and_idle_frames(void **state)
{
    (void)state;
    const struct moat_plan *safe = &moat_system.plans[1];
    assert_string_equal(safe->name, "safe");
    assert_int_equal(safe->major_ticks, 20);
    assert_int_equal(safe->cpus[0].frame_count, 2);
    assert_int_equal(safe->cpus[0].frames[1].subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(safe->cpus[0].frames[1].ticks, 10);
    for (uint16_t p = 0; p < moat_system.plan_count; p++) {
        for (uint32_t c = 0; c < moat_system.cpu_count; c++) {
            const struct moat_cpu_schedule *cpu = &moat_system.plans[p].cpus[c];
            uint64_t total = 0;
            for (uint16_t f = 0; f < cpu->frame_count; f++) {
                total += cpu->frames[f].ticks;
            }
            assert_int_equal(total, moat_system.plans[p].major_ticks);
        }
    }
}

static void irqs_and_regions_are_listed(void **state)
{
    (void)state;
    assert_int_equal(moat_system.irq_count, 1);
    subject_id_t logger_id;
    subject("logger", &logger_id);
    assert_int_equal(moat_system.irqs[0].line, 4);
    assert_int_equal(moat_system.irqs[0].subject, logger_id);
    assert_int_equal(moat_system.irqs[0].event, 0);
    /* The allocated run from 16M and the pinned 'log' channel at 128M. */
    assert_int_equal(moat_system.region_count, 2);
    assert_int_equal(moat_system.regions[0].base, MOAT_ALLOC_PHYS_BASE);
    assert_int_equal(moat_system.regions[1].base, 0x8000000);
    assert_int_equal(moat_system.regions[1].size, 0x2000);
    for (uint32_t i = 0; i < moat_system.region_count; i++) {
        for (subject_id_t s = 0; s < moat_system.subject_count; s++) {
            paddr_t sinfo = moat_system.subjects[s].sinfo_phys;
            if (sinfo >= moat_system.regions[i].base &&
                sinfo < moat_system.regions[i].base + moat_system.regions[i].size) {
                assert_true(sinfo + 0x4000 <= moat_system.regions[i].base + moat_system.regions[i].size);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(system_header_matches_the_policy),
        cmocka_unit_test(subjects_start_at_their_entry_with_own_tables),
        cmocka_unit_test(event_routes_follow_the_actions),
        cmocka_unit_test(resets_restore_segments_and_zero_the_rest),
        cmocka_unit_test(io_bitmaps_open_exactly_the_granted_ports),
        cmocka_unit_test(timer_grants_mark_only_timer_ids),
        cmocka_unit_test(plans_hold_every_cpu_and_idle_frames),
        cmocka_unit_test(irqs_and_regions_are_listed),
    };
    return cmocka_run_group_tests_name("generated tables.c", tests, NULL, NULL);
}
