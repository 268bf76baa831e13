/*
 * The contracts of vm.c (part kernel-vm of prove.py), included by kernel.c after the
 * code (prototypes with ACSL; Frama-C joins them to the definitions). The model
 * (fc_vm_state, fc_vms, VM_OK, vm_ok) is in model_vm.h.
 *
 * The exits the arch calls that step the plan (vm_on_call, vm_on_halt, vm_on_fault)
 * require VM_ENTRY(id): tables_ok, core_ok and what the arch guarantees (svm.c runs
 * only VM subjects, on their own CPU). The small ones (the interrupt controller, the
 * timer, the console, vm_enter) require only the flat facts they read (VM_ID, VM_REC):
 * vm_enter and vm_irq_next are also called inside vm_on_halt, after stores.
 */
#ifndef MOAT_PROOF_SPEC_VM_H
#define MOAT_PROOF_SPEC_VM_H

/* PROVISIONAL (paudit, for core_check_system; pvm: replace with yours): the names it
 * prints, as flat facts (it runs after other output). */
/*@ requires print_ok && SYS_NAMES;
    assigns PRINT_STATE;
    ensures print_ok; */
bool vm_check_machine(void);

/* Boot (core_prepare_subjects): writes only the patches, pristine image bytes. */
/*@ requires tables_ok;
    assigns \nothing; */
void vm_write_tsc_patches(void);

/*@ requires \valid(v) && \base_addr(v) == \base_addr(&fc_vm_state[0]);
    requires v->console_ready && VM_STATE_OK(v);
    assigns v->line.tsc, v->line.flags, v->line.length, v->console.wc, v->console.pos,
            fc_ram[0 .. FC_RAM_SIZE - 1];
    ensures VM_STATE_OK(v) && v->line.length == 0; */
static void vm_console_publish(struct vm_state *v, bool line_ends);

/* At boot (after the state region's zeroing) and at the end of each restart
 * (subject.c's subject_reset_finish): flat facts, not tables_ok (BOARD, the frame
 * problem: its callers have stored to fc_state). */
/*@ requires VM_REC(id) && vm_ok;
    assigns fc_vm_state[id], fc_state[id].timer_event, fc_state[id].wake_events,
            fc_ram[0 .. FC_RAM_SIZE - 1];
    ensures vm_ok;
    ensures fc_state[id].timer_event == VM_TIMER_EVENT;
    ensures fc_vm_state[id].halted_for_good == \false; */
void vm_reset(subject_id_t id);

/*@ requires VM_ID(id) && vm_ok;
    assigns fc_vm_state[id].line, fc_vm_state[id].console.wc, fc_vm_state[id].console.pos,
            fc_ram[0 .. FC_RAM_SIZE - 1];
    ensures vm_ok; */
void vm_console_out(subject_id_t id, uint8_t byte);

/* Any vector a guest names: only 32..255 change the map. */
/*@ requires VM_ID(id);
    assigns fc_vm_state[id].irr[0 .. 3]; */
void vm_irq_request(subject_id_t id, uint32_t vector);

/*@ requires \valid_read(map + (0 .. 3));
    assigns \nothing;
    ensures \result < 256;
    ensures (\forall integer w; 0 <= w < 4 ==> map[w] == 0) ==> \result == 0; */
static uint32_t vm_highest(const uint64_t map[4]);

/* blob_pinned: the tables' reads apart from its stores to fc_state (tables_ok gives it). */
/*@ requires VM_REC(id) && blob_pinned && core_ok;
    assigns fc_vm_state[id].irr[0 .. 3], fc_state[id].pending, fc_state[id].state;
    ensures core_ok;
    ensures \result == !fc_vm_state[id].halted_for_good; */
bool vm_enter(subject_id_t id);

/*@ requires VM_ID(id);
    assigns \nothing;
    ensures \result < 256; */
uint32_t vm_irq_next(subject_id_t id);

/* Any vector (the arch passes vm_irq_next's). */
/*@ requires VM_ID(id);
    assigns fc_vm_state[id].irr[0 .. 3], fc_vm_state[id].isr[0 .. 3]; */
void vm_irq_injected(subject_id_t id, uint32_t vector);

/*@ requires VM_ID(id);
    assigns fc_vm_state[id].isr[0 .. 3]; */
void vm_irq_eoi(subject_id_t id);

/*@ requires VM_ID(id);
    assigns fc_vm_state[id].timer_vector;
    ensures fc_vm_state[id].timer_vector == (masked ? 0 : vector); */
void vm_timer_route(subject_id_t id, uint8_t vector, bool masked);

/*@ requires VM_ID(id);
    assigns fc_state[id].timer_deadline;
    ensures fc_state[id].timer_deadline == deadline; */
void vm_timer_set(subject_id_t id, tsc_t deadline);

/*@ requires VM_ID(id);
    assigns \nothing;
    ensures \result == fc_state[id].timer_deadline; */
tsc_t vm_timer_get(subject_id_t id);

/*@ requires VM_ID(id);
    assigns fc_state[id].pending;
    ensures \result == MOAT_ERR_NONE_PENDING || 0 <= \result < MOAT_MAX_EVENTS; */
static int64_t vm_event_poll(subject_id_t id);

/* vmmcall: a send may act on anything an event does (event_send); a yield or a send
 * that stopped or restarted the VM steps the plan (core_on_timer). */
/*@ requires VM_ENTRY(id) && \valid(result);
    assigns *result, SCHED_ENTRY_STATE, POWER_STATE, VM_STATES;
    ensures core_ok && SCHED_NEXT_OK(\result); */
struct core_next vm_on_call(tsc_t now, subject_id_t id, uint64_t number, uint64_t arg0,
                            int64_t *result);

/*@ requires VM_ENTRY(id);
    assigns SCHED_ENTRY_STATE, VM_STATES;
    ensures core_ok && SCHED_NEXT_OK(\result); */
struct core_next vm_on_halt(tsc_t now, subject_id_t id, bool interrupts_on);

/*@ requires VM_ENTRY(id) && \valid_read(f) && \separated(f, &fc_state[id]);
    assigns SCHED_ENTRY_STATE, VM_STATES;
    ensures core_ok && SCHED_NEXT_OK(\result); */
struct core_next vm_on_fault(tsc_t now, subject_id_t id, const struct arch_fault *f);

/*@ assigns \nothing;
    ensures VM_FAULT_NPF <= vector <= VM_FAULT_EXIT ==> STR_OK(\result);
    ensures !(VM_FAULT_NPF <= vector <= VM_FAULT_EXIT) ==> \result == \null; */
const char *vm_fault_name(uint32_t vector);

#endif /* MOAT_PROOF_SPEC_VM_H */
