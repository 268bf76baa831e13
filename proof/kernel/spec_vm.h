/*
 * The contracts of vm.c, included by kernel.c after the
 * code (prototypes with ACSL; Frama-C joins them to the definitions). Every function of
 * these files that a proved function calls needs one here.
 */
#ifndef MOAT_PROOF_SPEC_VM_H
#define MOAT_PROOF_SPEC_VM_H

#endif /* MOAT_PROOF_SPEC_VM_H */
