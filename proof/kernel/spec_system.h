/*
 * The contracts of audit.c, system.c, included by kernel.c after the
 * code (prototypes with ACSL; Frama-C joins them to the definitions). Every function of
 * these files that a proved function calls needs one here. Proved by part kernel-system.
 */
#ifndef MOAT_PROOF_SPEC_SYSTEM_H
#define MOAT_PROOF_SPEC_SYSTEM_H

/* A failed CHECK() (core.h, under __FRAMAC__): unreachable is what WP proves at each. */
/*@ requires \false;
    assigns \nothing;
    ensures \false; */
_Noreturn void core_check_failed(uint64_t line);

/* ---- audit.c ---- */

/*@ requires tables_ok;
    assigns audit_count;
    ensures audit_count == 0; */
void audit_init(void);

/* The record into the audit region; its sequence number (>= 1) and time. */
/*@ requires tables_ok && \valid_read(f) && \valid(tsc);
    requires \separated(tsc, &audit_count, &core_shared);
    assigns audit_count, core_shared.console, *tsc;
    ensures audit_count == \old(audit_count) + 1 || \old(audit_count) == UINT64_MAX;
    ensures \result == audit_count; */
uint64_t audit_write(uint16_t kind, subject_id_t subject, const struct arch_fault *f,
                     uint64_t action, tsc_t *tsc);

/* One line of a fault's or exit's report: true for the lines 0 .. AUDIT_LINES(kind) - 1,
 * false (nothing printed) past them. */
/* (Only the facts it reads, not tables_ok: subject_report_work calls it in a loop that
 * stores to fc_state.) */
/*@ requires print_ok && EV_TABLES && \valid_read(f);
    requires subject == MOAT_SUBJECT_IDLE ||
             (subject < tables->subjects.count && EV_SUBJECT(subject));
    assigns PRINT_STATE;
    ensures print_ok;
    ensures \result <==> line < AUDIT_LINES(kind); */
bool audit_print_line(uint64_t seq, tsc_t tsc, uint16_t kind, subject_id_t subject,
                      const struct arch_fault *f, uint64_t action, uint32_t line);

/*@ requires print_ok && tables_ok && \valid_read(f);
    requires subject == MOAT_SUBJECT_IDLE || subject < tables->subjects.count;
    assigns PRINT_STATE;
    ensures print_ok; */
void audit_print(uint64_t seq, tsc_t tsc, uint16_t kind, subject_id_t subject,
                 const struct arch_fault *f, uint64_t action);

/*@ requires print_ok && tables_ok && \valid_read(f);
    requires subject == MOAT_SUBJECT_IDLE || subject < tables->subjects.count;
    assigns audit_count, core_shared.console, PRINT_STATE;
    ensures print_ok; */
void audit_record(uint16_t kind, subject_id_t subject, const struct arch_fault *f,
                  uint64_t action);

/* ---- system.c ---- */

/*
 * The panics do not return (the first CPU to panic powers off; the others halt). They
 * are not unreachable: smp_barrier's panic (a CPU missed the major-frame barrier, a
 * hardware fault) is a real path, so their precondition is what printing and the audit
 * record need, not \false. What they change before they stop: the panic word, the
 * console lock, the kernel output, the audit count.
 */
/*@ requires print_ok && tables_ok && STR_OK(why) && \valid_read(f);
    assigns core_shared.panicking, core_shared.console, audit_count, PRINT_STATE;
    ensures \false; */
static _Noreturn void system_panic(const char *why, const struct arch_fault *f, uint64_t value,
                                   bool hex);

/*@ requires print_ok && tables_ok && STR_OK(why);
    assigns core_shared.panicking, core_shared.console, audit_count, PRINT_STATE;
    ensures \false; */
_Noreturn void core_panic(const char *why, uint64_t value);

/*@ requires print_ok && tables_ok && STR_OK(why);
    assigns core_shared.panicking, core_shared.console, audit_count, PRINT_STATE;
    ensures \false; */
_Noreturn void core_panic_hex(const char *why, uint64_t value);

/*@ requires print_ok && tables_ok && STR_OK(why) && \valid_read(f);
    assigns core_shared.panicking, core_shared.console, audit_count, PRINT_STATE;
    ensures \false; */
_Noreturn void core_panic_fault(const char *why, const struct arch_fault *f);

#endif /* MOAT_PROOF_SPEC_SYSTEM_H */
