/*
 * The predicates of sched.c, smp.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_sched.h.
 */
#ifndef MOAT_PROOF_MODEL_SCHED_H
#define MOAT_PROOF_MODEL_SCHED_H

/* This CPU's scheduler state, and its plan's frames of this CPU in the tables. */
#define SCHED_CPU core_cpus[fc_self]
#define SCHED_PLAN_CPU fc_plans[core_cpus[fc_self].plan].cpus[fc_self]

/* A subject this CPU may run: idle, or a subject pinned to this CPU. */
#define SCHED_SUBJECT_OK(s) \
    ((s) == MOAT_SUBJECT_IDLE || ((s) < tables->subjects.count && fc_subjects[(s)].cpu == fc_self))

/* This CPU's part (core_cpus[fc_self]): the arch runs the core only on a CPU below the
 * tables' CPU count (fc_self, arch_cpu_id); its plan is one of the tables', `frames` and
 * `frame_count` are that plan's frames of this CPU, the current frame one of them and
 * `frame_subject` its subject (idle or pinned to this CPU). */
#define sched_cpu_ok \
    (fc_self < tables->cpu_count && \
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
