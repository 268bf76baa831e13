/*
 * The contracts of sched.c, smp.c, included by kernel.c after the
 * code (prototypes with ACSL; Frama-C joins them to the definitions). Every function of
 * these files that a proved function calls needs one here.
 */
#ifndef MOAT_PROOF_SPEC_SCHED_H
#define MOAT_PROOF_SPEC_SCHED_H

#endif /* MOAT_PROOF_SPEC_SCHED_H */
