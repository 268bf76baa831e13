/*
 * The boot check of the tables blob (moat/abi/tables.h), run once before any subject
 * starts. It reads nothing of the machine: it checks the blob alone against the format
 * (header, array bounds, limits, every index and offset, frame sums, physical ranges
 * inside the blob's regions), so that the hot paths can index the tables unchecked.
 * What holds afterwards is listed in docs/architecture.md ("The tables blob"). Every
 * refusal is one line naming the record and the value that is wrong.
 */
#include <moat/sinfo_format.h>

#include "core.h"
#include "tables_check.h"

const struct moat_tables_header *tables;

/* The record a refusal names: "subject 3 (name) send 2", "plan 0 (main) cpu 1", ... */
static const char *rec_kind;
static uint32_t rec_index;
static uint32_t rec_name; /* into strings, MOAT_TABLES_NONE: no name (yet) */
const char *tables_rec_part;
uint32_t tables_rec_part_index;

/* For the proof (proof/kernel): print_ok as one predicate, kept whole by the checks'
 * contracts (tables_check unfolds it); what a refusal may print is NUL-ended. */
/*@ predicate print_fine{L} = print_ok;
    predicate rec_ok{L} =
      (rec_kind == \null || STR_OK(rec_kind)) &&
      (tables_rec_part == \null || STR_OK(tables_rec_part)) &&
      (rec_name != MOAT_TABLES_NONE ==> rec_name_ok(rec_name));
*/

void tables_rec_at(const char *kind, uint32_t index, uint32_t name)
{
    rec_kind = kind;
    rec_index = index;
    rec_name = name;
    tables_rec_part = NULL;
}

static void tables_print_value(uint64_t v, bool hex)
{
    if (hex) {
        print_hex(v);
    } else {
        print_dec(v);
    }
}

bool tables_refuse_n(const char *what, uint64_t a, const char *sep, uint64_t b, bool hex)
{
    print_str("tables: ");
    if (rec_kind != NULL) {
        print_str(rec_kind);
        if (rec_index != MOAT_TABLES_NONE) {
            print_str(" ");
            print_dec(rec_index);
        }
        if (rec_name != MOAT_TABLES_NONE) {
            print_str(" (");
            print_str(tables_string(rec_name));
            print_str(")");
        }
        if (tables_rec_part != NULL) {
            print_str(" ");
            print_str(tables_rec_part);
            print_str(" ");
            print_dec(tables_rec_part_index);
        }
        print_str(": ");
    }
    print_str(what);
    print_str(": ");
    tables_print_value(a, hex);
    if (sep != NULL) {
        print_str(sep);
        tables_print_value(b, hex);
    }
    print_nl();
    tables = NULL;
    return false;
}

bool tables_refuse(const char *what, uint64_t a, const char *sep, uint64_t b)
{
    return tables_refuse_n(what, a, sep, b, false);
}

/* Whether [base, base + size) lies inside one region (sorted, disjoint: checked first). */
bool tables_in_region(paddr_t base, uint64_t size)
{
    uint32_t lo = 0;
    uint32_t hi = tables->regions.count;
    /* The last region whose base is <= base; 32 halvings cover any 32-bit count. */
    /*@ loop invariant 0 <= lo <= hi <= tables->regions.count && 0 <= i <= 32;
        loop invariant lo > 0 ==> fc_regions[lo - 1].base <= base;
        loop assigns i, lo, hi; */
    for (uint32_t i = 0; i < 32u && lo < hi; i++) {
        uint32_t mid = lo + (hi - lo) / 2u;
        if (tables_region(mid)->base <= base) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    if (lo == 0u || size > UINT64_MAX - base) {
        return false;
    }
    const struct moat_ram_range *r = tables_region(lo - 1u);
    return size <= r->size && base - r->base <= r->size - size;
}

bool tables_range_ok(const char *what, paddr_t base, uint64_t size)
{
    return tables_in_region(base, size) || tables_refuse_n(what, base, "+", size, true);
}

/* The kernel's own ranges (tables_check.h). */
paddr_t kernel_base[KERNEL_RANGES];
uint64_t kernel_size[KERNEL_RANGES];

bool tables_kernel_range_hit(const char *what, paddr_t base, uint64_t size, uint32_t self)
{
    /*@ loop invariant 0 <= k <= KERNEL_RANGES;
        loop invariant \forall integer j; 0 <= j < k && j != self ==>
          !overlap(base, size, kernel_base[j], kernel_size[j]);
        loop assigns k; */
    for (uint32_t k = 0; k < KERNEL_RANGES; k++) {
        if (k != self && size != 0u && kernel_size[k] != 0u &&
            (base >= kernel_base[k] ? base - kernel_base[k] < kernel_size[k] : kernel_base[k] - base < size)) {
            return !tables_refuse_n(what, base, " overlaps a kernel range at ", kernel_base[k], true);
        }
    }
    /*@ assert \forall integer c; 0 <= c < MOAT_MAX_CPUS && self != 2 + c ==>
          !overlap(base, size, kernel_base[2 + c], kernel_size[2 + c]); */
    /*@ assert \forall integer v; 0 <= v < MOAT_MAX_VMS && self != KERNEL_VM_RANGES + 2 * v ==>
          !overlap(base, size, kernel_base[KERNEL_VM_RANGES + 2 * v], kernel_size[KERNEL_VM_RANGES + 2 * v]); */
    /*@ assert \forall integer v; 0 <= v < MOAT_MAX_VMS && self != KERNEL_VM_RANGES + 2 * v + 1 ==>
          !overlap(base, size, kernel_base[KERNEL_VM_RANGES + 2 * v + 1],
                   kernel_size[KERNEL_VM_RANGES + 2 * v + 1]); */
    return false;
}

static bool header_ok(const struct moat_tables_header *h, uint64_t capacity)
{
    if (h->magic == 0u) {
        /* Two literals: the proof's valid_str lemmas go up to 80 characters (model.h). */
        print_str("no tables: the tables segment is empty ");
        print_str("(moat-polc build writes the system's tables into it)");
        print_nl();
        return false;
    }
    if (h->magic != MOAT_TABLES_MAGIC) {
        return tables_refuse_n("bad magic", h->magic, NULL, 0, true);
    }
    if (h->version != MOAT_TABLES_VERSION) {
        return tables_refuse("bad version", h->version, ", this kernel reads ", MOAT_TABLES_VERSION);
    }
    if (h->header_size != sizeof(*h)) {
        return tables_refuse("bad header size", h->header_size, ", this kernel's is ", sizeof(*h));
    }
    if (h->layout_hash != MOAT_TABLES_LAYOUT_HASH) {
        return tables_refuse_n("bad layout hash (moat-polc and kernel from other builds)",
                        h->layout_hash, ", this kernel's is ", MOAT_TABLES_LAYOUT_HASH, true);
    }
    if (h->size > capacity) {
        return tables_refuse("size beyond capacity", h->size, " > ", capacity);
    }
    if (h->size < sizeof(*h)) {
        return tables_refuse("size below the header", h->size, " < ", sizeof(*h));
    }
    uint64_t sum = moat_tables_checksum((const uint8_t *)h, h->size);
    if (sum != h->checksum) {
        return tables_refuse_n("bad checksum", h->checksum, ", the blob's is ", sum, true);
    }
    return true;
}

/* An array: 8-aligned, after the header, inside the blob, at most `max` records. */
static bool array_ok(const char *name, struct moat_tables_array a, uint64_t record, uint64_t max)
{
    tables_rec_at(name, MOAT_TABLES_NONE, MOAT_TABLES_NONE);
    if (a.offset % 8u != 0u || a.offset < sizeof(struct moat_tables_header)) {
        return tables_refuse("misaligned or inside the header, offset", a.offset, NULL, 0);
    }
    if (a.offset + (uint64_t)a.count * record > tables->size) {
        return tables_refuse("beyond the blob, offset", a.offset, ", records ", a.count);
    }
    if (a.count > max) {
        return tables_refuse("too many", a.count, ", at most ", max);
    }
    return true;
}

static bool arrays_ok(void)
{
    const struct moat_tables_header *h = tables;
    return array_ok("subjects", h->subjects, sizeof(struct moat_subject), MOAT_MAX_SUBJECTS) &&
           array_ok("plans", h->plans, sizeof(struct moat_plan), MOAT_MAX_PLANS) &&
           array_ok("frames", h->frames, sizeof(struct moat_frame),
                    MOAT_MAX_PLANS * MOAT_MAX_CPUS * MOAT_MAX_FRAMES_PER_CPU) &&
           array_ok("sends", h->sends, sizeof(struct moat_event_route),
                    MOAT_MAX_SUBJECTS * MOAT_MAX_EVENTS) &&
           array_ok("resets", h->resets, sizeof(struct moat_reset),
                    MOAT_MAX_SUBJECTS * MOAT_MAX_RESETS) &&
           array_ok("irqs", h->irqs, sizeof(struct moat_irq_route), MOAT_MAX_IRQS) &&
           array_ok("regions", h->regions, sizeof(struct moat_ram_range), MOAT_MAX_REGIONS) &&
           array_ok("io_bitmaps", h->io_bitmaps, sizeof(struct moat_io_bitmap), MOAT_MAX_SUBJECTS) &&
           array_ok("strings", h->strings, 1u, MOAT_TABLES_CAPACITY) &&
           array_ok("vms", h->vms, sizeof(struct moat_vm), MOAT_MAX_VMS);
}

/* The strings end with a NUL (names_ok), so a name that starts inside them ends there. */
static bool name_ok(const char *kind, uint32_t index, uint32_t name)
{
    tables_rec_at(kind, index, MOAT_TABLES_NONE);
    return name < tables->strings.count ||
           tables_refuse("bad name, offset", name, ", strings bytes ", tables->strings.count);
}

static bool names_ok(void)
{
    uint32_t count = tables->strings.count;
    tables_rec_at("strings", MOAT_TABLES_NONE, MOAT_TABLES_NONE);
    if (count == 0u || tables_string(0)[count - 1u] != '\0') {
        return tables_refuse("not NUL-ended, bytes", count, NULL, 0);
    }
    /*@ assert \forall integer off; 0 <= off < T_N ==>
          \valid_read(&fc_strings[off] + (0 .. T_N - 1 - off)) && (&fc_strings[off])[T_N - 1 - off] == 0; */
    /*@ assert STRINGS_OK; */
    if (!name_ok("system", MOAT_TABLES_NONE, tables->name)) {
        return false;
    }
    /*@ loop invariant 0 <= i <= T_S && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant rec_name == MOAT_TABLES_NONE && STRINGS_OK;
        loop invariant \forall integer s; 0 <= s < i ==> fc_subjects[s].name < T_N;
        loop assigns i, PRINT_STATE, TABLES_REC; */
    for (uint32_t i = 0; i < tables_subject_count(); i++) {
        if (!name_ok("subject", i, tables_subject((subject_id_t)i)->name)) {
            return false;
        }
    }
    /*@ loop invariant 0 <= p <= T_P && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant rec_name == MOAT_TABLES_NONE && STRINGS_OK;
        loop invariant \forall integer q; 0 <= q < p ==> fc_plans[q].name < T_N;
        loop assigns p, PRINT_STATE, TABLES_REC; */
    for (uint32_t p = 0; p < tables_plan_count(); p++) {
        if (!name_ok("plan", p, tables_plan((plan_id_t)p)->name)) {
            return false;
        }
    }
    return true;
}

/* Sorted, disjoint, non-empty, above the kernel's memory, not wrapping around. */
static bool regions_ok(void)
{
    paddr_t end = MOAT_KERNEL_PHYS_END;
    /*@ loop invariant 0 <= i <= tables->regions.count && rec_ok;
        loop invariant \forall integer j; 0 <= j < i ==> blob_region(j);
        loop invariant end == (i == 0 ? MOAT_KERNEL_PHYS_END : fc_regions[i - 1].base + fc_regions[i - 1].size);
        loop assigns i, end, rec_kind, rec_index, rec_name, tables_rec_part; */
    for (uint32_t i = 0; i < tables_region_count(); i++) {
        const struct moat_ram_range *r = tables_region(i);
        tables_rec_at("region", i, MOAT_TABLES_NONE);
        if (r->size == 0u) {
            return tables_refuse_n("empty, base", r->base, NULL, 0, true);
        }
        if (r->size > UINT64_MAX - r->base) {
            return tables_refuse_n("overflows", r->base, "+", r->size, true);
        }
        if (r->base < end) {
            return tables_refuse_n(i == 0u ? "below the kernel's end" : "unsorted or overlapping, base",
                            r->base, " < ", end, true);
        }
        end = r->base + r->size;
    }
    return true;
}

static bool irqs_ok(void)
{
    uint32_t lines = 0;
    /*@ loop invariant 0 <= i <= tables->irqs.count && rec_ok;
        loop invariant \forall integer j; 0 <= j < i ==> blob_irq(j);
        loop assigns i, lines, rec_kind, rec_index, rec_name, tables_rec_part; */
    for (uint32_t i = 0; i < tables_irq_count(); i++) {
        const struct moat_irq_route *r = tables_irq(i);
        tables_rec_at("irq", i, MOAT_TABLES_NONE);
        if (r->line >= MOAT_MAX_IRQS) {
            return tables_refuse("bad line", r->line, ", lines ", MOAT_MAX_IRQS);
        }
        if ((lines & (1u << r->line)) != 0u) {
            return tables_refuse("duplicate line", r->line, NULL, 0);
        }
        lines |= 1u << r->line;
        if (r->subject >= tables_subject_count()) {
            return tables_refuse("bad subject", r->subject, ", subjects ", tables_subject_count());
        }
        if (r->event >= MOAT_MAX_EVENTS) {
            return tables_refuse("bad event", r->event, ", events ", MOAT_MAX_EVENTS);
        }
    }
    return true;
}

static bool irq_routed(uint8_t line)
{
    /*@ loop invariant 0 <= i <= tables->irqs.count;
        loop assigns i; */
    for (uint32_t i = 0; i < tables_irq_count(); i++) {
        if (tables_irq(i)->line == line) {
            return true;
        }
    }
    return false;
}

/* Outgoing event `id` of subject s: what it names exists. */
static bool send_ok(const struct moat_subject *s, uint32_t id)
{
    const struct moat_event_route *r = tables_send(s, id);
    tables_rec_part = "send";
    tables_rec_part_index = id;
    if (r->action >= MOAT_ACTION_COUNT) {
        return tables_refuse("bad action", r->action, NULL, 0);
    }
    bool targeted = r->action == MOAT_ACTION_NOTIFY || r->action == MOAT_ACTION_RESTART ||
                    r->action == MOAT_ACTION_STOP;
    if (targeted && r->target >= tables_subject_count()) {
        return tables_refuse("bad target", r->target, ", subjects ", tables_subject_count());
    }
    if (r->action == MOAT_ACTION_NOTIFY && r->target_event >= MOAT_MAX_EVENTS) {
        return tables_refuse("bad target event", r->target_event, ", events ", MOAT_MAX_EVENTS);
    }
    if (r->action == MOAT_ACTION_SWITCH_PLAN && r->plan >= tables_plan_count()) {
        return tables_refuse("bad plan", r->plan, ", plans ", tables_plan_count());
    }
    if (r->action == MOAT_ACTION_UNMASK_IRQ && !irq_routed(r->irq)) {
        return tables_refuse("bad irq, line not routed", r->irq, NULL, 0);
    }
    return true;
}

static bool reset_ok(const struct moat_subject *s, uint32_t i)
{
    const struct moat_reset *r = tables_reset(s, i);
    tables_rec_part = "reset";
    tables_rec_part_index = i;
    /* Nor may it read what the kernel writes: the state region holds other subjects'
     * registers. */
    return tables_range_ok("dst outside the regions", r->dst, r->size) &&
           (r->src == 0u || tables_range_ok("src outside the regions", r->src, r->size)) &&
           !tables_kernel_range_hit("dst", r->dst, r->size, KERNEL_RANGES) &&
           (r->src == 0u || !tables_kernel_range_hit("src", r->src, r->size, KERNEL_RANGES));
}

static bool subject_ok(subject_id_t i)
{
    const struct moat_subject *s = tables_subject(i);
    tables_rec_at("subject", i, s->name);
    if (s->cpu >= tables->cpu_count) {
        return tables_refuse("bad cpu", s->cpu, ", cpus ", tables->cpu_count);
    }
    if (s->on_fault != MOAT_FAULT_STOP && s->on_fault != MOAT_FAULT_RESTART) {
        return tables_refuse("bad on_fault", s->on_fault, NULL, 0);
    }
    if (s->kind == MOAT_SUBJECT_VM) {
        if (!tables_vm_subject_ok(s)) {
            return false;
        }
    } else if (s->kind != MOAT_SUBJECT_NATIVE || s->vm != MOAT_TABLES_NONE) {
        return tables_refuse("bad kind", s->kind, ", vm ", s->vm);
    }
    if (s->send_count > MOAT_MAX_EVENTS ||
        (uint64_t)s->send_first + s->send_count > tables->sends.count) {
        return tables_refuse("bad sends", s->send_first, "+", s->send_count);
    }
    if (s->reset_count == 0u || s->reset_count > MOAT_MAX_RESETS ||
        (uint64_t)s->reset_first + s->reset_count > tables->resets.count) {
        return tables_refuse("bad resets", s->reset_first, "+", s->reset_count);
    }
    if (s->io_bitmap != MOAT_TABLES_NONE && s->io_bitmap >= tables->io_bitmaps.count) {
        return tables_refuse("bad io bitmap", s->io_bitmap, ", io bitmaps ", tables->io_bitmaps.count);
    }
    if (s->pml4 % MOAT_PAGE_SIZE != 0u || !tables_in_region(s->pml4, MOAT_PAGE_SIZE)) {
        return tables_refuse_n("pml4 outside the regions (or misaligned)", s->pml4, NULL, 0, true);
    }
    /* A top-level page table in memory the kernel writes (a subject's saved registers)
     * would be a mapping the subject chooses. */
    if (tables_kernel_range_hit("pml4", s->pml4, MOAT_PAGE_SIZE, KERNEL_RANGES)) {
        return false;
    }
    if (s->sinfo_phys != 0u &&
        (!tables_range_ok("sinfo outside the regions", s->sinfo_phys, sizeof(struct moat_sinfo)) ||
         tables_kernel_range_hit("sinfo", s->sinfo_phys, sizeof(struct moat_sinfo), KERNEL_RANGES))) {
        return false;
    }
    /*@ loop invariant 0 <= e <= s->send_count && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant rec_kind == \at(rec_kind, LoopEntry) && rec_name == \at(rec_name, LoopEntry);
        loop invariant \forall integer k; 0 <= k < e ==> blob_send(&fc_sends[s->send_first + k]);
        loop assigns e, PRINT_STATE, tables, tables_rec_part, tables_rec_part_index; */
    for (uint32_t e = 0; e < s->send_count; e++) {
        if (!send_ok(s, e)) {
            return false;
        }
    }
    /*@ loop invariant 0 <= r <= s->reset_count && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant \forall integer k; 0 <= k < r ==> blob_reset(&fc_resets[s->reset_first + k]);
        loop assigns r, PRINT_STATE, tables, tables_rec_part, tables_rec_part_index; */
    for (uint32_t r = 0; r < s->reset_count; r++) {
        if (!reset_ok(s, r)) {
            return false;
        }
    }
    return true;
}

/* CPU c's frames in plan p: 1 .. MOAT_MAX_FRAMES_PER_CPU inside the frames, each idle or
 * a subject pinned to c, each > 0 ticks, adding up to the major frame. */
static bool frames_ok(plan_id_t plan, uint32_t c)
{
    const struct moat_plan *p = tables_plan(plan);
    const struct moat_plan_cpu *pc = &p->cpus[c];
    tables_rec_part = "cpu";
    tables_rec_part_index = c;
    if (c >= tables->cpu_count) {
        return (pc->frame_first == 0u && pc->frame_count == 0u) ||
               tables_refuse("frames for an unused cpu", pc->frame_first, "+", pc->frame_count);
    }
    if (pc->frame_count == 0u || pc->frame_count > MOAT_MAX_FRAMES_PER_CPU) {
        return tables_refuse("bad frame count", pc->frame_count, ", at most ", MOAT_MAX_FRAMES_PER_CPU);
    }
    if ((uint64_t)pc->frame_first + pc->frame_count > tables->frames.count) {
        return tables_refuse("frames beyond frames", pc->frame_first, "+", pc->frame_count);
    }
    uint64_t total = 0;
    /*@ loop invariant 0 <= f <= pc->frame_count && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant total == frame_sum(pc->frame_first, f) && total <= f * 0xffffffff;
        // Over the frames' own index k: a trigger the solvers can match (not first + g).
        loop invariant \forall integer k; pc->frame_first <= k < pc->frame_first + f ==>
          blob_frame(&fc_frames[k], c);
        loop assigns f, total; */
    for (uint32_t f = 0; f < pc->frame_count; f++) {
        const struct moat_frame *fr = tables_frame(plan, c, f);
        if (fr->subject != MOAT_SUBJECT_IDLE &&
            (fr->subject >= tables_subject_count() || tables_subject(fr->subject)->cpu != c)) {
            return tables_refuse("frame subject not idle nor pinned to this cpu, frame", f,
                          ", subject ", fr->subject);
        }
        if (fr->ticks == 0u) {
            return tables_refuse("frame ticks 0, frame", f, NULL, 0);
        }
        /*@ assert fr == &fc_frames[pc->frame_first + f]; */
        /*@ assert blob_frame(&fc_frames[pc->frame_first + f], c); */
        total += fr->ticks;
    }
    return total == p->major_ticks || tables_refuse("ticks != major", total, " != ", p->major_ticks);
}

static bool plans_ok(void)
{
    /*@ loop invariant 0 <= i <= T_P && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant \forall integer q; 0 <= q < i ==> blob_plan(q);
        loop assigns i, PRINT_STATE, TABLES_REC; */
    for (uint32_t i = 0; i < tables_plan_count(); i++) {
        const struct moat_plan *p = tables_plan((plan_id_t)i);
        tables_rec_at("plan", i, p->name);
        if (p->major_ticks > MOAT_MAX_MAJOR_NS / tables->tick_ns) {
            return tables_refuse("major frame longer than 1000 s, ticks", p->major_ticks, NULL, 0);
        }
        /*@ assert p->major_ticks <= MOAT_MAX_MAJOR_NS / tables->tick_ns; */
        /*@ assert p->major_ticks * tables->tick_ns <= MOAT_MAX_MAJOR_NS; */
        /*@ loop invariant 0 <= c <= MOAT_MAX_CPUS && print_fine && rec_ok && tables == \at(tables, LoopEntry);
            loop invariant rec_kind == \at(rec_kind, LoopEntry) && rec_name == \at(rec_name, LoopEntry);
            loop invariant \forall integer d; 0 <= d < c ==> blob_plan_cpu(i, d);
            loop invariant p->major_ticks * tables->tick_ns <= MOAT_MAX_MAJOR_NS;
            loop assigns c, PRINT_STATE, tables, tables_rec_part, tables_rec_part_index; */
        for (uint32_t c = 0; c < MOAT_MAX_CPUS; c++) {
            if (!frames_ok((plan_id_t)i, c)) {
                return false;
            }
        }
        /*@ assert p == &fc_plans[i] && fc_plans[i].name < T_N; */
        /*@ assert p->major_ticks * tables->tick_ns <= MOAT_MAX_MAJOR_NS; */
        /*@ assert \forall integer d; 0 <= d < MOAT_MAX_CPUS ==> blob_plan_cpu(i, d); */
        /*@ assert blob_plan(i); */
    }
    return true;
}

/* The system's own fields: CPUs, tick, plans, the audit, kernel log and state ranges. */
static bool system_ok(void)
{
    const struct moat_tables_header *h = tables;
    tables_rec_at("system", MOAT_TABLES_NONE, h->name);
    if (h->cpu_count == 0u || h->cpu_count > MOAT_MAX_CPUS) {
        return tables_refuse("bad cpu count", h->cpu_count, ", at most ", MOAT_MAX_CPUS);
    }
    if (h->tick_ns == 0u || h->tick_ns > MOAT_MAX_MAJOR_NS) {
        return tables_refuse("bad tick ns", h->tick_ns, NULL, 0);
    }
    if (h->plans.count == 0u) {
        return tables_refuse("bad plan count", 0, NULL, 0);
    }
    if (h->initial_plan >= h->plans.count) {
        return tables_refuse("bad initial plan", h->initial_plan, ", plans ", h->plans.count);
    }
    /* MOAT_SUBJECT_IDLE: no reader (power actions then happen at once). */
    if (h->klog_size != 0u && h->klog_reader != MOAT_SUBJECT_IDLE &&
        h->klog_reader >= h->subjects.count) {
        return tables_refuse("bad klog reader", h->klog_reader, ", subjects ", h->subjects.count);
    }
    if (h->audit_size != 0u && !tables_range_ok("audit outside the regions", h->audit_phys, h->audit_size)) {
        return false;
    }
    /*@ loop invariant 0 <= c <= MOAT_MAX_CPUS && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant rec_name == \at(rec_name, LoopEntry) && rec_kind == \at(rec_kind, LoopEntry);
        loop invariant \forall integer d; 0 <= d < c && tables->klog_phys[d] != 0 ==>
          d < T_C && tables->klog_size != 0 && in_ram(tables->klog_phys[d], tables->klog_size);
        loop assigns c, PRINT_STATE, tables, tables_rec_part, tables_rec_part_index; */
    for (uint32_t c = 0; c < MOAT_MAX_CPUS; c++) {
        tables_rec_part = "klog";
        tables_rec_part_index = c;
        if (h->klog_phys[c] != 0u && (c >= h->cpu_count || h->klog_size == 0u)) {
            return tables_refuse_n("klog for an unused cpu or of size 0", h->klog_phys[c], NULL, 0, true);
        }
        if (h->klog_phys[c] != 0u &&
            !tables_range_ok("klog outside the regions", h->klog_phys[c], h->klog_size)) {
            return false;
        }
    }
    tables_rec_part = NULL;
    if (h->state_size != (uint64_t)h->subjects.count * MOAT_SUBJECT_STATE_SIZE) {
        return tables_refuse("bad state size", h->state_size, ", subjects ", h->subjects.count);
    }
    if (h->state_size != 0u && (h->state_phys % MOAT_SUBJECT_STATE_ALIGN != 0u ||
                                !tables_in_region(h->state_phys, h->state_size))) {
        return tables_refuse_n("state outside the regions (or misaligned)", h->state_phys, "+",
                        h->state_size, true);
    }
    kernel_base[0] = h->state_phys;
    kernel_size[0] = h->state_size;
    kernel_base[1] = h->audit_phys;
    kernel_size[1] = h->audit_size;
    /*@ loop invariant 0 <= c <= MOAT_MAX_CPUS;
        loop invariant \forall integer d; 0 <= d < c ==> kernel_base[2 + d] == tables->klog_phys[d] &&
          kernel_size[2 + d] == (tables->klog_phys[d] != 0 ? tables->klog_size : 0);
        loop assigns c, kernel_base[2 .. KERNEL_VM_RANGES - 1], kernel_size[2 .. KERNEL_VM_RANGES - 1]; */
    for (uint32_t c = 0; c < MOAT_MAX_CPUS; c++) {
        kernel_base[2u + c] = h->klog_phys[c];
        kernel_size[2u + c] = h->klog_phys[c] != 0u ? h->klog_size : 0u;
    }
    if (!tables_vms_ok()) {
        return false;
    }
    tables_rec_at("system", MOAT_TABLES_NONE, h->name);
    /*@ loop invariant 0 <= k <= KERNEL_RANGES && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant \forall integer j; 0 <= j < k ==> kr_clear_but(kernel_base[j], kernel_size[j], j);
        loop assigns k, PRINT_STATE, tables; */
    for (uint32_t k = 0; k < KERNEL_RANGES; k++) {
        if (tables_kernel_range_hit("kernel range", kernel_base[k], kernel_size[k], k)) {
            return false;
        }
    }
    return true;
}

bool tables_check(const void *blob, uint64_t capacity)
{
    const struct moat_tables_header *h = blob;
    tables = NULL;
    tables_rec_at(NULL, 0, MOAT_TABLES_NONE);
    if (capacity < sizeof(*h)) {
        return tables_refuse("capacity below the header", capacity, NULL, 0);
    }
    if (!header_ok(h, capacity)) {
        return false;
    }
    tables = h;
    tables_vms_used = 0;
    if (!arrays_ok() || !names_ok() || !regions_ok() || !system_ok() || !irqs_ok()) {
        return false;
    }
    /*@ loop invariant 0 <= i <= T_S && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant \forall integer s; 0 <= s < i ==> blob_subject(&fc_subjects[s]);
        loop assigns i, PRINT_STATE, TABLES_REC, tables_vms_used; */
    for (uint32_t i = 0; i < tables_subject_count(); i++) {
        if (!subject_ok((subject_id_t)i)) {
            return false;
        }
    }
    /* Each VM record is some subject's (tables_vm_subject_ok: at most one's). */
    tables_rec_at("vms", MOAT_TABLES_NONE, MOAT_TABLES_NONE);
    if (tables_vms_used != (1u << tables->vms.count) - 1u) {
        return tables_refuse_n("a vm no subject uses, used mask", tables_vms_used, NULL, 0, true);
    }
    return tables_vm_patches_ok() && plans_ok();
}
