/*
 * VM subjects, the vendor-neutral part (vm.c): what a VM's exits mean for the core. The
 * arch's back end (SVM today; VT-x could join) runs the guest in the VM's own frames and
 * reports what it cannot finish alone through the vm_* entries below: a kernel call by
 * the guest, HLT, a contained fault, a byte of console output, the guest's interrupt
 * controller (requested and in-service vectors, the TSC-deadline timer, which is the
 * core's subject timer on incoming event VM_TIMER_EVENT, so it fires only in the VM's
 * frames). The kernel never reads guest memory: every input is a register value.
 */
#ifndef MOAT_CORE_VM_H
#define MOAT_CORE_VM_H

#include <libchannel.h>
#include <moat/log.h>

#include "core.h"

/* A VM's incoming event 63 is its emulated timer (moat_vm.vectors[63] must be 0). */
#define VM_TIMER_EVENT (MOAT_MAX_EVENTS - 1u)

/* What a contained VM fault was (moat_audit_record.vector; below them, CPU vectors). */
#define VM_FAULT_NPF      0x100u /* a guest-physical address the VM may not use */
#define VM_FAULT_SHUTDOWN 0x101u /* triple fault */
#define VM_FAULT_STATE    0x102u /* the hardware refused the guest state */
#define VM_FAULT_EXIT     0x103u /* an exit the back end does not know; error = its code */

/* Per VM, in the core's part of its state slot (after struct core_subject). */
struct vm_state {
    uint64_t irr[4];       /* requested vectors, bit v of irr[v / 64] */
    uint64_t isr[4];       /* in service (injected, not yet ended by an EOI) */
    uint8_t timer_vector;  /* the vector the timer raises; 0: masked */
    bool halted_for_good;  /* HLT with interrupts off: only a restart ends it */
    bool console_ready;    /* the console channel's writer is set up */
    struct channel_writer console;
    struct klog_record line; /* the console line being written */
};
#define VM_STATE_OFFSET 0x140u
_Static_assert(sizeof(struct core_subject) <= VM_STATE_OFFSET &&
                   VM_STATE_OFFSET + sizeof(struct vm_state) <= CORE_SUBJECT_ARCH_OFFSET,
               "the VM state fits the core's part of the slot");

static inline struct vm_state *vm_state(subject_id_t id)
{
    return (struct vm_state *)(void *)((uint8_t *)core_subject(id) + VM_STATE_OFFSET);
}

/* VM record v (< the vms' count). */
static inline const struct moat_vm *tables_vm_at(uint32_t v)
{
    return &((const struct moat_vm *)tables_array(tables->vms))[v];
}

/* The VM record of a VM subject (kind MOAT_SUBJECT_VM: its vm index is checked). */
static inline const struct moat_vm *tables_vm(const struct moat_subject *s)
{
    return tables_vm_at(s->vm);
}

/* Boot: false (and one line said why) when the tables hold a VM this CPU cannot run. */
bool vm_check_machine(void);
/* Boot, before the first reset copies them: the TSC kHz into every VM's patch. */
void vm_write_tsc_patches(void);
/* At boot and after each restart's reset steps: a fresh interrupt controller. */
void vm_reset(subject_id_t id);

/* Before each guest entry: incoming events to requested vectors. False when the VM
 * halted with interrupts off (it then stays out of the CPU until a restart). */
bool vm_enter(subject_id_t id);
/* The vector to inject next (above every in-service one), or 0. */
uint32_t vm_irq_next(subject_id_t id);
/* The back end injected `vector`: requested -> in service. */
void vm_irq_injected(subject_id_t id, uint32_t vector);
/* The guest's interrupt controller: request a vector (self-IPI), end the highest in
 * service (EOI), route the timer, arm its TSC deadline (0: off), read its state. */
void vm_irq_request(subject_id_t id, uint32_t vector);
void vm_irq_eoi(subject_id_t id);
void vm_timer_route(subject_id_t id, uint8_t vector, bool masked);
void vm_timer_set(subject_id_t id, tsc_t deadline);
tsc_t vm_timer_get(subject_id_t id);

/* Exits. Each returns what the CPU runs next, as the core's entries do. */
struct core_next vm_on_call(tsc_t now, subject_id_t id, uint64_t number, uint64_t arg0,
                            int64_t *result);
struct core_next vm_on_halt(tsc_t now, subject_id_t id, bool interrupts_on);
struct core_next vm_on_fault(tsc_t now, subject_id_t id, const struct arch_fault *f);
/* A byte the guest wrote to its console: lines go to the "<vm>.log" channel. */
void vm_console_out(subject_id_t id, uint8_t byte);
/* The name of a VM fault for the audit ("npf"), or NULL for a CPU vector. */
const char *vm_fault_name(uint32_t vector);

#endif /* MOAT_CORE_VM_H */
