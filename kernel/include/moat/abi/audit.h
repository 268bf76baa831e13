/*
 * The crash-audit region: where the kernel records every contained subject fault, every
 * return from main and every kernel panic, so a supervisor subject or a post-mortem tool
 * can read them. moat-polc allocates it (audit_phys/audit_size in the tables header);
 * only the kernel writes it. The same records go to the debug console, one field per line:
 *     audit <seq> <field> <value>
 * beginning with "audit <seq> begin" and ending with "audit <seq> end".
 */
#ifndef MOAT_ABI_AUDIT_H
#define MOAT_ABI_AUDIT_H

#include <stdint.h>

#define MOAT_AUDIT_MAGIC 0x5444554154414f4dULL /* "MOATAUDT" */
#define MOAT_AUDIT_REGS  20u

enum moat_audit_kind {
    MOAT_AUDIT_FAULT = 1, /* a CPU exception in a subject */
    MOAT_AUDIT_EXIT = 2,  /* the subject returned from main (MOAT_KCALL_EXIT) */
    MOAT_AUDIT_PANIC = 3, /* the kernel stopped itself */
};

/* At audit_phys; records follow, a ring of `capacity` records indexed by seq % capacity. */
struct moat_audit_header {
    uint64_t magic;
    uint64_t count; /* records written since boot; the newest has seq == count */
    uint32_t record_size;
    uint32_t capacity;
    uint64_t reserved[5];
};

struct moat_audit_record {
    uint64_t seq; /* 1, 2, ... */
    uint64_t tsc;
    uint16_t subject; /* MOAT_SUBJECT_IDLE for a kernel panic */
    uint16_t kind;    /* enum moat_audit_kind */
    uint32_t vector;  /* exception vector; EXIT: the status */
    uint64_t error;   /* exception error code */
    uint64_t ip;      /* instruction pointer */
    uint64_t addr;    /* faulting address (x86-64: CR2) */
    uint64_t action;  /* enum moat_fault_action applied */
    /* x86-64: rax rbx rcx rdx rsi rdi rbp rsp r8..r15 rflags cs ss reserved */
    uint64_t regs[MOAT_AUDIT_REGS];
};

#endif /* MOAT_ABI_AUDIT_H */
