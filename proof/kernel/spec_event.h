/*
 * The contracts of event.c, subject.c, included by kernel.c after the
 * code (prototypes with ACSL; Frama-C joins them to the definitions). Every function of
 * these files that a proved function calls needs one here.
 */
#ifndef MOAT_PROOF_SPEC_EVENT_H
#define MOAT_PROOF_SPEC_EVENT_H

/* (Loose until pevent's contracts land: unreachable from a proved function.) */
/*@ requires \false;
    assigns \nothing; */
void event_raise(subject_id_t id, uint8_t event);

#endif /* MOAT_PROOF_SPEC_EVENT_H */
