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

static uint64_t audit_capacity(void)
{
    if (moat_system.audit_size < sizeof(struct moat_audit_header)) {
        return 0;
    }
    return (moat_system.audit_size - sizeof(struct moat_audit_header)) /
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
    arch_phys_write(moat_system.audit_phys, &h, sizeof(h));
}

void audit_init(void)
{
    audit_count = 0;
    if (audit_capacity() > 0u) {
        arch_phys_zero(moat_system.audit_phys, moat_system.audit_size);
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
    if (kind == MOAT_AUDIT_FAULT) {
        return "fault";
    }
    if (kind == MOAT_AUDIT_EXIT) {
        return "exit";
    }
    return "panic";
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
    for (uint32_t i = 0; i < ARCH_FAULT_REGS && i < MOAT_AUDIT_REGS; i++) {
        r.regs[i] = f->regs[i];
    }
    uint64_t capacity = audit_capacity();
    if (capacity > 0u) {
        paddr_t slot = moat_system.audit_phys + sizeof(struct moat_audit_header) +
                       ((r.seq - 1u) % capacity) * sizeof(struct moat_audit_record);
        arch_phys_write(slot, &r, sizeof(r));
        audit_write_header();
    }
    smp_console_unlock(locked);
    *tsc = r.tsc;
    return r.seq;
}

/* Its lines in the kernel's output (the core may defer them to the subject's next frame). */
void audit_print(uint64_t seq, tsc_t tsc, uint16_t kind, subject_id_t subject,
                 const struct arch_fault *f, uint64_t action)
{
    audit_mark(seq, "begin");
    audit_line_begin(seq, "kind");
    print_str(audit_kind_name(kind));
    print_nl();
    audit_line_begin(seq, "subject");
    if (subject < moat_system.subject_count) {
        print_str(moat_system.subjects[subject].name);
    } else {
        print_str("kernel");
    }
    print_nl();
    audit_line_begin(seq, "tsc");
    print_dec(tsc);
    print_nl();
    if (kind == MOAT_AUDIT_FAULT || (kind == MOAT_AUDIT_PANIC && f->ip != 0u)) {
        audit_line_begin(seq, "vector");
        print_dec(f->vector);
        print_str(" ");
        print_str(arch_vector_name(f->vector));
        print_nl();
        audit_hex(seq, "error", f->error);
    } else if (kind == MOAT_AUDIT_EXIT) {
        audit_line_begin(seq, "status");
        print_dec(f->vector);
        print_nl();
    }
    audit_hex(seq, "ip", f->ip);
    audit_hex(seq, "addr", f->addr);
    if (kind == MOAT_AUDIT_PANIC) {
        for (uint32_t i = 0; i < ARCH_FAULT_REGS; i++) {
            const char *name = arch_register_name(i);
            if (name[0] != '\0') {
                audit_hex(seq, name, f->regs[i]);
            }
        }
    } else {
        audit_line_begin(seq, "action");
        print_str(action == MOAT_FAULT_RESTART ? "restart" : "stop");
        print_nl();
    }
    audit_mark(seq, "end");
}

void audit_record(uint16_t kind, subject_id_t subject, const struct arch_fault *f,
                  uint64_t action)
{
    tsc_t tsc = 0;
    uint64_t seq = audit_write(kind, subject, f, action, &tsc);
    audit_print(seq, tsc, kind, subject, f, action);
}
