/*
 * The tables blob (moat/abi/tables.h): the header, then every array in header order,
 * each at an 8-aligned offset, records by index (a subject's sends, resets and I/O
 * bitmap, a plan's frames per CPU), names as offsets into the NUL-ended strings, and the
 * checksum written last. Only data from the policy goes in (no path, no time), so one
 * policy always gives the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "polc.h"

/* The host writes the records as the kernel reads them: both are x86-64 little-endian
 * with the same C layout (the layout hash pins what matters). */
_Static_assert(sizeof(struct moat_tables_header) % 8 == 0, "header keeps arrays 8-aligned");

struct polc_blob {
    struct polc_buf buf;
    struct polc_buf strings;
};

/* Appends a string (NUL-ended) and returns its offset in the strings array. */
static uint32_t polc_blob_string(struct polc_blob *b, const char *s)
{
    uint32_t at = (uint32_t)b->strings.len;
    polc_buf_append(&b->strings, s, strlen(s) + 1);
    return at;
}

/* Starts an array of count records of `size` bytes at the next 8-aligned offset; returns
 * where its records go (zeroed). */
static void *polc_blob_array(struct polc_blob *b, struct moat_tables_array *a, size_t count,
                             size_t size)
{
    polc_buf_zero(&b->buf, (8 - b->buf.len % 8) % 8);
    a->offset = (uint32_t)b->buf.len;
    a->count = (uint32_t)count;
    polc_buf_zero(&b->buf, count * size);
    return b->buf.data + a->offset;
}

static uint64_t polc_timer_events(const struct polc_subject *s)
{
    uint64_t mask = 0;
    for (size_t i = 0; i < s->timer_count; i++) {
        mask |= 1ULL << s->timers[i].event_id;
    }
    return mask;
}

static struct moat_tables_header *polc_blob_header(struct polc_blob *b)
{
    return (struct moat_tables_header *)(void *)b->buf.data;
}

/* The reset steps of one subject: writable segments from their pristine copies, then
 * the stack and every memory zeroed (a VM's: polc_vm_resets). */
static size_t polc_blob_resets(const struct polc_subject *s, struct moat_reset *out)
{
    if (s->vm != NULL) {
        return polc_vm_resets(s, out);
    }
    size_t n = 0;
    for (size_t i = 0; i < s->image.segment_count; i++) {
        const struct polc_segment *seg = &s->image.segments[i];
        if (seg->pristine != NULL) {
            if (out != NULL) {
                out[n] = (struct moat_reset){seg->region->phys, seg->pristine->phys, seg->size};
            }
            n++;
        }
    }
    if (out != NULL) {
        out[n] = (struct moat_reset){s->stack->phys, 0, s->stack->size};
    }
    n++;
    for (size_t i = 0; i < s->memory_count; i++) {
        if (out != NULL) {
            out[n] = (struct moat_reset){s->memories[i].region->phys, 0, s->memories[i].size};
        }
        n++;
    }
    return n;
}

static void polc_blob_route(const struct polc_event *ev, struct moat_event_route *r)
{
    r->action = ev->action;
    r->target_event = (uint8_t)(ev->action == MOAT_ACTION_NOTIFY ? ev->recv_id : 0);
    r->target = ev->to != NULL ? ev->to->id : 0;
    r->plan = ev->action == MOAT_ACTION_SWITCH_PLAN ? ev->plan : 0;
    r->irq = (uint8_t)(ev->irq != NULL ? ev->irq->irq_line : 0);
}

static uint64_t polc_align8(uint64_t v)
{
    return (v + 7) & ~7ULL;
}

/* The blob's size from the counts alone, as polc_gen_blob lays it out. */
uint64_t polc_blob_size(const struct polc_system *sys, size_t range_count)
{
    uint64_t frames = 0;
    for (size_t p = 0; p < sys->plan_count; p++) {
        for (size_t c = 0; c < sys->plans[p].cpu_count; c++) {
            frames += sys->plans[p].cpus[c].frame_count;
        }
    }
    uint64_t sends = 0;
    uint64_t resets = 0;
    uint64_t irqs = 0;
    uint64_t bitmaps = 0;
    uint64_t strings = strlen(sys->name) + 1;
    uint64_t vms = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        const struct polc_subject *s = &sys->subjects[i];
        vms += s->vm != NULL ? 1 : 0;
        sends += s->send_count;
        resets += polc_blob_resets(s, NULL);
        irqs += s->irq_count;
        bitmaps += s->ioport_count != 0 ? 1 : 0;
        strings += strlen(s->name) + 1;
    }
    for (size_t p = 0; p < sys->plan_count; p++) {
        strings += strlen(sys->plans[p].name) + 1;
    }
    uint64_t size = sizeof(struct moat_tables_header);
    size = polc_align8(size) + sys->subject_count * sizeof(struct moat_subject);
    size = polc_align8(size) + sys->plan_count * sizeof(struct moat_plan);
    size = polc_align8(size) + frames * sizeof(struct moat_frame);
    size = polc_align8(size) + sends * sizeof(struct moat_event_route);
    size = polc_align8(size) + resets * sizeof(struct moat_reset);
    size = polc_align8(size) + irqs * sizeof(struct moat_irq_route);
    size = polc_align8(size) + range_count * sizeof(struct moat_ram_range);
    size = polc_align8(size) + bitmaps * sizeof(struct moat_io_bitmap);
    size = polc_align8(size) + vms * sizeof(struct moat_vm);
    size = polc_align8(size) + strings;
    return polc_align8(size);
}

bool polc_gen_blob(struct polc_ctx *ctx, struct polc_buf *out)
{
    struct polc_system *sys = &ctx->sys;
    struct polc_blob b = {{0}, {0}};
    polc_buf_zero(&b.buf, sizeof(struct moat_tables_header));
    struct moat_tables_header h;
    memset(&h, 0, sizeof(h));
    h.magic = MOAT_TABLES_MAGIC;
    h.version = MOAT_TABLES_VERSION;
    h.header_size = sizeof(struct moat_tables_header);
    h.layout_hash = MOAT_TABLES_LAYOUT_HASH;
    h.name = polc_blob_string(&b, sys->name);
    h.cpu_count = (uint32_t)sys->cpu_count;
    h.tick_ns = sys->tick_ns;
    h.initial_plan = sys->initial_plan;
    h.klog_reader = MOAT_SUBJECT_IDLE;
    h.audit_phys = sys->audit->phys;
    h.audit_size = sys->audit->size;
    for (size_t i = 0; i < sys->channel_count; i++) {
        const struct polc_channel *ch = &sys->channels[i];
        if (ch->kernel_log) {
            h.klog_phys[ch->kernel_cpu] = ch->region->phys;
            h.klog_size = ch->size;
            h.klog_reader = ch->readers[0].subject->id;
        }
    }
    h.state_phys = sys->state->phys;
    h.state_size = sys->state->size;

    /* Index ranges first: each subject's sends and resets follow the previous one's. */
    size_t send_total = 0;
    size_t reset_total = 0;
    size_t bitmap_total = 0;
    size_t irq_total = 0;
    size_t vm_total = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        vm_total += s->vm != NULL ? 1 : 0;
        s->send_first = (uint32_t)send_total;
        s->reset_first = (uint32_t)reset_total;
        s->reset_count = (uint32_t)polc_blob_resets(s, NULL);
        send_total += s->send_count;
        reset_total += s->reset_count;
        bitmap_total += s->io_bitmap != NULL ? 1 : 0;
        irq_total += s->irq_count;
    }

    /* Each array is filled before the next one grows (and may move) the buffer. */
    polc_blob_array(&b, &h.subjects, sys->subject_count, sizeof(struct moat_subject));
    size_t bitmap_index = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        const struct polc_subject *s = &sys->subjects[i];
        struct moat_subject rec;
        memset(&rec, 0, sizeof(rec));
        rec.name = polc_blob_string(&b, s->name);
        rec.cpu = (uint16_t)s->cpu;
        rec.on_fault = s->on_fault;
        rec.pml4 = s->pagetable->phys;
        rec.entry = s->image.entry;
        rec.stack_top = MOAT_STACK_TOP;
        rec.sinfo_virt = MOAT_SINFO_VIRT;
        rec.sinfo_phys = s->sinfo->phys;
        rec.send_first = s->send_first;
        rec.send_count = (uint16_t)s->send_count;
        rec.reset_first = s->reset_first;
        rec.reset_count = (uint16_t)s->reset_count;
        rec.io_bitmap = s->io_bitmap != NULL ? (uint32_t)bitmap_index++ : MOAT_TABLES_NONE;
        rec.timer_events = polc_timer_events(s);
        rec.kind = MOAT_SUBJECT_NATIVE;
        rec.vm = MOAT_TABLES_NONE;
        if (s->vm != NULL) {
            /* Nested page tables; guest-physical entry and sinfo; no stack, no ports. */
            rec.kind = MOAT_SUBJECT_VM;
            rec.vm = s->vm->index;
            rec.entry = s->vm->entry_gpa;
            rec.stack_top = 0;
            rec.sinfo_virt = s->vm->sinfo_gpa;
        }
        memcpy(b.buf.data + h.subjects.offset + i * sizeof(rec), &rec, sizeof(rec));
    }

    struct moat_plan *plans = polc_blob_array(&b, &h.plans, sys->plan_count, sizeof(*plans));
    size_t frame_total = 0;
    for (size_t p = 0; p < sys->plan_count; p++) {
        const struct polc_plan *plan = &sys->plans[p];
        plans[p].name = polc_blob_string(&b, plan->name);
        plans[p].major_ticks = plan->major_ticks;
        for (size_t c = 0; c < plan->cpu_count; c++) {
            const struct polc_plan_cpu *cpu = &plan->cpus[c];
            plans[p].cpus[cpu->id].frame_count = (uint32_t)cpu->frame_count;
        }
        /* Frames in CPU order, each CPU's in document order. */
        for (uint64_t id = 0; id < sys->cpu_count; id++) {
            plans[p].cpus[id].frame_first = (uint32_t)frame_total;
            frame_total += plans[p].cpus[id].frame_count;
        }
    }
    struct moat_frame *frames = polc_blob_array(&b, &h.frames, frame_total, sizeof(*frames));
    plans = (struct moat_plan *)(void *)(b.buf.data + h.plans.offset);
    for (size_t p = 0; p < sys->plan_count; p++) {
        const struct polc_plan *plan = &sys->plans[p];
        for (size_t c = 0; c < plan->cpu_count; c++) {
            const struct polc_plan_cpu *cpu = &plan->cpus[c];
            struct moat_frame *f = &frames[plans[p].cpus[cpu->id].frame_first];
            for (size_t i = 0; i < cpu->frame_count; i++) {
                const struct polc_frame *fr = &cpu->frames[i];
                f[i].subject = fr->subject != NULL ? fr->subject->id : MOAT_SUBJECT_IDLE;
                f[i].ticks = (uint32_t)fr->ticks;
            }
        }
    }

    struct moat_event_route *sends = polc_blob_array(&b, &h.sends, send_total, sizeof(*sends));
    for (size_t i = 0; i < sys->subject_count; i++) {
        const struct polc_subject *s = &sys->subjects[i];
        for (size_t j = 0; j < s->send_count; j++) {
            polc_blob_route(s->sends[j], &sends[s->send_first + j]);
        }
    }

    struct moat_reset *resets = polc_blob_array(&b, &h.resets, reset_total, sizeof(*resets));
    for (size_t i = 0; i < sys->subject_count; i++) {
        const struct polc_subject *s = &sys->subjects[i];
        polc_blob_resets(s, &resets[s->reset_first]);
    }

    struct moat_irq_route *irqs = polc_blob_array(&b, &h.irqs, irq_total, sizeof(*irqs));
    size_t irq_index = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        const struct polc_subject *s = &sys->subjects[i];
        for (size_t j = 0; j < s->irq_count; j++) {
            irqs[irq_index++] = (struct moat_irq_route){(uint8_t)s->irqs[j].irq_line,
                                                        (uint8_t)s->irqs[j].event_id, s->id};
        }
    }

    struct polc_region **sorted = polc_regions_by_phys(sys);
    size_t range_count = polc_merged_regions(sys, sorted, NULL);
    struct moat_ram_range *ranges =
        polc_blob_array(&b, &h.regions, range_count, sizeof(*ranges));
    polc_merged_regions(sys, sorted, ranges);
    free(sorted);

    struct moat_io_bitmap *bitmaps =
        polc_blob_array(&b, &h.io_bitmaps, bitmap_total, sizeof(*bitmaps));
    bitmap_index = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        const struct polc_subject *s = &sys->subjects[i];
        if (s->io_bitmap != NULL) {
            memcpy(bitmaps[bitmap_index++].bits, s->io_bitmap, MOAT_IO_BITMAP_SIZE);
        }
    }

    struct moat_vm *vms = polc_blob_array(&b, &h.vms, vm_total, sizeof(*vms));
    for (size_t i = 0; i < sys->subject_count; i++) {
        const struct polc_vm *vm = sys->subjects[i].vm;
        if (vm == NULL) {
            continue;
        }
        struct moat_vm *rec = &vms[vm->index];
        rec->vmcb = vm->vmcb->phys;
        rec->boot_rsi = vm->boot_rsi;
        rec->ram_size = vm->ram_size;
        if (vm->console != NULL) {
            rec->console_phys = vm->console->region->phys;
            rec->console_size = vm->console->size;
        }
        if (vm->pristine_boot != NULL) {
            rec->tsc_khz_patch = vm->pristine_boot->phys + polc_vm_tsc_offset(&sys->subjects[i]);
        }
        memcpy(rec->vectors, vm->vectors, sizeof(rec->vectors));
    }
    uint8_t *strings = polc_blob_array(&b, &h.strings, b.strings.len, 1);
    memcpy(strings, b.strings.data, b.strings.len);
    polc_buf_zero(&b.buf, (8 - b.buf.len % 8) % 8);

    h.size = b.buf.len;
    memcpy(b.buf.data, &h, sizeof(h));
    polc_blob_header(&b)->checksum = moat_tables_checksum(b.buf.data, b.buf.len);
    polc_buf_free(&b.strings);

    /* The layout refused a policy whose blob would not fit (polc_blob_size). */
    bool ok = b.buf.len <= MOAT_TABLES_CAPACITY;
    polc_buf_append(out, b.buf.data, b.buf.len);
    polc_buf_free(&b.buf);
    return ok;
}
