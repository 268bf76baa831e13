/*
 * The system the tests of tables_check (test_tables_header.c, test_tables_records.c)
 * corrupt, one rule at a time: two CPUs, three subjects using every route kind, the most
 * routes and reset steps a subject may have (gamma), I/O bitmaps, two plans, IRQ lines
 * 0 and 23, two adjacent regions (the first at the kernel's end), a kernel log channel
 * per CPU. Ranges end right at region ends where they can: the valid blob is at every
 * limit, so a check one too strict refuses it.
 */
#ifndef MOAT_TESTS_CHECK_FIXTURE_H
#define MOAT_TESTS_CHECK_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <moat/sinfo_format.h>

#include "../core/tables.h"
#include "blob.h"
#include "fake_arch.h"

#define P(offset) ((paddr_t)FAKE_MEM_BASE + (offset))

enum { ALPHA = 0, BETA = 1, GAMMA = 2, SUBJECTS = 3 };
/* alpha's routes. */
enum { SEND_NOTIFY = 0, SEND_SWITCH = 1, SEND_UNMASK = 2, SEND_RESTART = 3, SEND_STOP = 4 };
/* Region 0 is [0, 0x20000) of fake memory, region 1 the rest (the builder's pages). */
#define REGION0_SIZE 0x20000u
#define ALPHA_PML4 P(REGION0_SIZE - MOAT_PAGE_SIZE) /* the last page of region 0 */
#define GAMMA_PML4 P(REGION0_SIZE)                  /* the first page of region 1 */
#define KLOG0_PHYS P(0x4000u)
#define KLOG1_PHYS P(0x6000u) /* right after CPU 0's */
#define KLOG_SIZE 0x2000u
#define ALPHA_SINFO (KLOG0_PHYS - sizeof(struct moat_sinfo)) /* ends where a klog starts */
#define AUDIT_PHYS P(0x18000u) /* ends where alpha's pml4 starts */
#define AUDIT_SIZE 0x7000u

/* Records of the built blob, for a test to change. */
static inline struct moat_tables_header *hdr(void)
{
    return blob_header();
}

static inline struct moat_subject *subject(uint32_t i)
{
    return blob_record(hdr()->subjects, sizeof(struct moat_subject), i);
}

static inline struct moat_event_route *route(uint32_t subject_id, uint32_t id)
{
    return blob_record(hdr()->sends, sizeof(struct moat_event_route),
                       subject(subject_id)->send_first + id);
}

static inline struct moat_reset *reset(uint32_t subject_id, uint32_t i)
{
    return blob_record(hdr()->resets, sizeof(struct moat_reset),
                       subject(subject_id)->reset_first + i);
}

static inline struct moat_plan *plan(uint32_t p)
{
    return blob_record(hdr()->plans, sizeof(struct moat_plan), p);
}

static inline struct moat_frame *frame(uint32_t p, uint32_t cpu, uint32_t f)
{
    return blob_record(hdr()->frames, sizeof(struct moat_frame),
                       plan(p)->cpus[cpu].frame_first + f);
}

static inline struct moat_irq_route *irq(uint32_t i)
{
    return blob_record(hdr()->irqs, sizeof(struct moat_irq_route), i);
}

static inline struct moat_ram_range *region(uint32_t i)
{
    return blob_record(hdr()->regions, sizeof(struct moat_ram_range), i);
}

static inline char *strings(void)
{
    return blob_record(hdr()->strings, 1u, 0);
}

/* cmocka setup: a fresh fake machine and the valid blob built (not yet checked). */
int check_setup(void **state);
/* The blob at `blob` is refused, naming `why` on one line, and leaves no tables. */
void assert_refused_at(const void *blob, uint64_t capacity, const char *why);
/* The test's change, sealed again: only the rule the test names can refuse it. */
void assert_refused(const char *why);

#define CHECK_TEST(f) cmocka_unit_test_setup(f, check_setup)

#endif /* MOAT_TESTS_CHECK_FIXTURE_H */
