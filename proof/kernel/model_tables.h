/*
 * The predicates of tables.c, tables_vm.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_tables.h.
 *
 * tables_ok is what tables_check establishes when it returns true (its postcondition,
 * proved by part kernel-tables), the precondition of every entry after boot: the ACSL
 * form of docs/architecture.md, "The tables blob", points 1-12, stated over the ghost
 * typed views of the blob's arrays (model.h: fc_subjects, fc_plans, ..., fc_vms).
 * Each conjunct is a named macro (WP splits them into separate goals); a fact about
 * one record is a predicate over its index.
 */
#ifndef MOAT_PROOF_MODEL_TABLES_H
#define MOAT_PROOF_MODEL_TABLES_H

#include <moat/sinfo_format.h>

#include "tables_check.h"

/* The typed view of the vms array (tables_vm, tables_vm_at). */
/*@ ghost struct moat_vm fc_vms[MOAT_MAX_VMS]; */

/*@ requires \valid_read(tables) && \valid_read(s) && s->vm < tables->vms.count;
    assigns \nothing;
    ensures \result == &fc_vms[s->vm]; */
static inline const struct moat_vm *tables_vm(const struct moat_subject *s);
/*@ requires \valid_read(tables) && v < tables->vms.count;
    assigns \nothing;
    ensures \result == &fc_vms[v]; */
static inline const struct moat_vm *tables_vm_at(uint32_t v);

/*@
  // A name offset print_str may print once the strings are checked.
  predicate rec_name_ok{L}(integer n) =
    \valid_read(tables) && 0 <= n < tables->strings.count && valid_str(&fc_strings[n]);

  logic integer T_S{L} = tables->subjects.count;
  logic integer T_P{L} = tables->plans.count;
  logic integer T_C{L} = tables->cpu_count;
  logic integer T_N{L} = tables->strings.count;
  logic integer T_V{L} = tables->vms.count;

  // [b, b + s) meets none of the ranges the kernel writes itself (rule 11; tables_check.h's
  // KERNEL_RANGES, what kernel_base/kernel_size hold after system_ok) except range `self`:
  // 0 the state region, 1 the audit region, 2 + c CPU c's kernel log, KERNEL_VM_RANGES +
  // 2v VM v's VMCB page and + 1 its console channel.
  predicate kr_clear_but{L}(integer b, integer s, integer self) =
    (self != 0 ==> !overlap(b, s, tables->state_phys, tables->state_size)) &&
    (self != 1 ==> !overlap(b, s, tables->audit_phys, tables->audit_size)) &&
    (\forall integer c; 0 <= c < MOAT_MAX_CPUS && self != 2 + c && tables->klog_phys[c] != 0 ==>
       !overlap(b, s, tables->klog_phys[c], tables->klog_size)) &&
    (\forall integer v; 0 <= v < T_V && self != KERNEL_VM_RANGES + 2 * v ==>
       !overlap(b, s, fc_vms[v].vmcb, MOAT_PAGE_SIZE)) &&
    (\forall integer v; 0 <= v < T_V && self != KERNEL_VM_RANGES + 2 * v + 1 ==>
       !overlap(b, s, fc_vms[v].console_phys, fc_vms[v].console_size));
  // ... nor any of them (so !kernel_hit(b, s), !core_hit(b, s): model.h).
  predicate kr_clear{L}(integer b, integer s) = kr_clear_but(b, s, KERNEL_RANGES);

  // [b, b + s) inside one region, and not wrapping.
  predicate in_ram{L}(integer b, integer s) = in_regions(b, s) && b + s < 0x10000000000000000;

  // Region i: non-empty, not wrapping, above the kernel and the previous region.
  predicate blob_region{L}(integer i) =
    fc_regions[i].size != 0 && fc_regions[i].base + fc_regions[i].size < 0x10000000000000000 &&
    fc_regions[i].base >= (i == 0 ? MOAT_KERNEL_PHYS_END : fc_regions[i - 1].base + fc_regions[i - 1].size);

  predicate blob_irq{L}(integer i) =
    fc_irqs[i].line < MOAT_MAX_IRQS && fc_irqs[i].subject < T_S && fc_irqs[i].event < MOAT_MAX_EVENTS;

  predicate line_routed{L}(integer line) =
    \exists integer i; 0 <= i < tables->irqs.count && fc_irqs[i].line == line;

  // An outgoing event route (rule 8).
  predicate blob_send{L}(struct moat_event_route *r) =
    r->action < MOAT_ACTION_COUNT &&
    ((r->action == MOAT_ACTION_NOTIFY || r->action == MOAT_ACTION_RESTART ||
      r->action == MOAT_ACTION_STOP) ==> r->target < T_S) &&
    (r->action == MOAT_ACTION_NOTIFY ==> r->target_event < MOAT_MAX_EVENTS) &&
    (r->action == MOAT_ACTION_SWITCH_PLAN ==> r->plan < T_P) &&
    (r->action == MOAT_ACTION_UNMASK_IRQ ==> line_routed(r->irq) && r->irq < MOAT_MAX_IRQS);

  // A reset step (rules 9, 11): inside the regions, away from the kernel's ranges.
  predicate blob_reset{L}(struct moat_reset *r) =
    in_ram(r->dst, r->size) && kr_clear(r->dst, r->size) &&
    (r->src != 0 ==> in_ram(r->src, r->size) && kr_clear(r->src, r->size));

  // VM record v (rule 12): its VMCB page and console channel.
  predicate blob_vm{L}(integer v) =
    fc_vms[v].vmcb % MOAT_PAGE_SIZE == 0 && in_ram(fc_vms[v].vmcb, MOAT_PAGE_SIZE) &&
    ((fc_vms[v].console_phys == 0) <==> (fc_vms[v].console_size == 0)) &&
    (fc_vms[v].console_phys != 0 ==> in_ram(fc_vms[v].console_phys, fc_vms[v].console_size));

  // A VM subject's own fields and its vm record (rule 12).
  predicate blob_vm_subject{L}(struct moat_subject *s) =
    s->vm < T_V && s->io_bitmap == MOAT_TABLES_NONE &&
    s->entry <= 0xffffffff && fc_vms[s->vm].boot_rsi <= 0xffffffff &&
    fc_vms[s->vm].ram_size != 0 && fc_vms[s->vm].ram_size % MOAT_PAGE_SIZE == 0 &&
    (\forall integer n; 0 <= n < MOAT_MAX_EVENTS ==>
       fc_vms[s->vm].vectors[n] == 0 || fc_vms[s->vm].vectors[n] >= 32) &&
    fc_vms[s->vm].vectors[VM_TIMER_EVENT] == 0;

  // Its TSC-kHz patch: in the regions, in a pristine image it copies (so in no range the
  // kernel writes), in no subject's reset destination.
  predicate blob_vm_patch{L}(struct moat_subject *s) =
    fc_vms[s->vm].tsc_khz_patch != 0 ==>
      in_ram(fc_vms[s->vm].tsc_khz_patch, MOAT_VM_TSC_DIGITS) &&
      kr_clear(fc_vms[s->vm].tsc_khz_patch, MOAT_VM_TSC_DIGITS) &&
      (\forall integer j, r; 0 <= j < T_S && 0 <= r < fc_subjects[j].reset_count ==>
         !overlap(fc_vms[s->vm].tsc_khz_patch, MOAT_VM_TSC_DIGITS,
                  fc_resets[fc_subjects[j].reset_first + r].dst,
                  fc_resets[fc_subjects[j].reset_first + r].size));

  // A subject's own fields (rules 3, 7, 11, 12).
  predicate blob_subject_fields{L}(struct moat_subject *s) =
    s->name < T_N && s->cpu < T_C &&
    (s->on_fault == MOAT_FAULT_STOP || s->on_fault == MOAT_FAULT_RESTART) &&
    ((s->kind == MOAT_SUBJECT_NATIVE && s->vm == MOAT_TABLES_NONE) ||
     (s->kind == MOAT_SUBJECT_VM && blob_vm_subject(s))) &&
    s->send_count <= MOAT_MAX_EVENTS && s->send_first + s->send_count <= tables->sends.count &&
    1 <= s->reset_count <= MOAT_MAX_RESETS && s->reset_first + s->reset_count <= tables->resets.count &&
    (s->io_bitmap == MOAT_TABLES_NONE || s->io_bitmap < tables->io_bitmaps.count) &&
    s->pml4 % MOAT_PAGE_SIZE == 0 && in_ram(s->pml4, MOAT_PAGE_SIZE) &&
    kr_clear(s->pml4, MOAT_PAGE_SIZE) &&
    (s->sinfo_phys != 0 ==>
       in_ram(s->sinfo_phys, sizeof(struct moat_sinfo)) &&
       kr_clear(s->sinfo_phys, sizeof(struct moat_sinfo)));

  // Subject s whole: its fields, its event routes and reset steps (rules 8, 9, 11).
  predicate blob_subject{L}(struct moat_subject *s) =
    blob_subject_fields(s) &&
    (\forall integer k; 0 <= k < s->send_count ==> blob_send(&fc_sends[s->send_first + k])) &&
    (\forall integer k; 0 <= k < s->reset_count ==> blob_reset(&fc_resets[s->reset_first + k]));

  // A frame of CPU c (rule 10).
  predicate blob_frame{L}(struct moat_frame *f, integer c) =
    (f->subject == MOAT_SUBJECT_IDLE || (f->subject < T_S && fc_subjects[f->subject].cpu == c)) &&
    f->ticks > 0;

  logic integer frame_sum{L}(integer first, integer n) =
    n <= 0 ? 0 : frame_sum(first, n - 1) + fc_frames[first + n - 1].ticks;

  // CPU c's frames in plan p (rule 10).
  predicate blob_plan_cpu{L}(integer p, integer c) =
    c < T_C ?
      (1 <= fc_plans[p].cpus[c].frame_count <= MOAT_MAX_FRAMES_PER_CPU &&
       fc_plans[p].cpus[c].frame_first + fc_plans[p].cpus[c].frame_count <= tables->frames.count &&
       (\forall integer f; 0 <= f < fc_plans[p].cpus[c].frame_count ==>
          blob_frame(&fc_frames[fc_plans[p].cpus[c].frame_first + f], c)) &&
       frame_sum(fc_plans[p].cpus[c].frame_first, fc_plans[p].cpus[c].frame_count) ==
         fc_plans[p].major_ticks)
    : (fc_plans[p].cpus[c].frame_first == 0 && fc_plans[p].cpus[c].frame_count == 0);

  predicate blob_plan{L}(integer p) =
    fc_plans[p].name < T_N &&
    fc_plans[p].major_ticks * tables->tick_ns <= MOAT_MAX_MAJOR_NS &&
    \forall integer c; 0 <= c < MOAT_MAX_CPUS ==> blob_plan_cpu(p, c);
*/

/* Rule 1: the header, read where the blob is (the tables segment). */
#define blob_header \
    (\valid_read(tables) && \base_addr(tables) == \base_addr(&fc_blob[0]) && \
     tables->magic == MOAT_TABLES_MAGIC && tables->version == MOAT_TABLES_VERSION && \
     sizeof(struct moat_tables_header) <= tables->size <= MOAT_TABLES_CAPACITY)
/* The header is the tables segment's start (tables_check's blob): reads of the blob are
 * then, to WP's simplifier, separate from every store to another object (pevent). */
#define blob_pinned (tables == (const struct moat_tables_header *)&fc_blob[0])
/* Rule 2: the counts within the ABI's limits (so within the ghost views). */
#define blob_counts \
    (T_S <= MOAT_MAX_SUBJECTS && 1 <= T_P <= MOAT_MAX_PLANS && \
     tables->frames.count <= FC_FRAMES && tables->sends.count <= FC_SENDS && \
     tables->resets.count <= FC_RESETS && tables->irqs.count <= MOAT_MAX_IRQS && \
     tables->regions.count <= MOAT_MAX_REGIONS && tables->io_bitmaps.count <= MOAT_MAX_SUBJECTS && \
     1 <= T_N <= MOAT_TABLES_CAPACITY && T_V <= MOAT_MAX_VMS)
/* What arrays_ok establishes: blob_counts' upper bounds (names_ok checks the strings'
 * count > 0, system_ok the plans'). */
#define blob_sizes \
    (T_S <= MOAT_MAX_SUBJECTS && T_P <= MOAT_MAX_PLANS && \
     tables->frames.count <= FC_FRAMES && tables->sends.count <= FC_SENDS && \
     tables->resets.count <= FC_RESETS && tables->irqs.count <= MOAT_MAX_IRQS && \
     tables->regions.count <= MOAT_MAX_REGIONS && tables->io_bitmaps.count <= MOAT_MAX_SUBJECTS && \
     T_N <= MOAT_TABLES_CAPACITY && T_V <= MOAT_MAX_VMS)
/* Rule 3: the strings end with a NUL, so a name at any offset < T_N is a NUL-ended string
 * (print_str's STR_OK); the system's name starts inside them (subjects' and plans' names:
 * blob_subject, blob_plan). */
#define blob_strings \
    (fc_strings[T_N - 1] == 0 && tables->name < T_N && \
     (\forall integer off; 0 <= off < T_N ==> valid_str(&fc_strings[off])))
/* blob_strings' quantified part (a predicate over the strings' memory: names_ok's
 * name_ok calls carry it). */
#define STRINGS_OK (\forall integer off; 0 <= off < T_N ==> valid_str(&fc_strings[off]))
/* Rule 4. */
#define blob_regions (\forall integer i; 0 <= i < tables->regions.count ==> blob_region(i))
/* Rule 5: the system's own fields. */
#define blob_system \
    (1 <= T_C <= MOAT_MAX_CPUS && 0 < tables->tick_ns <= MOAT_MAX_MAJOR_NS && \
     tables->initial_plan < T_P && \
     (tables->klog_size != 0 ==> tables->klog_reader == MOAT_SUBJECT_IDLE || tables->klog_reader < T_S) && \
     (tables->audit_size != 0 ==> in_ram(tables->audit_phys, tables->audit_size)) && \
     (\forall integer c; 0 <= c < MOAT_MAX_CPUS && tables->klog_phys[c] != 0 ==> \
        c < T_C && tables->klog_size != 0 && in_ram(tables->klog_phys[c], tables->klog_size)) && \
     tables->state_size == T_S * MOAT_SUBJECT_STATE_SIZE && \
     (tables->state_size != 0 ==> tables->state_phys % MOAT_SUBJECT_STATE_ALIGN == 0 && \
        in_ram(tables->state_phys, tables->state_size)))
/* Rule 11: the ranges the kernel writes are pairwise disjoint. */
#define blob_kernel_ranges \
    (kr_clear_but(tables->state_phys, tables->state_size, 0) && \
     kr_clear_but(tables->audit_phys, tables->audit_size, 1) && \
     (\forall integer c; 0 <= c < MOAT_MAX_CPUS && tables->klog_phys[c] != 0 ==> \
        kr_clear_but(tables->klog_phys[c], tables->klog_size, 2 + c)) && \
     (\forall integer v; 0 <= v < T_V ==> \
        kr_clear_but(fc_vms[v].vmcb, MOAT_PAGE_SIZE, KERNEL_VM_RANGES + 2 * v) && \
        kr_clear_but(fc_vms[v].console_phys, fc_vms[v].console_size, KERNEL_VM_RANGES + 2 * v + 1)))
/* Rule 6. */
#define blob_irqs (\forall integer i; 0 <= i < tables->irqs.count ==> blob_irq(i))
/* Rule 12: the VM records, each some VM subject's. */
#define blob_vms (\forall integer v; 0 <= v < T_V ==> blob_vm(v))
/* Rules 7-9, 12. */
#define blob_subjects (\forall integer s; 0 <= s < T_S ==> blob_subject(&fc_subjects[s]))
#define blob_vm_patches (\forall integer s; 0 <= s < T_S && fc_subjects[s].kind == MOAT_SUBJECT_VM ==> \
    blob_vm_patch(&fc_subjects[s]))
/* Rule 10. */
#define blob_plans (\forall integer p; 0 <= p < T_P ==> blob_plan(p))

/* What tables_check establishes (its postcondition); the precondition of every entry
 * after boot. */
#define tables_ok \
    (blob_header && blob_pinned && blob_counts && blob_strings && blob_regions && blob_system && \
     blob_kernel_ranges && blob_irqs && blob_vms && blob_subjects && blob_vm_patches && blob_plans)

/* ---- The check's own state, for its contracts (spec_tables.h) and loops. ---- */

/* What a refusal writes: the current record, and `tables` (dropped). */
#define TABLES_REC tables, rec_kind, rec_index, rec_name, tables_rec_part, tables_rec_part_index
#define KERNEL_RANGES_STATE kernel_base[0 .. KERNEL_RANGES - 1], kernel_size[0 .. KERNEL_RANGES - 1]

/* Every subject's and plan's name starts inside the strings (names_ok). */
#define names_in \
    ((\forall integer s; 0 <= s < T_S ==> fc_subjects[s].name < T_N) && \
     (\forall integer p; 0 <= p < T_P ==> fc_plans[p].name < T_N))

/* kernel_base/kernel_size: the state, audit and kernel log ranges (system_ok) ... */
#define kernel_ranges_early \
    (kernel_base[0] == tables->state_phys && kernel_size[0] == tables->state_size && \
     kernel_base[1] == tables->audit_phys && kernel_size[1] == tables->audit_size && \
     (\forall integer c; 0 <= c < MOAT_MAX_CPUS ==> kernel_base[2 + c] == tables->klog_phys[c] && \
        kernel_size[2 + c] == (tables->klog_phys[c] != 0 ? tables->klog_size : 0)))
/* ... then each VM's VMCB page and console (tables_vms_ok; 0, 0 for v >= the vms' count). */
#define kernel_ranges_set \
    (kernel_ranges_early && \
     (\forall integer v; 0 <= v < MOAT_MAX_VMS ==> \
        kernel_base[KERNEL_VM_RANGES + 2 * v] == (v < T_V ? fc_vms[v].vmcb : 0) && \
        kernel_size[KERNEL_VM_RANGES + 2 * v] == (v < T_V ? MOAT_PAGE_SIZE : 0) && \
        kernel_base[KERNEL_VM_RANGES + 2 * v + 1] == (v < T_V ? fc_vms[v].console_phys : 0) && \
        kernel_size[KERNEL_VM_RANGES + 2 * v + 1] == (v < T_V ? fc_vms[v].console_size : 0)))

/* What the checks before the subjects' established. */
#define tables_so_far \
    (blob_header && blob_counts && blob_strings && blob_regions && blob_system && \
     blob_kernel_ranges && blob_irqs && blob_vms && kernel_ranges_set)

#endif /* MOAT_PROOF_MODEL_TABLES_H */
