/*
 * The contracts of tables.c, tables_vm.c, included by kernel.c after the
 * code (prototypes with ACSL; Frama-C joins them to the definitions). Every function of
 * these files that a proved function calls needs one here.
 */
#ifndef MOAT_PROOF_SPEC_TABLES_H
#define MOAT_PROOF_SPEC_TABLES_H

#endif /* MOAT_PROOF_SPEC_TABLES_H */
