/*
 * The predicates of sched.c, smp.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_sched.h.
 */
#ifndef MOAT_PROOF_MODEL_SCHED_H
#define MOAT_PROOF_MODEL_SCHED_H

/* The scheduler's state invariant (core_cpus, core_shared), part of core_ok. */
#define sched_ok \true

#endif /* MOAT_PROOF_MODEL_SCHED_H */
