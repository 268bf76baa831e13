/*
 * The model of vm.c (kernel/core/vm.c, part kernel-vm of prove.py), included by kernel.c
 * before the code, so that annotations in the code may name it. Contracts: spec_vm.h.
 *
 * Ghost objects:
 *  - fc_vm_state: the VM part of each subject's state slot (vm_state(id), at
 *    VM_STATE_OFFSET in the slot, after the core's part, fc_state: the two never
 *    overlap, VM_STATE_OFFSET >= sizeof(struct core_subject), a _Static_assert of vm.h);
 */
#ifndef MOAT_PROOF_MODEL_VM_H
#define MOAT_PROOF_MODEL_VM_H

#include "../../kernel/core/vm.h"

/*@ ghost struct vm_state fc_vm_state[MOAT_MAX_SUBJECTS]; */

/* ---- vm_state(id), like core_subject (kernel.c); tables_vm: model_tables.h. ---- */

/*@ requires \valid_read(tables) && id < tables->subjects.count <= MOAT_MAX_SUBJECTS;
    assigns \nothing;
    ensures \result == &fc_vm_state[id]; */
static inline struct vm_state *vm_state(subject_id_t id);

/*@ // 10 to the power 10 - n (n digits of a TSC kHz below 10^10 written, the rest left).
    logic integer vm_tsc_limit(integer n) =
      n <= 0 ? 10000000000 : n == 1 ? 1000000000 : n == 2 ? 100000000 : n == 3 ? 10000000 :
      n == 4 ? 1000000 : n == 5 ? 100000 : n == 6 ? 10000 : n == 7 ? 1000 : n == 8 ? 100 :
      n == 9 ? 10 : 1;
*/

/* Subject i is a VM (i below the subject count). */
#define VM_SUBJECT(i) (0 <= (i) < tables->subjects.count && fc_subjects[i].kind == MOAT_SUBJECT_VM)

/* The flat facts of tables_ok that vm.c's inner functions need (they are called after
 * stores, where re-proving all of tables_ok is costly; BOARD, the frame problem): id is
 * a VM subject, its vm record one of the blob's. */
#define VM_ID(id) (\valid_read(tables) && tables->subjects.count <= MOAT_MAX_SUBJECTS && VM_SUBJECT(id))
#define VM_REC(id) (VM_ID(id) && fc_subjects[id].vm < tables->vms.count <= MOAT_MAX_VMS)

/* What a VM subject's vm_state keeps (vm_ok): a console writer, once set up, in the state
 * channel_write needs (libchannel's channel_writer_ok over memory of fc_ram, records of
 * struct moat_log_record), and the line being written at most MOAT_LOG_TEXT_MAX long.
 * Macros rather than predicates, so that WP splits them into separate goals. */
/* libchannel's channel_writer_ok(w) under condition c, as model_print.h's WRITER_OK_FLAT:
 * flat reads of the writer's fields, which a store elsewhere (fc_state, another VM's
 * state) visibly leaves alone; each conjunct under its own condition, so WP splits them. */
#define WRITER_OK_IF(c, w) \
    (((c) ==> \valid(w)) && \
     ((c) && (w)->mem != \null ==> WRITER_SPAN(w) <= UINT64_MAX) && \
     ((c) && (w)->mem != \null ==> \valid((w)->mem + (0 .. WRITER_SPAN(w) - 1))) && \
     ((c) && (w)->mem != \null ==> \separated((w), (w)->mem + (0 .. WRITER_SPAN(w) - 1))))
#define VM_STATE_OK(v) \
    (WRITER_OK_IF((v)->console_ready, &(v)->console) && \
     ((v)->console_ready ==> (v)->console.mem != \null) && \
     ((v)->console_ready ==> (v)->console.element_size == sizeof(struct moat_log_record)) && \
     ((v)->console_ready ==> \base_addr((v)->console.mem) == \base_addr(&fc_ram[0])) && \
     ((v)->console_ready ==> (v)->line.length <= MOAT_LOG_TEXT_MAX))
#define VM_OK(i) VM_STATE_OK(&fc_vm_state[i])

/* The VM state invariant (vm_state of each VM subject), part of core_ok. */
#define vm_ok (\forall integer i; VM_SUBJECT(i) ==> VM_OK(i))

/* What a vm.c function may change of subject id's VM state and of memory (its console
 * channel is in fc_ram); all VMs' (an entry that may restart one: vm_reset). */
#define VM_STATE(id) fc_vm_state[id], fc_ram[0 .. FC_RAM_SIZE - 1]
#define VM_STATES fc_vm_state[0 .. MOAT_MAX_SUBJECTS - 1], fc_ram[0 .. FC_RAM_SIZE - 1]

/* The arch's entries: the back end runs only VM subjects (svm.c), each on its own CPU
 * (the current frame's subject), after boot (tables_ok) with the run-time invariant. */
#define VM_ENTRY(id) (tables_ok && core_ok && VM_SUBJECT(id) && fc_subjects[id].cpu == fc_self)

#endif /* MOAT_PROOF_MODEL_VM_H */
