/*
 * VM subjects, the vendor-neutral part: see vm.h.
 */
#include "vm.h"

bool vm_check_machine(void)
{
    const char *missing = arch_vm_unsupported();
    for (subject_id_t i = 0; i < tables_subject_count() && missing != NULL; i++) {
        if (tables_subject(i)->kind == MOAT_SUBJECT_VM) {
            print_str("vm: subject ");
            print_str(tables_string(tables_subject(i)->name));
            print_str(" is a VM, this CPU has ");
            print_str(missing);
            print_nl();
            return false;
        }
    }
    return true;
}
