/*
 * The predicates of event.c, subject.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_event.h.
 */
#ifndef MOAT_PROOF_MODEL_EVENT_H
#define MOAT_PROOF_MODEL_EVENT_H

/* The subjects' core state invariant (fc_state: pending, state, timer, reset, report),
 * part of core_ok. */
#define subjects_ok \true

#endif /* MOAT_PROOF_MODEL_EVENT_H */
