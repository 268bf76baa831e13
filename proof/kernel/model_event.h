/*
 * The predicates of event.c, subject.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_event.h.
 */
#ifndef MOAT_PROOF_MODEL_EVENT_H
#define MOAT_PROOF_MODEL_EVENT_H

/* The subjects' core state invariant, part of core_ok: for every subject of the tables,
 * its state is one of enum subject_state, its timer's event an incoming id (< 64), its
 * reset at a step of its own (reset_count: done) and within that step's bytes, and its
 * pending report's action one of the policy's (stop, restart). Macros, so that WP splits them. */
#define SUBJECT_OK(i) \
    (fc_state[i].state <= SUBJECT_HALTED && fc_state[i].timer_event < MOAT_MAX_EVENTS && \
     fc_state[i].reset_step <= fc_subjects[i].reset_count && \
     (fc_state[i].reset_step < fc_subjects[i].reset_count ==> \
        fc_state[i].reset_done <= \
          fc_resets[fc_subjects[i].reset_first + fc_state[i].reset_step].size) && \
     (fc_state[i].report_pending ==> fc_state[i].report_action <= MOAT_FAULT_RESTART))
#define subjects_ok (\forall integer i; 0 <= i < tables->subjects.count ==> SUBJECT_OK(i))

/* What vm_reset changes besides fc_state: one VM's state, all VMs' (pvm: its VM_STATE). */
#define EV_VM(id) VM_STATE(id)
#define EV_VMS VM_STATES

/* A subject id the tables have (the precondition of core_subject, tables_subject). */
#define SUBJECT_ID(id) ((id) < tables->subjects.count)

/* What a restart or stop changes of a subject (subject_do_restart, subject_reset_begin,
 * subject_do_stop), and what a fault's report keeps (subject_contain). For assigns. */
#define SUBJECT_LIFE(id) \
    fc_state[id].state, fc_state[id].pending, fc_state[id].timer_deadline, \
    fc_state[id].timer_event, fc_state[id].reset_step, fc_state[id].reset_done, \
    fc_state[id].restarts
#define SUBJECT_REPORT(id) \
    fc_state[id].report_pending, fc_state[id].report_line, fc_state[id].report_action, \
    fc_state[id].report_kind, fc_state[id].report_seq, fc_state[id].report_tsc, \
    fc_state[id].report_fault
/* Printing a line under the console lock (smp_console_lock). */
#define EVENT_PRINT PRINT_STATE, core_shared.console

/*
 * The facts of tables_ok that event.c and subject.c use, as macros over flat reads (not
 * predicates): after a store to fc_state, WP's simplifier sees that each read of the blob
 * is unchanged, where a predicate applied to the changed memory would have to be proved
 * again by a solver. The internal functions require these; the entries require tables_ok,
 * which implies them.
 */
/* The header where the tables are, the counts within the ghost views. */
#define EV_TABLES (blob_pinned && EV_COUNTS)
#define EV_COUNTS \
    (\valid_read(tables) && \
     tables->subjects.count <= MOAT_MAX_SUBJECTS && 1 <= tables->cpu_count <= MOAT_MAX_CPUS && \
     tables->irqs.count <= MOAT_MAX_IRQS && tables->plans.count <= MOAT_MAX_PLANS && \
     tables->sends.count <= FC_SENDS && tables->resets.count <= FC_RESETS && \
     tables->strings.count <= MOAT_TABLES_CAPACITY)
/* Subject id's record: its CPU, name, fault action, sends and resets within the arrays. */
#define EV_SUBJECT(id) \
    (fc_subjects[id].cpu < tables->cpu_count && fc_subjects[id].name < tables->strings.count && \
     valid_str(&fc_strings[fc_subjects[id].name]) && fc_subjects[id].on_fault <= MOAT_FAULT_RESTART && \
     fc_subjects[id].send_count <= MOAT_MAX_EVENTS && \
     fc_subjects[id].send_first + fc_subjects[id].send_count <= tables->sends.count && \
     1 <= fc_subjects[id].reset_count <= MOAT_MAX_RESETS && \
     fc_subjects[id].reset_first + fc_subjects[id].reset_count <= tables->resets.count)
/* Reset step r: inside the regions, not wrapping, away from what
 * the kernel writes as C objects. */
#define EV_RESET(r) \
    (in_ram((r)->dst, (r)->size) && !core_hit((r)->dst, (r)->size) && \
     ((r)->src != 0 ==> in_ram((r)->src, (r)->size) && !core_hit((r)->src, (r)->size)))
#define EV_RESETS(id) \
    (\forall integer k; 0 <= k < fc_subjects[id].reset_count ==> \
       EV_RESET(&fc_resets[fc_subjects[id].reset_first + k]))
/* Send r: what its action names exists. */
#define EV_SEND(r) \
    ((r)->action < MOAT_ACTION_COUNT && \
     (((r)->action == MOAT_ACTION_NOTIFY || (r)->action == MOAT_ACTION_RESTART || \
       (r)->action == MOAT_ACTION_STOP) ==> (r)->target < tables->subjects.count) && \
     ((r)->action == MOAT_ACTION_NOTIFY ==> (r)->target_event < MOAT_MAX_EVENTS) && \
     ((r)->action == MOAT_ACTION_SWITCH_PLAN ==> (r)->plan < tables->plans.count) && \
     ((r)->action == MOAT_ACTION_UNMASK_IRQ ==> (r)->irq < MOAT_MAX_IRQS))
#define EV_SENDS(id) \
    (\forall integer k; 0 <= k < fc_subjects[id].send_count ==> EV_SEND(&fc_sends[fc_subjects[id].send_first + k]))
/* Its sinfo page, where the kernel writes the TSC frequency. */
#define EV_SINFO(id) \
    (fc_subjects[id].sinfo_phys != 0 ==> \
       in_ram(fc_subjects[id].sinfo_phys, sizeof(struct moat_sinfo)) && \
       !core_hit(fc_subjects[id].sinfo_phys, sizeof(struct moat_sinfo)))
/* The IRQ routes: each names a subject and one of its incoming ids. */
#define EV_IRQS \
    (\forall integer i; 0 <= i < tables->irqs.count ==> \
       fc_irqs[i].subject < tables->subjects.count && fc_irqs[i].event < MOAT_MAX_EVENTS)
/* Every subject's CPU is one of the tables' (smp_kick indexes core_cpus with it). */
#define EV_CPUS \
    (\forall integer i; 0 <= i < tables->subjects.count ==> fc_subjects[i].cpu < tables->cpu_count)
/* A VM subject's vm record is one of the tables' (vm_reset's VM_REC). */
#define EV_VM_REC(id) \
    (fc_subjects[id].kind == MOAT_SUBJECT_VM ==> fc_subjects[id].vm < tables->vms.count <= MOAT_MAX_VMS)
/* Everything about subject id. */
#define EV_SUBJECT_ALL(id) \
    (EV_SUBJECT(id) && EV_SENDS(id) && EV_RESETS(id) && EV_SINFO(id) && EV_VM_REC(id))
#define EV_SUBJECTS (\forall integer i; 0 <= i < tables->subjects.count ==> EV_SUBJECT_ALL(i))

/* tables_ok gives them (the entries' preconditions). */
/*@ lemma kr_clear_core{L}: \forall integer b, s; kr_clear(b, s) ==> !core_hit(b, s);
    // (Over tables_ok's conjuncts, without blob_pinned: a cast, which WP cannot take in
    // a lemma.)
    lemma ev_counts{L}: blob_header && blob_counts && blob_system ==> EV_COUNTS;
    lemma ev_irqs{L}: blob_irqs ==> EV_IRQS;
*/

/* What a reset step's part [b2, b2 + s2) of [b, b + s) may be written with arch_phys_*. */
/*@ lemma ram_part{L}: \forall integer b, s, b2, s2;
      in_ram(b, s) && b <= b2 && 0 <= s2 && b2 + s2 <= b + s ==> in_ram(b2, s2);
    lemma clear_part{L}: \forall integer b, s, b2, s2;
      !core_hit(b, s) && b <= b2 && 0 <= s2 && b2 + s2 <= b + s ==> !core_hit(b2, s2);
*/

#endif /* MOAT_PROOF_MODEL_EVENT_H */
