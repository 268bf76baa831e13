/*
 * The contracts of vm.c, included by kernel.c after the
 * code (prototypes with ACSL; Frama-C joins them to the definitions). Every function of
 * these files that a proved function calls needs one here.
 */
#ifndef MOAT_PROOF_SPEC_VM_H
#define MOAT_PROOF_SPEC_VM_H

/* PROVISIONAL (paudit, for core_check_system; pvm: replace with yours): the names it
 * prints, as flat facts (it runs after other output). */
/*@ requires print_ok && SYS_NAMES;
    assigns PRINT_STATE;
    ensures print_ok; */
bool vm_check_machine(void);
#endif /* MOAT_PROOF_SPEC_VM_H */
