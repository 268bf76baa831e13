/*
 * VM subjects, the vendor-neutral part (vm.c): what a VM's exits mean for the core. The
 * arch's back end (SVM today) runs the guest and reports each exit it cannot finish
 * itself through the vm_* entries below; the arch_vm_* hooks in arch.h act on the guest.
 */
#ifndef MOAT_CORE_VM_H
#define MOAT_CORE_VM_H

#include "core.h"

/* The VM record of a VM subject (kind MOAT_SUBJECT_VM: its vm index is checked). */
static inline const struct moat_vm *tables_vm(const struct moat_subject *s)
{
    return &((const struct moat_vm *)tables_array(tables->vms))[s->vm];
}

/* Boot: false (and one line said why) when the tables hold a VM this CPU cannot run. */
bool vm_check_machine(void);

#endif /* MOAT_CORE_VM_H */
