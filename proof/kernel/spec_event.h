/*
 * The contracts of event.c, subject.c, included by kernel.c after the
 * code (prototypes with ACSL; Frama-C joins them to the definitions). Every function of
 * these files that a proved function calls needs one here.
 *
 * (Loose first versions: the assigns are meant to be right, the ensures are weak; part
 * kernel-event proves and strengthens them.)
 */
#ifndef MOAT_PROOF_SPEC_EVENT_H
#define MOAT_PROOF_SPEC_EVENT_H

/*@ requires tables_ok && SUBJECT_ID(id) && event < MOAT_MAX_EVENTS;
    assigns fc_state[id].pending;
    ensures fc_state[id].pending == (\old(fc_state[id].pending) | (1 << event)); */
void event_raise(subject_id_t id, uint8_t event);

/*@ requires tables_ok && SUBJECT_ID(id);
    assigns fc_state[id].pending;
    ensures \result == MOAT_ERR_NONE_PENDING || 0 <= \result < MOAT_MAX_EVENTS;
    ensures \result == MOAT_ERR_NONE_PENDING <==> \old(fc_state[id].pending) == 0; */
int64_t event_take(subject_id_t id);

/* Notify (any subject's pending), or a kernel action: print, power request, restart or
 * stop of `from` itself at once, another's request bit, the requested plan, an IRQ. */
/*@ requires tables_ok && print_ok && subjects_ok && SUBJECT_ID(from);
    assigns fc_state[0 .. MOAT_MAX_SUBJECTS - 1].pending,
            fc_state[0 .. MOAT_MAX_SUBJECTS - 1].request,
            SUBJECT_LIFE(from), EVENT_PRINT, POWER_STATE, core_shared.plan_requested;
    ensures print_ok && subjects_ok;
    ensures \result == MOAT_OK || \result == MOAT_ERR_BAD_ID; */
int64_t event_send(subject_id_t from, uint64_t id);

/*@ requires tables_ok && print_ok && subjects_ok && SUBJECT_ID(id);
    assigns fc_state[id].request, SUBJECT_LIFE(id), EVENT_PRINT;
    ensures print_ok && subjects_ok; */
void subject_take_requests(subject_id_t id);

/* Its reset steps, as far as they fit before `until`; the last part re-initialises the
 * subject (arch_subject_init; a VM's controller, vm_reset). */
/*@ requires tables_ok && print_ok && subjects_ok && SUBJECT_ID(id);
    requires fc_self < tables->cpu_count;
    assigns fc_state[id].reset_step, fc_state[id].reset_done, fc_state[id].state,
            fc_state[id].timer_event, fc_state[id].wake_events,
            core_cpus[fc_self].reset_chunk_tsc;
    ensures print_ok && subjects_ok; */
tsc_t subject_reset_work(subject_id_t id, tsc_t until);

/*@ requires tables_ok && print_ok && subjects_ok && SUBJECT_ID(id);
    assigns fc_state[id].state, fc_state[id].timer_deadline, EVENT_PRINT;
    ensures print_ok && subjects_ok;
    ensures fc_state[id].state == SUBJECT_STOPPED; */
void subject_stop(subject_id_t id);

/*@ requires tables_ok && print_ok && subjects_ok && SUBJECT_ID(id);
    assigns SUBJECT_LIFE(id), EVENT_PRINT;
    ensures print_ok && subjects_ok;
    ensures fc_state[id].state == SUBJECT_RESETTING; */
void subject_restart(subject_id_t id);

/* The audit record (audit_write), the subject's action, as much of the report as fits. */
/*@ requires tables_ok && print_ok && subjects_ok && SUBJECT_ID(id);
    requires fc_self < tables->cpu_count && \valid_read(f);
    assigns SUBJECT_LIFE(id), SUBJECT_REPORT(id), EVENT_PRINT, audit_count,
            core_cpus[fc_self].report_line_tsc;
    ensures print_ok && subjects_ok;
    ensures fc_state[id].state == SUBJECT_STOPPED || fc_state[id].state == SUBJECT_RESETTING; */
void subject_contain(subject_id_t id, uint16_t kind, const struct arch_fault *f);

/*@ requires tables_ok && print_ok && subjects_ok && SUBJECT_ID(id);
    requires fc_self < tables->cpu_count;
    assigns fc_state[id].report_pending, fc_state[id].report_line, EVENT_PRINT,
            core_cpus[fc_self].report_line_tsc;
    ensures print_ok && subjects_ok;
    ensures \result <==> !fc_state[id].report_pending; */
bool subject_report_work(subject_id_t id, tsc_t until);

#endif /* MOAT_PROOF_SPEC_EVENT_H */
