/*
 * The predicates of sched.c, smp.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_sched.h.
 */
#ifndef MOAT_PROOF_MODEL_SCHED_H
#define MOAT_PROOF_MODEL_SCHED_H

/* audit.c's record count (a panic's record), declared early (a tentative definition of
 * the same static object) so that a loop of sched.c may name it in its assigns. */
static uint64_t audit_count;

/* This CPU's scheduler state, and its plan's frames of this CPU in the tables. */
#define SCHED_CPU core_cpus[fc_self]
#define SCHED_PLAN_CPU fc_plans[core_cpus[fc_self].plan].cpus[fc_self]

/* A subject this CPU may run: idle, or a subject pinned to this CPU. */
#define SCHED_SUBJECT_OK(s) \
    ((s) == MOAT_SUBJECT_IDLE || ((s) < tables->subjects.count && fc_subjects[(s)].cpu == fc_self))

/* What the scheduler's own helpers need of the blob (tables_ok implies it): flat facts
 * and the plans' frames, stated inline rather than through tables_ok's predicates, so
 * that they stay cheap to re-prove after the helpers' own stores (BOARD, frame problem). */
#define SCHED_TABLES \
    (\valid_read(tables) && \base_addr(tables) == \base_addr(&fc_blob[0]) && \
     1 <= tables->cpu_count <= MOAT_MAX_CPUS && 1 <= tables->plans.count <= MOAT_MAX_PLANS && \
     tables->subjects.count <= MOAT_MAX_SUBJECTS && tables->frames.count <= FC_FRAMES && \
     tables->initial_plan < tables->plans.count && \
     (\forall integer p, c; 0 <= p < tables->plans.count && 0 <= c < tables->cpu_count ==> \
        1 <= fc_plans[p].cpus[c].frame_count <= MOAT_MAX_FRAMES_PER_CPU && \
        fc_plans[p].cpus[c].frame_first + fc_plans[p].cpus[c].frame_count <= tables->frames.count) && \
     (\forall integer p, c, f; 0 <= p < tables->plans.count && 0 <= c < tables->cpu_count && \
        fc_plans[p].cpus[c].frame_first <= f < \
          fc_plans[p].cpus[c].frame_first + fc_plans[p].cpus[c].frame_count ==> \
        (fc_frames[f].subject == MOAT_SUBJECT_IDLE || \
         (fc_frames[f].subject < tables->subjects.count && fc_subjects[fc_frames[f].subject].cpu == c))))
/* Plan p's frames of this CPU: 1 .. MOAT_MAX_FRAMES_PER_CPU of them inside the frames
 * (an instance of SCHED_TABLES, flat, for the helpers that run after stores). */
#define SCHED_FRAMES_OK_AT(p) \
    (1 <= fc_plans[p].cpus[fc_self].frame_count <= MOAT_MAX_FRAMES_PER_CPU && \
     fc_plans[p].cpus[fc_self].frame_first + fc_plans[p].cpus[fc_self].frame_count <= \
       tables->frames.count <= FC_FRAMES)
/* Frame f of plan p of this CPU has a subject this CPU may run. */
#define SCHED_FRAME_SUBJECT_AT(p, f) \
    SCHED_SUBJECT_OK(fc_frames[fc_plans[p].cpus[fc_self].frame_first + (f)].subject)

/* Plan p's name, for the plan switch's line (an instance of SCHED_NAMES). */
#define SCHED_NAME_AT(p) \
    (fc_plans[p].name < tables->strings.count && valid_str(&fc_strings[fc_plans[p].name]))
/* The plans' names, for the plan switch's line. */
#define SCHED_NAMES \
    (\forall integer p; 0 <= p < tables->plans.count ==> \
        fc_plans[p].name < tables->strings.count && valid_str(&fc_strings[fc_plans[p].name]))

/* This CPU's part (core_cpus[fc_self]): the arch runs the core only on a CPU below the
 * tables' CPU count (fc_self, arch_cpu_id), the entry knows its index; its plan is one of the tables', `frames` and
 * `frame_count` are that plan's frames of this CPU, the current frame one of them and
 * `frame_subject` its subject (idle or pinned to this CPU). */
#define sched_cpu_ok \
    (fc_self < tables->cpu_count && SCHED_CPU.cpu == fc_self && \
     SCHED_CPU.plan < tables->plans.count && \
     SCHED_CPU.frames == &fc_frames[SCHED_PLAN_CPU.frame_first] && \
     SCHED_CPU.frame_count == SCHED_PLAN_CPU.frame_count && \
     SCHED_CPU.frame < SCHED_CPU.frame_count && \
     SCHED_CPU.frame_subject == fc_frames[SCHED_PLAN_CPU.frame_first + SCHED_CPU.frame].subject && \
     SCHED_SUBJECT_OK(SCHED_CPU.frame_subject))

/* The shared words (core_shared): the plans requested and latched are the tables'. */
#define sched_shared_ok \
    (core_shared.plan_requested < tables->plans.count && \
     core_shared.plan_latched < tables->plans.count)

/* The scheduler's state invariant, part of core_ok. */
#define sched_ok (sched_cpu_ok && sched_shared_ok)

/* What the scheduler writes of its own state (its CPU's, and the shared words). */
#define SCHED_STATE core_cpus[fc_self], core_shared

/* What a core entry returns: idle, or a subject of this CPU (the arch switches to it). */
#define SCHED_NEXT_OK(n) SCHED_SUBJECT_OK((n).subject)

#endif /* MOAT_PROOF_MODEL_SCHED_H */
