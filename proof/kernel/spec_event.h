/*
 * The contracts of event.c, subject.c (and core.h's inline event_fire_timer), included by
 * kernel.c after the code (prototypes with ACSL; Frama-C joins them to the definitions).
 * Every function of these files that a proved function calls needs one here. Part
 * kernel-event proves them all.
 *
 * The run-time entries (core_on_kcall, core_on_fault, core_on_irq, core_raise_irq)
 * require tables_ok && core_ok and keep core_ok; `current`, where an entry has one, is
 * the subject the arch interrupted: a subject of the tables pinned to this CPU (the arch
 * runs a CPU's frames' subjects only there). The ids a subject passes (an event id, a
 * timer's event) are arbitrary 64-bit values: each is checked against the tables.
 */
#ifndef MOAT_PROOF_SPEC_EVENT_H
#define MOAT_PROOF_SPEC_EVENT_H

/* ---- event.c ---- */

/*@ requires EV_TABLES && SUBJECT_ID(id) && event < MOAT_MAX_EVENTS;
    requires fc_subjects[id].cpu < tables->cpu_count;
    assigns fc_state[id].pending;
    ensures fc_state[id].pending == (\old(fc_state[id].pending) | (1 << event)); */
void event_raise(subject_id_t id, uint8_t event);

/*@ requires EV_TABLES && subjects_ok && SUBJECT_ID(id);
    requires fc_subjects[id].cpu < tables->cpu_count;
    assigns fc_state[id].timer_deadline, fc_state[id].pending;
    ensures subjects_ok; */
static inline void event_fire_timer(subject_id_t id, tsc_t now);

/*@ requires EV_TABLES && SUBJECT_ID(id);
    assigns fc_state[id].pending;
    ensures \result == MOAT_ERR_NONE_PENDING || 0 <= \result < MOAT_MAX_EVENTS;
    ensures \result == MOAT_ERR_NONE_PENDING <==> \old(fc_state[id].pending) == 0; */
int64_t event_take(subject_id_t id);

/* A kernel action of route r, one of subj's (from's) sends. (Only the flat facts it
 * reads: event_send's quantified ones, re-proved here, timed out at the call.) */
/*@ requires EV_TABLES && SUBJECT_ID(from) && EV_SUBJECT(from) && print_ok && subjects_ok &&
             sched_shared_ok;
    requires subj == &fc_subjects[from];
    requires \valid_read(r) && EV_SEND(r);
    assigns fc_state[0 .. MOAT_MAX_SUBJECTS - 1].request, SUBJECT_LIFE(from), EVENT_PRINT,
            POWER_STATE, core_shared.plan_requested;
    ensures print_ok && subjects_ok && sched_shared_ok;
    ensures \result == MOAT_OK || \result == MOAT_ERR_BAD_ID; */
static int64_t event_act(subject_id_t from, const struct moat_subject *subj,
                         const struct moat_event_route *r);

/* Notify (any subject's pending), or a kernel action: print, power request, restart or
 * stop of `from` itself at once, another's request bit, the requested plan, an IRQ. */
/*@ requires EV_TABLES && SUBJECT_ID(from) && EV_SUBJECT_ALL(from) && EV_SUBJECTS && EV_CPUS && print_ok &&
             subjects_ok && sched_shared_ok;
    assigns fc_state[0 .. MOAT_MAX_SUBJECTS - 1].pending,
            fc_state[0 .. MOAT_MAX_SUBJECTS - 1].request,
            SUBJECT_LIFE(from), EVENT_PRINT, POWER_STATE, core_shared.plan_requested;
    ensures print_ok && subjects_ok && sched_shared_ok;
    ensures \result == MOAT_OK || \result == MOAT_ERR_BAD_ID; */
int64_t event_send(subject_id_t from, uint64_t id);

/*@ requires tables_ok && core_ok && SUBJECT_ID(current) && fc_subjects[current].cpu == fc_self;
    assigns SCHED_ENTRY_STATE, POWER_STATE, EV_VMS;
    ensures core_ok && SCHED_NEXT_OK(\result); */
struct core_next core_on_kcall(tsc_t now, subject_id_t current, uint64_t number,
                               uint64_t arg0, uint64_t arg1);

/* ---- subject.c ---- */

/*@ requires EV_TABLES && \valid_read(r) && EV_RESET(r);
    requires offset + size <= r->size;
    assigns \nothing; */
static void subject_reset_bytes(const struct moat_reset *r, uint64_t offset, uint64_t size);

/*@ requires EV_TABLES && in_ram(sinfo, sizeof(struct moat_sinfo)) &&
             !core_hit(sinfo, sizeof(struct moat_sinfo));
    assigns \nothing; */
static void subject_write_khz(paddr_t sinfo);

/* (The helpers below state what they do to subject id; their callers keep subjects_ok
 * from that: core_prepare_subjects holds it only for the subjects it has done.) */
/*@ requires EV_TABLES && EV_SUBJECT_ALL(id) && vm_ok && SUBJECT_ID(id);
    assigns fc_state[id].state, fc_state[id].timer_event, fc_state[id].wake_events,
            EV_VM(id);
    ensures vm_ok;
    ensures fc_state[id].state == SUBJECT_RUNNABLE;
    ensures fc_state[id].timer_event == \old(fc_state[id].timer_event) ||
            fc_state[id].timer_event == MOAT_MAX_EVENTS - 1; */
static void subject_reset_finish(subject_id_t id);

/*@ requires EV_TABLES && SUBJECT_ID(id);
    assigns fc_state[id].state, fc_state[id].pending, fc_state[id].timer_deadline,
            fc_state[id].timer_event, fc_state[id].reset_step, fc_state[id].reset_done;
    ensures fc_state[id].state == SUBJECT_RESETTING && fc_state[id].timer_event == 0 &&
            fc_state[id].reset_step == 0 && fc_state[id].reset_done == 0; */
static void subject_reset_begin(subject_id_t id);

/*@ assigns \nothing;
    ensures \result ==> now < until; */
static bool subject_work_fits(tsc_t now, tsc_t until, tsc_t start, uint64_t need);

/* Its reset steps, as far as they fit before `until`; the last part re-initialises the
 * subject (arch_subject_init; a VM's controller, vm_reset). */
/*@ requires EV_TABLES && EV_SUBJECT_ALL(id) && print_ok && subjects_ok && vm_ok && SUBJECT_ID(id);
    requires fc_self < tables->cpu_count;
    assigns fc_state[id].reset_step, fc_state[id].reset_done, fc_state[id].state,
            fc_state[id].timer_event, fc_state[id].wake_events, EV_VM(id),
            core_cpus[fc_self].reset_chunk_tsc;
    ensures print_ok && subjects_ok && vm_ok; */
tsc_t subject_reset_work(subject_id_t id, tsc_t until);

/*@ requires EV_TABLES && print_ok && SUBJECT_ID(id) && EV_SUBJECT(id);
    assigns EVENT_PRINT;
    ensures print_ok; */
static void subject_print_stopped(subject_id_t id);

/*@ requires EV_TABLES && print_ok && SUBJECT_ID(id) && EV_SUBJECT(id);
    assigns EVENT_PRINT;
    ensures print_ok; */
static void subject_print_restarted(subject_id_t id);

/*@ requires EV_TABLES && SUBJECT_ID(id);
    assigns fc_state[id].state, fc_state[id].timer_deadline;
    ensures fc_state[id].state == SUBJECT_STOPPED; */
static void subject_do_stop(subject_id_t id);

/*@ requires EV_TABLES && SUBJECT_ID(id);
    assigns SUBJECT_LIFE(id);
    ensures fc_state[id].state == SUBJECT_RESETTING && fc_state[id].timer_event == 0 &&
            fc_state[id].reset_step == 0 && fc_state[id].reset_done == 0; */
static void subject_do_restart(subject_id_t id);

/*@ requires EV_TABLES && EV_SUBJECT(id) && print_ok && subjects_ok && SUBJECT_ID(id);
    assigns fc_state[id].state, fc_state[id].timer_deadline, EVENT_PRINT;
    ensures print_ok && subjects_ok;
    ensures fc_state[id].state == SUBJECT_STOPPED; */
void subject_stop(subject_id_t id);

/*@ requires EV_TABLES && EV_SUBJECT(id) && print_ok && subjects_ok && SUBJECT_ID(id);
    assigns SUBJECT_LIFE(id), EVENT_PRINT;
    ensures print_ok && subjects_ok;
    ensures fc_state[id].state == SUBJECT_RESETTING; */
void subject_restart(subject_id_t id);

/*@ requires EV_TABLES && EV_SUBJECT(id) && print_ok && subjects_ok && SUBJECT_ID(id);
    requires fc_self < tables->cpu_count;
    assigns fc_state[id].report_pending, fc_state[id].report_line, EVENT_PRINT,
            core_cpus[fc_self].report_line_tsc;
    ensures print_ok && subjects_ok;
    ensures \result <==> !fc_state[id].report_pending; */
bool subject_report_work(subject_id_t id, tsc_t until);

/* The audit record (audit_write), the subject's action, as much of the report as fits. */
/*@ requires EV_TABLES && EV_SUBJECT(id) && print_ok && subjects_ok && SUBJECT_ID(id);
    requires fc_self < tables->cpu_count && \valid_read(f);
    requires \separated(f, &fc_state[id]);
    assigns SUBJECT_LIFE(id), SUBJECT_REPORT(id), EVENT_PRINT, audit_count,
            core_cpus[fc_self].report_line_tsc;
    ensures print_ok && subjects_ok;
    ensures fc_state[id].state == SUBJECT_STOPPED || fc_state[id].state == SUBJECT_RESETTING; */
void subject_contain(subject_id_t id, uint16_t kind, const struct arch_fault *f);

/*@ requires EV_TABLES && EV_SUBJECT(id) && print_ok && subjects_ok && SUBJECT_ID(id);
    assigns fc_state[id].request, SUBJECT_LIFE(id), EVENT_PRINT;
    ensures print_ok && subjects_ok; */
void subject_take_requests(subject_id_t id);

/* Boot, after core_check_system (the state region zeroed, the VMs' states fresh): every
 * subject's reset steps whole, then its fresh registers; the shared words reset. */
/*@ requires tables_ok && print_ok && vm_ok;
    assigns audit_count, core_shared.arrived, core_shared.generation,
            core_shared.plan_requested, core_shared.plan_latched,
            fc_state[0 .. MOAT_MAX_SUBJECTS - 1], EV_VMS, subject_chunk_cap,
            core_cpus[0 .. MOAT_MAX_CPUS - 1].reset_chunk_tsc;
    ensures print_ok && subjects_ok && vm_ok && sched_shared_ok; */
void core_prepare_subjects(void);

/*@ requires tables_ok && core_ok && SUBJECT_ID(current) && fc_subjects[current].cpu == fc_self;
    requires \valid_read(f) && \separated(f, &fc_state[current]);
    assigns SCHED_ENTRY_STATE, EV_VMS;
    ensures core_ok && SCHED_NEXT_OK(\result); */
struct core_next core_on_fault(tsc_t now, subject_id_t current, const struct arch_fault *f);

/*@ requires EV_TABLES && EV_CPUS && EV_IRQS && subjects_ok;
    assigns fc_state[0 .. MOAT_MAX_SUBJECTS - 1].pending;
    ensures subjects_ok; */
void core_raise_irq(uint8_t line);

/*@ requires tables_ok && core_ok;
    assigns SCHED_ENTRY_STATE, EV_VMS;
    ensures core_ok && SCHED_NEXT_OK(\result); */
struct core_next core_on_irq(tsc_t now, uint8_t line);

#endif /* MOAT_PROOF_SPEC_EVENT_H */
