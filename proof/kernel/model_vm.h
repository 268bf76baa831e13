/*
 * The predicates of vm.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_vm.h.
 */
#ifndef MOAT_PROOF_MODEL_VM_H
#define MOAT_PROOF_MODEL_VM_H

/* The VM state invariant (vm_state of each VM subject), part of core_ok. */
#define vm_ok (0 == 0) /* placeholder: a macro body may not say \true (stdbool.h makes true 1) */

#endif /* MOAT_PROOF_MODEL_VM_H */
