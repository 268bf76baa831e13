/*
 * The predicates of vm.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_vm.h.
 */
#ifndef MOAT_PROOF_MODEL_VM_H
#define MOAT_PROOF_MODEL_VM_H

/* The VM state invariant (vm_state of each VM subject), part of core_ok. */
#define vm_ok \true

#endif /* MOAT_PROOF_MODEL_VM_H */
