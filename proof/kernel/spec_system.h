/*
 * The contracts of audit.c, system.c, included by kernel.c after the
 * code (prototypes with ACSL; Frama-C joins them to the definitions). Every function of
 * these files that a proved function calls needs one here.
 */
#ifndef MOAT_PROOF_SPEC_SYSTEM_H
#define MOAT_PROOF_SPEC_SYSTEM_H

/* A failed CHECK() (core.h, under __FRAMAC__): unreachable is what WP proves at each. */
/*@ requires \false;
    assigns \nothing;
    ensures \false; */
_Noreturn void core_check_failed(uint64_t line);

#endif /* MOAT_PROOF_SPEC_SYSTEM_H */
