/*
 * What the two halves of the boot check share (tables.c, tables_vm.c): the one-line
 * refusals naming the current record, the region lookups and the kernel's own ranges.
 */
#ifndef MOAT_CORE_TABLES_CHECK_H
#define MOAT_CORE_TABLES_CHECK_H

#include "vm.h"

/* The record a refusal names, and the part of it ("send 2", "reset 0", ...). */
void tables_rec_at(const char *kind, uint32_t index, uint32_t name);
extern const char *tables_rec_part;
extern uint32_t tables_rec_part_index;

/* Print "tables: <record>: <what>: <a>[<sep><b>]" (hex when `hex`), drop the tables,
 * return false. */
bool tables_refuse_n(const char *what, uint64_t a, const char *sep, uint64_t b, bool hex);
bool tables_refuse(const char *what, uint64_t a, const char *sep, uint64_t b);
/* [base, base + size) inside one region; else (range_ok) refused as `what`. */
bool tables_in_region(paddr_t base, uint64_t size);
bool tables_range_ok(const char *what, paddr_t base, uint64_t size);

/* What the kernel itself writes: the state region, the audit region, the kernel logs,
 * and per VM its VMCB page and its console channel (from KERNEL_VM_RANGES). */
#define KERNEL_VM_RANGES (2u + MOAT_MAX_CPUS)
#define KERNEL_RANGES (KERNEL_VM_RANGES + 2u * MOAT_MAX_VMS)
extern paddr_t kernel_base[KERNEL_RANGES];
extern uint64_t kernel_size[KERNEL_RANGES];
/* True (and refused) when [base, base + size) meets a kernel range other than `self`. */
bool tables_kernel_range_hit(const char *what, paddr_t base, uint64_t size, uint32_t self);

/* tables_vm.c */
extern uint32_t tables_vms_used; /* bit v: some subject uses vm record v */
bool tables_vms_ok(void);
bool tables_vm_subject_ok(const struct moat_subject *s);
bool tables_vm_patches_ok(void); /* after every subject_ok */

#endif /* MOAT_CORE_TABLES_CHECK_H */
