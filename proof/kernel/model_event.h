/*
 * The predicates of event.c, subject.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_event.h.
 */
#ifndef MOAT_PROOF_MODEL_EVENT_H
#define MOAT_PROOF_MODEL_EVENT_H

/* The subjects' core state invariant, part of core_ok: for every subject of the tables,
 * its state is one of enum subject_state, its timer's event an incoming id (< 64), its
 * reset at a step of its own (reset_count: done) and within that step's bytes, and its
 * report's action one of the policy's (stop, restart). Macros, so that WP splits them. */
#define SUBJECT_OK(i) \
    (fc_state[i].state <= SUBJECT_HALTED && fc_state[i].timer_event < MOAT_MAX_EVENTS && \
     fc_state[i].reset_step <= fc_subjects[i].reset_count && \
     (fc_state[i].reset_step < fc_subjects[i].reset_count ==> \
        fc_state[i].reset_done <= \
          fc_resets[fc_subjects[i].reset_first + fc_state[i].reset_step].size) && \
     fc_state[i].report_action <= MOAT_FAULT_RESTART)
#define subjects_ok (\forall integer i; 0 <= i < tables->subjects.count ==> SUBJECT_OK(i))

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

#endif /* MOAT_PROOF_MODEL_EVENT_H */
