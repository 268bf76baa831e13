/*
 * The predicates of audit.c, system.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_system.h.
 */
#ifndef MOAT_PROOF_MODEL_SYSTEM_H
#define MOAT_PROOF_MODEL_SYSTEM_H

#include <moat/abi/audit.h>

/* The lines audit_print_line gives for a record of this kind (a fault's or panic's:
 * begin, kind, subject, tsc, vector, error, ip, addr, action, end; an exit has its status
 * instead of vector and error). */
#define AUDIT_LINES(kind) ((kind) == MOAT_AUDIT_EXIT ? 9 : 10)

/* What the audit record needs of the tables (a flat part of tables_ok: blob_header, and
 * blob_system's and blob_kernel_ranges' facts about the audit region, unfolded): the
 * region inside one region, not wrapping, away from the state region and the kernel
 * logs. */
#define AUDIT_REGION \
    (tables->audit_size != 0 ==> \
       (\exists integer j; 0 <= j < tables->regions.count && \
          fc_regions[j].base <= tables->audit_phys && \
          tables->audit_phys + tables->audit_size <= fc_regions[j].base + fc_regions[j].size) && \
       tables->audit_phys + tables->audit_size < 0x10000000000000000 && \
       !overlap(tables->audit_phys, tables->audit_size, tables->state_phys, tables->state_size) && \
       (\forall integer c; 0 <= c < MOAT_MAX_CPUS && tables->klog_phys[c] != 0 ==> \
          !overlap(tables->audit_phys, tables->audit_size, tables->klog_phys[c], tables->klog_size)))
#define AUDIT_TABLES_OK (blob_header && AUDIT_REGION)
/* The audit region is used only once audit_init ran, after the boot check: before, the
 * panics (the arch's at boot, with `tables` NULL or unchecked) need nothing of the tables. */
#define AUDIT_TABLES (audit_on ==> AUDIT_TABLES_OK)
/* The subject of a record: the kernel's (a panic), or one of the tables, with its name. */
#define AUDIT_SUBJECT(subject) \
    ((subject) == MOAT_SUBJECT_IDLE || \
     (\valid_read(tables) && (subject) < tables->subjects.count <= MOAT_MAX_SUBJECTS && \
      fc_subjects[subject].name < tables->strings.count && \
      STR_OK(&fc_strings[fc_subjects[subject].name])))

/* The names printing reads (a flat part of tables_ok: blob_counts, blob_strings and the
 * subjects' and plans' name offsets), for functions that print them after other output. */
#define SYS_NAMES \
    (\valid_read(tables) && tables->subjects.count <= MOAT_MAX_SUBJECTS && \
     tables->plans.count <= MOAT_MAX_PLANS && tables->strings.count <= MOAT_TABLES_CAPACITY && \
     (\forall integer s; 0 <= s < tables->subjects.count ==> fc_subjects[s].name < tables->strings.count) && \
     (\forall integer off; 0 <= off < tables->strings.count ==> valid_str(&fc_strings[off])))

/* A subject's core state as zeroed memory holds it (core_check_system zeroes the state
 * region: arch_phys_zero's `state` behaviour). */
#define STATE_ZERO(s) \
    (fc_state[s].state == 0 && fc_state[s].request == 0 && fc_state[s].pending == 0 && \
     fc_state[s].timer_deadline == 0 && fc_state[s].timer_event == 0 && \
     fc_state[s].restarts == 0 && fc_state[s].reset_step == 0 && fc_state[s].reset_done == 0 && \
     fc_state[s].finish_tsc == 0 && fc_state[s].report_pending == 0 && \
     fc_state[s].report_line == 0 && fc_state[s].report_action == 0 && \
     fc_state[s].report_kind == 0 && fc_state[s].report_seq == 0 && \
     fc_state[s].report_tsc == 0 && fc_state[s].wake_events == 0)

/* The arch's reach (arch_phys_reachable, arch_spec.h): whether the kernel can reach
 * [base, base + size); what reaches a range reaches each part of it. */
/*@ axiomatic Arch {
      predicate fc_reachable(integer base, integer size);
      axiom reachable_part: \forall integer b, s, b2, s2;
        fc_reachable(b, s) && b <= b2 && b2 + s2 <= b + s && 0 <= s2 ==> fc_reachable(b2, s2);
    }
*/

/*@
  // The records the audit region holds after its header (audit_capacity).
  logic integer audit_cap{L} =
    tables->audit_size < sizeof(struct moat_audit_header) ? 0 :
      (tables->audit_size - sizeof(struct moat_audit_header)) / sizeof(struct moat_audit_record);
*/

#endif /* MOAT_PROOF_MODEL_SYSTEM_H */
