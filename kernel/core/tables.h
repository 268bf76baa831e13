/*
 * The system's tables as the kernel reads them: the blob (moat/abi/tables.h) after
 * tables_check() has validated it whole. Every accessor below takes indices the check
 * has bounded (a subject id < subject count, a frame index < its CPU's frame count, ...),
 * so none checks again: the hot paths pay nothing for running on data.
 */
#ifndef MOAT_CORE_TABLES_H
#define MOAT_CORE_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include <moat/abi/tables.h>

/* The validated blob; NULL until tables_check() succeeds. Read-only after boot. */
extern const struct moat_tables_header *tables;

/*
 * Checks the blob at `blob` (at most `capacity` bytes reachable there): the header,
 * every count against the ABI limits, every index and offset against its array, the
 * frame sums, the physical ranges. Prints what and why on the first failure and
 * returns false; on success sets `tables` and returns true. The invariants it
 * establishes are listed in docs/architecture.md ("The tables blob").
 */
bool tables_check(const void *blob, uint64_t capacity);

static inline const void *tables_array(struct moat_tables_array a)
{
    return (const uint8_t *)tables + a.offset;
}

static inline uint32_t tables_subject_count(void)
{
    return tables->subjects.count;
}

static inline uint32_t tables_plan_count(void)
{
    return tables->plans.count;
}

static inline uint32_t tables_irq_count(void)
{
    return tables->irqs.count;
}

static inline uint32_t tables_region_count(void)
{
    return tables->regions.count;
}

static inline const struct moat_subject *tables_subject(subject_id_t id)
{
    return &((const struct moat_subject *)tables_array(tables->subjects))[id];
}

static inline const struct moat_plan *tables_plan(plan_id_t plan)
{
    return &((const struct moat_plan *)tables_array(tables->plans))[plan];
}

/* Frame f (< the CPU's frame_count) of CPU cpu (< cpu_count) in plan `plan`. */
static inline const struct moat_frame *tables_frame(plan_id_t plan, uint32_t cpu, uint32_t f)
{
    const struct moat_plan_cpu *c = &tables_plan(plan)->cpus[cpu];
    return &((const struct moat_frame *)tables_array(tables->frames))[c->frame_first + f];
}

/* Outgoing event `id` (< send_count) of subject `s`. */
static inline const struct moat_event_route *tables_send(const struct moat_subject *s,
                                                          uint32_t id)
{
    return &((const struct moat_event_route *)tables_array(tables->sends))[s->send_first + id];
}

/* Reset step i (< reset_count) of subject `s`. */
static inline const struct moat_reset *tables_reset(const struct moat_subject *s, uint32_t i)
{
    return &((const struct moat_reset *)tables_array(tables->resets))[s->reset_first + i];
}

static inline const struct moat_irq_route *tables_irq(uint32_t i)
{
    return &((const struct moat_irq_route *)tables_array(tables->irqs))[i];
}

static inline const struct moat_ram_range *tables_region(uint32_t i)
{
    return &((const struct moat_ram_range *)tables_array(tables->regions))[i];
}

/* The subject's I/O permission bitmap, or NULL when it has no ports. */
static inline const uint8_t *tables_io_bitmap(const struct moat_subject *s)
{
    if (s->io_bitmap == MOAT_TABLES_NONE) {
        return 0;
    }
    return ((const struct moat_io_bitmap *)tables_array(tables->io_bitmaps))[s->io_bitmap].bits;
}

/* A name (NUL-ended inside the strings array, checked). */
static inline const char *tables_string(uint32_t offset)
{
    return (const char *)tables_array(tables->strings) + offset;
}

#endif /* MOAT_CORE_TABLES_H */
