/*
 * The predicates of tables.c, tables_vm.c, included by kernel.c before
 * the code, so that annotations in the code may name them. Contracts: spec_tables.h.
 */
#ifndef MOAT_PROOF_MODEL_TABLES_H
#define MOAT_PROOF_MODEL_TABLES_H

/* What tables_check establishes (its postcondition); the precondition of every entry
 * after boot. To be stated as named conjuncts. */
#define tables_ok (\valid_read(tables))

#endif /* MOAT_PROOF_MODEL_TABLES_H */
