/*
 * Crash-audit records: one per contained subject fault, return from main, or kernel
 * panic. Each goes in full to the policy's audit region (a ring, see abi/audit.h) and,
 * as "audit <seq> <field> <value>" lines (a stable format tests match), to the kernel's
 * output: a summary without the registers for a fault or exit (into the CPU's kernel
 * log, see print.c), everything for a panic (on the console).
 */
#include <moat/abi/audit.h>

#include "core.h"

static uint64_t audit_count;
static bool audit_on; /* audit_init ran: before, a panic (the arch's at boot) has no region */

static uint64_t audit_capacity(void)
{
    return !audit_on || tables->audit_size < sizeof(struct moat_audit_header)
               ? 0u
               : (tables->audit_size - sizeof(struct moat_audit_header)) /
                     sizeof(struct moat_audit_record);
}

static void audit_write_header(void)
{
    struct moat_audit_header h = {
        .magic = MOAT_AUDIT_MAGIC,
        .count = audit_count,
        .record_size = (uint32_t)sizeof(struct moat_audit_record),
        .capacity = (uint32_t)audit_capacity(),
    };
    arch_phys_write(tables->audit_phys, &h, sizeof(h));
}

void audit_reset(void)
{
    audit_on = false;
}

void audit_init(void)
{
    audit_count = 0;
    audit_on = true;
    if (audit_capacity() > 0u) {
        arch_phys_zero(tables->audit_phys, tables->audit_size);
        audit_write_header();
    }
}

static void audit_mark(uint64_t seq, const char *mark)
{
    print_str("audit ");
    print_dec(seq);
    print_str(" ");
    print_str(mark);
    print_nl();
}

static void audit_line_begin(uint64_t seq, const char *field)
{
    print_str("audit ");
    print_dec(seq);
    print_str(" ");
    print_str(field);
    print_str(" ");
}

static void audit_hex(uint64_t seq, const char *field, uint64_t v)
{
    audit_line_begin(seq, field);
    print_hex(v);
    print_nl();
}

static const char *audit_kind_name(uint16_t kind)
{
    return kind == MOAT_AUDIT_FAULT ? "fault" : kind == MOAT_AUDIT_EXIT ? "exit" : "panic";
}

/* The record into its slot of the region's ring, and the header, when there is a ring. */
static void audit_store(const struct moat_audit_record *r)
{
    uint64_t capacity = audit_capacity();
    if (capacity > 0u) {
        paddr_t slot = tables->audit_phys + sizeof(struct moat_audit_header) +
                       ((r->seq - 1u) % capacity) * sizeof(struct moat_audit_record);
        arch_phys_write(slot, r, sizeof(*r));
        audit_write_header();
    }
}

/* The record into the audit region; returns its sequence number and time. */
uint64_t audit_write(uint16_t kind, subject_id_t subject, const struct arch_fault *f,
                     uint64_t action, tsc_t *tsc)
{
    struct moat_audit_record r = {0};
    /* One record at a time in the region, whichever CPU writes it. */
    bool locked = smp_console_lock();
    audit_count++;
    r.seq = audit_count;
    r.tsc = arch_now();
    r.subject = subject;
    r.kind = kind;
    r.vector = f->vector;
    r.error = f->error;
    r.ip = f->ip;
    r.addr = f->addr;
    r.action = action;
    /*@ loop invariant 0 <= i <= ARCH_FAULT_REGS;
        loop assigns i, r.regs[0 .. MOAT_AUDIT_REGS - 1];
        loop variant ARCH_FAULT_REGS - i; */
    for (uint32_t i = 0; i < ARCH_FAULT_REGS && i < MOAT_AUDIT_REGS; i++) {
        r.regs[i] = f->regs[i];
    }
    audit_store(&r);
    smp_console_unlock(locked);
    *tsc = r.tsc;
    return r.seq;
}

/*
 * Line `line` (from 0) of the report of record seq, the lines a fault or exit prints:
 * begin, kind, subject, tsc, vector and error (a fault or panic; an exit: status), ip,
 * addr, action, end. False past the last; nothing printed then. A panic's register lines
 * are audit_print's.
 */
bool audit_print_line(uint64_t seq, tsc_t tsc, uint16_t kind, subject_id_t subject,
                      const struct arch_fault *f, uint64_t action, uint32_t line)
{
    enum { L_BEGIN, L_KIND, L_SUBJECT, L_TSC, L_VECTOR, L_ERROR, L_IP, L_ADDR, L_ACTION, L_END };
    uint32_t which = line;
    if (kind == MOAT_AUDIT_EXIT && which >= L_ERROR && which <= L_END) {
        which++; /* an exit has a status line, no error line */
    }
    switch (which) {
    case L_BEGIN:
        audit_mark(seq, "begin");
        return true;
    case L_KIND:
        audit_line_begin(seq, "kind");
        print_str(audit_kind_name(kind));
        break;
    case L_SUBJECT:
        audit_line_begin(seq, "subject");
        print_str(subject == MOAT_SUBJECT_IDLE ? "kernel"
                                               : tables_string(tables_subject(subject)->name));
        break;
    case L_TSC:
        audit_line_begin(seq, "tsc");
        print_dec(tsc);
        break;
    case L_VECTOR:
        audit_line_begin(seq, kind == MOAT_AUDIT_EXIT ? "status" : "vector");
        print_dec(f->vector);
        if (kind != MOAT_AUDIT_EXIT) {
            print_str(" ");
            print_str(arch_vector_name(f->vector));
        }
        break;
    case L_ERROR:
        audit_hex(seq, "error", f->error);
        return true;
    case L_IP:
        audit_hex(seq, "ip", f->ip);
        return true;
    case L_ADDR:
        audit_hex(seq, "addr", f->addr);
        return true;
    case L_ACTION:
        audit_line_begin(seq, "action");
        print_str(action == MOAT_FAULT_RESTART ? "restart" : "stop");
        break;
    case L_END:
        audit_mark(seq, "end");
        return true;
    default:
        return false;
    }
    print_nl();
    return true;
}

/* All its lines in the kernel's output: a fault's or exit's as audit_print_line gives
 * them; a panic's with its registers instead of the action. */
void audit_print(uint64_t seq, tsc_t tsc, uint16_t kind, subject_id_t subject,
                 const struct arch_fault *f, uint64_t action)
{
    if (kind != MOAT_AUDIT_PANIC) {
        /*@ loop invariant 0 <= i <= AUDIT_LINES(kind) && print_ok;
            loop assigns i, PRINT_STATE;
            loop variant AUDIT_LINES(kind) - i; */
        for (uint32_t i = 0; audit_print_line(seq, tsc, kind, subject, f, action, i); i++) {
        }
        return;
    }
    /*@ loop invariant 0 <= i <= 4 && print_ok;
        loop assigns i, PRINT_STATE;
        loop variant 4 - i; */
    for (uint32_t i = 0; i < 4u; i++) { /* begin, kind, subject, tsc */
        (void)audit_print_line(seq, tsc, kind, subject, f, action, i);
    }
    if (f->ip != 0u) { /* vector and error */
        (void)audit_print_line(seq, tsc, kind, subject, f, action, 4u);
        (void)audit_print_line(seq, tsc, kind, subject, f, action, 5u);
    }
    audit_hex(seq, "ip", f->ip);
    audit_hex(seq, "addr", f->addr);
    /*@ loop invariant 0 <= i <= ARCH_FAULT_REGS && print_ok;
        loop assigns i, PRINT_STATE;
        loop variant ARCH_FAULT_REGS - i; */
    for (uint32_t i = 0; i < ARCH_FAULT_REGS; i++) {
        const char *name = arch_register_name(i);
        if (name[0] != '\0') {
            audit_hex(seq, name, f->regs[i]);
        }
    }
    audit_mark(seq, "end");
}

void audit_record(uint16_t kind, subject_id_t subject, const struct arch_fault *f, uint64_t action)
{
    tsc_t tsc = 0;
    uint64_t seq = audit_write(kind, subject, f, action, &tsc);
    audit_print(seq, tsc, kind, subject, f, action);
}
