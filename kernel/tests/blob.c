/*
 * The test-side blob writer: see blob.h. The layout follows moat/abi/tables.h: the
 * header, then each array at the next multiple of 8 in header order, strings last.
 */
#include "blob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../core/tables.h"
#include "fake_arch.h"

uint64_t blob_buffer[BLOB_CAPACITY / sizeof(uint64_t)];

/* What the state region holds before the kernel prepares it. */
#define BLOB_STATE_POISON 0xa5

/* The default reset step of a subject without one: 16 bytes to zero. */
#define BLOB_DEFAULT_RESET_SIZE 16u

struct blob_writer {
    uint8_t *base;
    uint32_t used;
    paddr_t place; /* the next free physical address for placed memory */
};

static void *blob_take(struct blob_writer *w, uint32_t size)
{
    w->used = (w->used + 7u) & ~7u;
    if (w->used + (uint64_t)size > BLOB_CAPACITY) {
        abort();
    }
    void *p = w->base + w->used;
    w->used += size;
    return p;
}

static struct moat_tables_array blob_array(struct blob_writer *w, uint32_t count,
                                           uint32_t record_size, void **records)
{
    struct moat_tables_array a;
    *records = blob_take(w, count * record_size);
    a.offset = (uint32_t)((uint8_t *)*records - w->base);
    a.count = count;
    return a;
}

static paddr_t blob_place(struct blob_writer *w, uint64_t size, uint64_t align)
{
    paddr_t p = (w->place + align - 1u) & ~(align - 1u);
    if (p + size > FAKE_MEM_BASE + FAKE_MEM_SIZE) {
        abort();
    }
    w->place = p + size;
    return p;
}

/* Strings are appended as the records name them; `strings` is the array's start. */
static uint32_t blob_string(struct blob_writer *w, uint32_t strings, const char *s)
{
    size_t len = strlen(s) + 1u;
    if (w->used + len > BLOB_CAPACITY) {
        abort();
    }
    memcpy(w->base + w->used, s, len);
    w->used += (uint32_t)len;
    return w->used - (uint32_t)len - strings;
}

static uint32_t blob_send_total(const struct blob_system *sys)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < sys->subject_count; i++) {
        n += (uint32_t)sys->subjects[i].send_count + sys->subjects[i].send_padding;
    }
    return n;
}

static uint32_t blob_reset_total(const struct blob_system *sys, uint32_t *io_bitmaps)
{
    uint32_t n = 0;
    *io_bitmaps = 0;
    for (uint32_t i = 0; i < sys->subject_count; i++) {
        n += sys->subjects[i].reset_count != 0u ? sys->subjects[i].reset_count : 1u;
        *io_bitmaps += sys->subjects[i].io_bitmap != NULL ? 1u : 0u;
    }
    return n;
}

static uint32_t blob_frame_total(const struct blob_system *sys)
{
    uint32_t n = 0;
    for (uint32_t p = 0; p < sys->plan_count; p++) {
        for (uint32_t c = 0; c < sys->cpu_count; c++) {
            n += sys->plans[p].cpus[c].frame_count;
        }
    }
    return n;
}

static void blob_subjects(struct blob_writer *w, const struct blob_system *sys,
                          struct moat_tables_header *h)
{
    struct moat_subject *subjects;
    struct moat_event_route *sends;
    struct moat_reset *resets;
    struct moat_io_bitmap *io;
    uint32_t io_count;
    uint32_t reset_count = blob_reset_total(sys, &io_count);
    h->subjects = blob_array(w, sys->subject_count, sizeof(*subjects), (void **)&subjects);
    h->sends = blob_array(w, blob_send_total(sys), sizeof(*sends), (void **)&sends);
    h->resets = blob_array(w, reset_count, sizeof(*resets), (void **)&resets);
    h->io_bitmaps = blob_array(w, io_count, sizeof(*io), (void **)&io);
    struct moat_vm *vms;
    uint32_t vm_count = 0;
    for (uint32_t i = 0; i < sys->subject_count; i++) {
        vm_count += sys->subjects[i].vm != NULL ? 1u : 0u;
    }
    h->vms = blob_array(w, vm_count, sizeof(*vms), (void **)&vms);
    uint32_t vm = 0;
    uint32_t send = 0;
    uint32_t reset = 0;
    uint32_t bitmap = 0;
    for (uint32_t i = 0; i < sys->subject_count; i++) {
        const struct blob_subject *b = &sys->subjects[i];
        struct moat_subject *s = &subjects[i];
        s->cpu = b->cpu;
        s->on_fault = b->on_fault;
        s->pml4 = b->pml4 != 0u ? b->pml4 : blob_place(w, MOAT_PAGE_SIZE, MOAT_PAGE_SIZE);
        s->sinfo_phys = b->sinfo_phys != 0u ? b->sinfo_phys
                                            : blob_place(w, MOAT_SINFO_SIZE, MOAT_PAGE_SIZE);
        s->entry = b->entry;
        s->stack_top = b->stack_top;
        s->sinfo_virt = b->sinfo_virt;
        s->timer_events = b->timer_events;
        s->vm = MOAT_TABLES_NONE;
        s->kind = MOAT_SUBJECT_NATIVE;
        if (b->vm != NULL) {
            vms[vm] = *b->vm;
            s->kind = MOAT_SUBJECT_VM;
            s->vm = vm++;
        }
        s->send_first = send;
        s->send_count = b->send_count;
        for (uint32_t e = 0; e < (uint32_t)b->send_count + b->send_padding; e++) {
            sends[send++] = b->sends[e];
        }
        s->reset_first = reset;
        if (b->reset_count == 0u) {
            s->reset_count = 1;
            resets[reset].dst = blob_place(w, MOAT_PAGE_SIZE, MOAT_PAGE_SIZE);
            resets[reset].src = 0;
            resets[reset].size = BLOB_DEFAULT_RESET_SIZE;
            reset++;
        } else {
            s->reset_count = b->reset_count;
            for (uint32_t r = 0; r < b->reset_count; r++) {
                resets[reset++] = b->resets[r];
            }
        }
        s->io_bitmap = MOAT_TABLES_NONE;
        if (b->io_bitmap != NULL) {
            memcpy(io[bitmap].bits, b->io_bitmap, MOAT_IO_BITMAP_SIZE);
            s->io_bitmap = bitmap++;
        }
    }
}

static void blob_plans(struct blob_writer *w, const struct blob_system *sys,
                       struct moat_tables_header *h, struct moat_plan **plans)
{
    struct moat_frame *frames;
    h->plans = blob_array(w, sys->plan_count, sizeof(**plans), (void **)plans);
    h->frames = blob_array(w, blob_frame_total(sys), sizeof(*frames), (void **)&frames);
    uint32_t frame = 0;
    for (uint32_t p = 0; p < sys->plan_count; p++) {
        const struct blob_plan *b = &sys->plans[p];
        (*plans)[p].major_ticks = b->major_ticks;
        for (uint32_t c = 0; c < sys->cpu_count; c++) {
            (*plans)[p].cpus[c].frame_first = frame;
            (*plans)[p].cpus[c].frame_count = b->cpus[c].frame_count;
            for (uint32_t f = 0; f < b->cpus[c].frame_count; f++) {
                frames[frame++] = b->cpus[c].frames[f];
            }
        }
    }
}

static void blob_machine(struct blob_writer *w, const struct blob_system *sys,
                         struct moat_tables_header *h)
{
    struct moat_irq_route *irqs;
    struct moat_ram_range *regions;
    h->irqs = blob_array(w, sys->irq_count, sizeof(*irqs), (void **)&irqs);
    memcpy(irqs, sys->irqs, sys->irq_count * sizeof(*irqs));
    if (sys->region_count == 0u) {
        h->regions = blob_array(w, 1, sizeof(*regions), (void **)&regions);
        regions[0].base = FAKE_MEM_BASE;
        regions[0].size = FAKE_MEM_SIZE;
    } else {
        h->regions = blob_array(w, sys->region_count, sizeof(*regions), (void **)&regions);
        memcpy(regions, sys->regions, sys->region_count * sizeof(*regions));
    }
}

uint64_t blob_build(const struct blob_system *sys)
{
    memset(blob_buffer, 0, sizeof(blob_buffer));
    struct blob_writer w = {.base = (uint8_t *)blob_buffer, .used = 0,
                            .place = FAKE_MEM_BASE + BLOB_PLACE_OFFSET};
    struct moat_tables_header *h = blob_take(&w, sizeof(*h));
    h->magic = MOAT_TABLES_MAGIC;
    h->version = MOAT_TABLES_VERSION;
    h->header_size = sizeof(*h);
    h->layout_hash = MOAT_TABLES_LAYOUT_HASH;
    h->cpu_count = sys->cpu_count;
    h->tick_ns = sys->tick_ns;
    h->initial_plan = sys->initial_plan;
    h->klog_reader = sys->klog_reader;
    h->audit_phys = sys->audit_phys;
    h->audit_size = sys->audit_size;
    memcpy(h->klog_phys, sys->klog_phys, sizeof(h->klog_phys));
    h->klog_size = sys->klog_size;
    h->state_size = sys->subject_count * MOAT_SUBJECT_STATE_SIZE;
    h->state_phys = blob_place(&w, h->state_size, MOAT_SUBJECT_STATE_ALIGN);
    /* RAM as the firmware leaves it: the kernel must not expect zeroes there. */
    memset(&fake.mem[h->state_phys - FAKE_MEM_BASE], BLOB_STATE_POISON, h->state_size);

    struct moat_plan *plans;
    blob_subjects(&w, sys, h);
    blob_plans(&w, sys, h, &plans);
    blob_machine(&w, sys, h);

    /* Strings last: the records above get their name offsets now. */
    w.used = (w.used + 7u) & ~7u;
    uint32_t strings = w.used;
    h->name = blob_string(&w, strings, sys->name);
    struct moat_subject *subjects = (struct moat_subject *)(w.base + h->subjects.offset);
    for (uint32_t i = 0; i < sys->subject_count; i++) {
        subjects[i].name = blob_string(&w, strings, sys->subjects[i].name);
    }
    for (uint32_t p = 0; p < sys->plan_count; p++) {
        plans[p].name = blob_string(&w, strings, sys->plans[p].name);
    }
    h->strings.offset = strings;
    h->strings.count = w.used - strings;

    h->size = (w.used + 7u) & ~7u;
    blob_seal();
    return h->size;
}

bool blob_load(const struct blob_system *sys)
{
    blob_build(sys);
    return tables_check(blob_buffer, BLOB_CAPACITY);
}

void blob_load_or_fail(const struct blob_system *sys)
{
    if (!blob_load(sys)) {
        fail_msg("tables_check refused the test's system: %s", fake.console);
    }
}

struct moat_tables_header *blob_header(void)
{
    return (struct moat_tables_header *)blob_buffer;
}

void *blob_record(struct moat_tables_array a, uint32_t record_size, uint32_t i)
{
    return (uint8_t *)blob_buffer + a.offset + (uint64_t)i * record_size;
}

void blob_seal(void)
{
    struct moat_tables_header *h = blob_header();
    h->checksum = moat_tables_checksum((const uint8_t *)blob_buffer, h->size);
}
