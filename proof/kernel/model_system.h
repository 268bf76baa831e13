/*
 * The predicates of audit.c, system.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_system.h.
 */
#ifndef MOAT_PROOF_MODEL_SYSTEM_H
#define MOAT_PROOF_MODEL_SYSTEM_H

#endif /* MOAT_PROOF_MODEL_SYSTEM_H */
