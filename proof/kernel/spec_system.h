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

/*@ requires AUDIT_TABLES;
    assigns \nothing;
    ensures \result == (audit_on ? audit_cap : 0); */
static uint64_t audit_capacity(void);

/*@ requires audit_on && AUDIT_TABLES_OK && audit_cap > 0;
    assigns \nothing; */
static void audit_write_header(void);

/*@ requires AUDIT_TABLES_OK;
    assigns audit_count, audit_on;
    ensures audit_count == 0 && audit_on; */
void audit_init(void);

/*@ requires print_ok && STR_OK(mark);
    assigns PRINT_STATE;
    ensures print_ok; */
static void audit_mark(uint64_t seq, const char *mark);

/*@ requires print_ok && STR_OK(field);
    assigns PRINT_STATE;
    ensures print_ok; */
static void audit_line_begin(uint64_t seq, const char *field);

/*@ requires print_ok && STR_OK(field);
    assigns PRINT_STATE;
    ensures print_ok; */
static void audit_hex(uint64_t seq, const char *field, uint64_t v);

/*@ assigns \nothing;
    ensures STR_OK(\result); */
static const char *audit_kind_name(uint16_t kind);

/*@ requires AUDIT_TABLES && \valid_read(r);
    assigns \nothing; */
static void audit_store(const struct moat_audit_record *r);

/* The record into the audit region (a ring after the header, slot (seq - 1) % capacity);
 * its sequence number and time. */
/*@ requires AUDIT_TABLES && \valid_read(f) && \valid(tsc);
    requires \separated(tsc, &audit_count, &core_shared);
    assigns audit_count, core_shared.console, *tsc;
    ensures \result == audit_count; */
uint64_t audit_write(uint16_t kind, subject_id_t subject, const struct arch_fault *f,
                     uint64_t action, tsc_t *tsc);

/* One line of a fault's or exit's report: true for the lines 0 .. AUDIT_LINES(kind) - 1,
 * false (nothing printed) past them. */
/* (Only the facts it reads, not tables_ok: subject_report_work calls it in a loop that
 * stores to fc_state; nothing of the tables for the kernel's record: a panic's at boot.) */
/*@ requires print_ok && \valid_read(f) && AUDIT_SUBJECT(subject);
    assigns PRINT_STATE;
    ensures print_ok;
    ensures \result <==> line < AUDIT_LINES(kind); */
bool audit_print_line(uint64_t seq, tsc_t tsc, uint16_t kind, subject_id_t subject,
                      const struct arch_fault *f, uint64_t action, uint32_t line);

/*@ requires print_ok && \valid_read(f) && AUDIT_SUBJECT(subject);
    assigns PRINT_STATE;
    ensures print_ok; */
void audit_print(uint64_t seq, tsc_t tsc, uint16_t kind, subject_id_t subject,
                 const struct arch_fault *f, uint64_t action);

/*@ requires print_ok && AUDIT_TABLES && \valid_read(f) && AUDIT_SUBJECT(subject);
    assigns audit_count, core_shared.console, PRINT_STATE;
    ensures print_ok; */
void audit_record(uint16_t kind, subject_id_t subject, const struct arch_fault *f,
                  uint64_t action);

/* ---- system.c ---- */

/*@ requires print_ok && STR_OK(what);
    assigns PRINT_STATE;
    ensures print_ok;
    ensures \result ==> fc_reachable(base, size); */
static bool system_check_ram(paddr_t base, uint64_t size, const char *what);

/*@ requires print_ok && tables_ok;
    assigns PRINT_STATE;
    ensures print_ok; */
static void system_banner(void);

/* Boot, after the boot check: on true, every region is reachable, the state region is
 * mapped (core_state) and each subject's core state is zero. */
/*@ requires print_ok && tables_ok;
    assigns core_state, PRINT_STATE, fc_state[0 .. tables->subjects.count - 1],
            fc_vm_state[0 .. tables->subjects.count - 1];
    ensures print_ok;
    ensures \result ==> (tables->state_size != 0 ==> core_state != \null);
    ensures \result ==> \forall integer s; 0 <= s < tables->subjects.count ==> STATE_ZERO(s); */
bool core_check_system(void);

/*
 * The panics do not return (the first CPU to panic powers off; the others halt). They
 * are not unreachable: smp_barrier's panic (a CPU missed the major-frame barrier, a
 * hardware fault) is a real path, as are the arch's at boot (before the tables are
 * checked: AUDIT_TABLES), so their precondition is what printing and the audit record
 * need, not \false. What they change before they stop: the panic word, the console
 * lock, the kernel output, the audit count.
 */
/*@ requires print_ok && AUDIT_TABLES && STR_OK(why) && \valid_read(f);
    assigns core_shared.panicking, core_shared.console, audit_count, PRINT_STATE;
    ensures \false; */
static _Noreturn void system_panic(const char *why, const struct arch_fault *f, uint64_t value,
                                   bool hex);

/*@ requires print_ok && AUDIT_TABLES && STR_OK(why);
    assigns core_shared.panicking, core_shared.console, audit_count, PRINT_STATE;
    ensures \false; */
_Noreturn void core_panic(const char *why, uint64_t value);

/*@ requires print_ok && AUDIT_TABLES && STR_OK(why);
    assigns core_shared.panicking, core_shared.console, audit_count, PRINT_STATE;
    ensures \false; */
_Noreturn void core_panic_hex(const char *why, uint64_t value);

/*@ requires print_ok && AUDIT_TABLES && STR_OK(why) && \valid_read(f);
    assigns core_shared.panicking, core_shared.console, audit_count, PRINT_STATE;
    ensures \false; */
_Noreturn void core_panic_fault(const char *why, const struct arch_fault *f);

#endif /* MOAT_PROOF_SPEC_SYSTEM_H */
