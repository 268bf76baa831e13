/*
 * A test-side writer of the tables blob (moat/abi/tables.h): a test describes its system
 * with plain C arrays, much as moat-polc sees a policy, and blob_build() lays the blob out
 * record by record (header, 8-aligned arrays, strings, layout hash, checksum) into
 * blob_buffer. What the blob points at in physical memory (the per-subject state region,
 * page-table and sinfo pages a description leaves 0) is placed in the fake machine's
 * memory; the state region is filled with garbage, as RAM the kernel has not prepared. Tests of tables_check() corrupt the built blob through blob_header() and
 * blob_seal() it again.
 */
#ifndef MOAT_TESTS_BLOB_H
#define MOAT_TESTS_BLOB_H

#include <stdbool.h>
#include <stdint.h>

#include <moat/abi/tables.h>

/* Bytes the test blob may take (tables_check's capacity in the tests). */
#define BLOB_CAPACITY 0x40000u

/* Where the builder places what a description does not (fake memory offsets): the state
 * region first, then one page-table page and one sinfo area per subject. */
#define BLOB_PLACE_OFFSET 0x80000u

struct blob_subject {
    const char *name;
    uint16_t cpu;
    uint8_t on_fault; /* enum moat_fault_action */
    /* Outgoing events: ids 0 .. send_count-1. `send_padding` more routes of the array are
     * laid out right after them, outside the subject's range (tests of the id bound). */
    const struct moat_event_route *sends;
    uint16_t send_count;
    uint16_t send_padding;
    /* Reset steps; none given: one zeroing step of 16 bytes in a placed page. */
    const struct moat_reset *resets;
    uint16_t reset_count;
    const uint8_t *io_bitmap; /* MOAT_IO_BITMAP_SIZE bytes, or NULL: no ports */
    uint64_t timer_events;
    paddr_t pml4;       /* 0: a placed page */
    paddr_t sinfo_phys; /* 0: a placed area of MOAT_SINFO_SIZE */
    vaddr_t entry;
    vaddr_t stack_top;
    vaddr_t sinfo_virt;
    /* A VM subject: its moat_vm record (the builder numbers the VMs in subject order). */
    const struct moat_vm *vm;
};

struct blob_cpu_frames {
    const struct moat_frame *frames;
    uint32_t frame_count;
};

struct blob_plan {
    const char *name;
    uint64_t major_ticks;
    struct blob_cpu_frames cpus[MOAT_MAX_CPUS];
};

struct blob_system {
    const char *name;
    uint32_t cpu_count;
    uint64_t tick_ns;
    plan_id_t initial_plan;
    subject_id_t klog_reader; /* MOAT_SUBJECT_IDLE: none */
    const struct blob_subject *subjects;
    uint32_t subject_count;
    const struct blob_plan *plans;
    uint32_t plan_count;
    const struct moat_irq_route *irqs;
    uint32_t irq_count;
    /* RAM ranges; none given: one covering the whole fake memory. */
    const struct moat_ram_range *regions;
    uint32_t region_count;
    paddr_t audit_phys;
    uint64_t audit_size;
    paddr_t klog_phys[MOAT_MAX_CPUS];
    uint64_t klog_size;
};

/* The blob, 8-aligned. */
extern uint64_t blob_buffer[BLOB_CAPACITY / sizeof(uint64_t)];

/* Lays `sys` out into blob_buffer and fake memory (after fake_reset); aborts if it does
 * not fit. Returns the blob's size. */
uint64_t blob_build(const struct blob_system *sys);
/* blob_build, then tables_check(blob_buffer, BLOB_CAPACITY): what a kernel does at boot. */
bool blob_load(const struct blob_system *sys);
/* blob_load, or fail the test with what tables_check printed. */
void blob_load_or_fail(const struct blob_system *sys);

struct moat_tables_header *blob_header(void);
/* Record i of an array of the built blob, for a test to change. */
void *blob_record(struct moat_tables_array a, uint32_t record_size, uint32_t i);
/* The checksum again, after a test changed the blob. */
void blob_seal(void);

#endif /* MOAT_TESTS_BLOB_H */
