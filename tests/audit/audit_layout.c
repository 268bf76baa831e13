/* Prints the layout of the audit region's structures (moat/abi/audit.h) as
 * "name offset" lines, for moat-audit's test to compare with the tool's own. */
#include <stddef.h>
#include <stdio.h>

#include <moat/abi/audit.h>
#include <moat/abi/tables.h>

#define FIELD(type, f) printf(#type "." #f " %zu %zu\n", offsetof(struct type, f), \
                              sizeof(((struct type *)0)->f))

int main(void)
{
    printf("magic 0x%llx\n", (unsigned long long)MOAT_AUDIT_MAGIC);
    printf("subject_idle %u\n", (unsigned)MOAT_SUBJECT_IDLE);
    printf("header %zu\n", sizeof(struct moat_audit_header));
    printf("record %zu\n", sizeof(struct moat_audit_record));
    FIELD(moat_audit_header, magic);
    FIELD(moat_audit_header, count);
    FIELD(moat_audit_header, record_size);
    FIELD(moat_audit_header, capacity);
    FIELD(moat_audit_record, seq);
    FIELD(moat_audit_record, tsc);
    FIELD(moat_audit_record, subject);
    FIELD(moat_audit_record, kind);
    FIELD(moat_audit_record, vector);
    FIELD(moat_audit_record, error);
    FIELD(moat_audit_record, ip);
    FIELD(moat_audit_record, addr);
    FIELD(moat_audit_record, action);
    FIELD(moat_audit_record, regs);
    printf("fault %d exit %d panic %d\n", MOAT_AUDIT_FAULT, MOAT_AUDIT_EXIT, MOAT_AUDIT_PANIC);
    printf("stop %d restart %d\n", MOAT_FAULT_STOP, MOAT_FAULT_RESTART);
    return 0;
}
