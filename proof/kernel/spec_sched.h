/*
 * The contracts of sched.c, smp.c, included by kernel.c after the
 * code (prototypes with ACSL; Frama-C joins them to the definitions). Every function of
 * these files that a proved function calls needs one here. Proved by part kernel-sched.
 */
#ifndef MOAT_PROOF_SPEC_SCHED_H
#define MOAT_PROOF_SPEC_SCHED_H

/* What a core entry that steps the plan may change: the scheduler's state, the kernel
 * output, the subjects' core state (requests, reports, resets, events of the frame's
 * subject), the VMs' states (a reset's last step re-initialises a VM subject: sched_pick
 * -> subject_reset_work -> vm_reset) and the audit count (a panic's record). */
#define SCHED_ENTRY_STATE SCHED_STATE, PRINT_STATE, fc_state[0 .. MOAT_MAX_SUBJECTS - 1], \
    VM_STATES, audit_count

/* ---- smp.c ---- */

/*@ requires \valid_read(tables) && tables->initial_plan < tables->plans.count;
    assigns core_shared.arrived, core_shared.generation, core_shared.plan_requested,
            core_shared.plan_latched;
    ensures core_shared.plan_requested == tables->initial_plan &&
            core_shared.plan_latched == tables->initial_plan;
    ensures sched_shared_ok; */
void smp_reset(void);

/* The major-frame barrier: the plan of major frame `major`, one of the tables'. Not
 * always returning: a CPU that waits BARRIER_TIMEOUT_MS for the others panics (a CPU
 * that misses the barrier is a hardware fault); that core_panic is a real path, whose
 * precondition (print_ok, a NUL-ended message) is proved here. */
/*@ requires \valid_read(tables) && AUDIT_TABLES && print_ok && sched_shared_ok;
    assigns core_shared, audit_count, PRINT_STATE;
    ensures \result < tables->plans.count;
    ensures print_ok && sched_shared_ok; */
plan_id_t smp_barrier(uint64_t major);

/*@ requires \valid_read(tables) && id < tables->subjects.count <= MOAT_MAX_SUBJECTS;
    requires fc_subjects[id].cpu < MOAT_MAX_CPUS;
    assigns \nothing; */
void smp_kick(subject_id_t id);

/*@ assigns core_shared.console; */
bool smp_console_lock(void);

/*@ assigns core_shared.console; */
void smp_console_unlock(bool locked);

/*@ assigns \nothing;
    ensures \result <==> core_shared.panicking != 0; */
bool core_panicking(void);

/* ---- sched.c ---- */

/*@ requires \valid_read(tables);
    assigns \nothing; */
uint64_t sched_ticks_to_tsc(uint64_t ticks);

/*@ requires \valid_read(c) && \valid_read(c->frames + c->frame);
    assigns \nothing;
    ensures \result == c->frames + c->frame; */
static const struct moat_frame *sched_frame(const struct core_cpu *c);

/*@ requires \valid_read(tables) && c == &core_cpus[fc_self];
    requires fc_self < tables->cpu_count <= MOAT_MAX_CPUS;
    requires c->cpu == fc_self && c->plan < tables->plans.count <= MOAT_MAX_PLANS;
    requires SCHED_FRAMES_OK_AT(c->plan);
    assigns c->frames, c->frame_count;
    ensures c->frames == &fc_frames[SCHED_PLAN_CPU.frame_first];
    ensures c->frame_count == SCHED_PLAN_CPU.frame_count; */
static void sched_load_plan(struct core_cpu *c);

/*@ requires \valid_read(tables) && c == &core_cpus[fc_self];
    requires fc_self < tables->cpu_count <= MOAT_MAX_CPUS;
    requires c->cpu == fc_self && c->plan < tables->plans.count <= MOAT_MAX_PLANS;
    requires SCHED_FRAMES_OK_AT(c->plan);
    requires c->frames == &fc_frames[SCHED_PLAN_CPU.frame_first];
    requires c->frame_count == SCHED_PLAN_CPU.frame_count && c->frame < c->frame_count;
    requires SCHED_FRAME_SUBJECT_AT(c->plan, c->frame);
    assigns c->frame_start, c->frame_end, c->frame_subject, c->frame_begun;
    ensures sched_cpu_ok && !c->frame_begun; */
static void sched_set_frame_end(struct core_cpu *c);

/*@ requires SCHED_TABLES && fc_self < tables->cpu_count;
    assigns core_cpus[fc_self];
    ensures sched_cpu_ok; */
void sched_init(tsc_t now);

/*@ requires \valid_read(tables) && print_ok && c == &core_cpus[fc_self];
    requires fc_self < tables->cpu_count <= MOAT_MAX_CPUS;
    assigns c->window_start, c->window_ms, c->window_frames, c->skipped_frames,
            c->late_frames, c->worst_lateness, core_shared.console, PRINT_STATE;
    ensures print_ok; */
static void sched_report_late(struct core_cpu *c);

/*@ requires \valid_read(tables) && print_ok && c == &core_cpus[fc_self];
    requires fc_self < tables->cpu_count <= MOAT_MAX_CPUS;
    requires from < tables->plans.count <= MOAT_MAX_PLANS && c->plan < tables->plans.count;
    requires SCHED_NAME_AT(from) && SCHED_NAME_AT(c->plan);
    assigns core_shared.console, PRINT_STATE;
    ensures print_ok; */
static void sched_report_switch(const struct core_cpu *c, plan_id_t from);

/*@ requires SCHED_TABLES && SCHED_NAMES && AUDIT_TABLES && print_ok && sched_ok;
    requires c == &core_cpus[fc_self];
    assigns SCHED_STATE, audit_count, PRINT_STATE;
    ensures print_ok && sched_ok; */
static void sched_step(struct core_cpu *c);

/*@ requires tables_ok && core_ok && c == &core_cpus[fc_self];
    requires id == c->frame_subject;
    assigns SCHED_ENTRY_STATE;
    ensures core_ok; */
static void sched_begin_frame(struct core_cpu *c, subject_id_t id, tsc_t now);

/*@ requires tables_ok && core_ok && c == &core_cpus[fc_self];
    assigns SCHED_ENTRY_STATE;
    ensures core_ok && SCHED_NEXT_OK(\result); */
static struct core_next sched_pick(struct core_cpu *c, tsc_t now);

/*@ requires tables_ok && core_ok && c == &core_cpus[fc_self];
    assigns SCHED_ENTRY_STATE;
    ensures core_ok && SCHED_NEXT_OK(\result); */
static struct core_next sched_on_timer(struct core_cpu *c, tsc_t now);

/* After boot (tables_check, core_check_system, core_prepare_subjects: the shared words
 * reset), on each CPU below the CPU count, once, before its log channel is in use. */
/*@ requires tables_ok && print_ok && subjects_ok && vm_ok && sched_shared_ok;
    requires fc_self < tables->cpu_count && !print_cpus[print_sel].to_channel;
    assigns SCHED_ENTRY_STATE;
    ensures core_ok && SCHED_NEXT_OK(\result); */
struct core_next core_start(tsc_t now);

/* The timer (or any entry that ends in a plan step) on this CPU. */
/*@ requires tables_ok && core_ok;
    assigns SCHED_ENTRY_STATE;
    ensures core_ok && SCHED_NEXT_OK(\result); */
struct core_next core_on_timer(tsc_t now);

/* The direct return of a kernel call of id, a subject of this CPU. */
/*@ requires tables_ok && core_ok;
    requires id < tables->subjects.count && fc_subjects[id].cpu == fc_self;
    assigns SCHED_ENTRY_STATE;
    ensures core_ok && SCHED_NEXT_OK(\result); */
struct core_next sched_resume(tsc_t now, subject_id_t id);

#endif /* MOAT_PROOF_SPEC_SCHED_H */
