/*
 * The predicates of audit.c, system.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_system.h.
 */
#ifndef MOAT_PROOF_MODEL_SYSTEM_H
#define MOAT_PROOF_MODEL_SYSTEM_H

/* The lines audit_print_line gives for a record of this kind (a fault's or panic's:
 * begin, kind, subject, tsc, vector, error, ip, addr, action, end; an exit has its status
 * instead of vector and error). */
#define AUDIT_LINES(kind) ((kind) == MOAT_AUDIT_EXIT ? 9 : 10)

#endif /* MOAT_PROOF_MODEL_SYSTEM_H */
