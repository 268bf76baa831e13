/*
 * The arch as the kernel proof assumes it: an ACSL contract for every arch_* function the
 * core calls (kernel/core/arch.h). WP proves each call's precondition and takes the
 * contract as the function's effect; kernel/arch/x86_64 implements them (docs/assurance.md,
 * "What is assumed", says which C and assembly stands behind each and why).
 *
 * Memory: the arch's physical-memory calls write only the ranges the boot check put
 * inside a policy region and away from what the core keeps as C objects (the state
 * region, fc_state; the kernel log channels, fc_ram), so they change no C object of the
 * core, except arch_phys_zero of the state region at boot, which zeroes fc_state.
 */
#ifndef MOAT_PROOF_ARCH_SPEC_H
#define MOAT_PROOF_ARCH_SPEC_H

#include "model.h"

/* fc_reachable (arch_phys_reachable's model): model_system.h, as the code's loop
 * invariants name it. */

/*@ assigns \nothing; */
void arch_console_putc(char c);

/*@ assigns \nothing; */
tsc_t arch_now(void);

/* Calibrated at boot; apic.c's calibrate() refuses 0 and anything of more than
 * MOAT_VM_TSC_DIGITS decimal digits (a TSC above 10 THz is a failed calibration). */
/*@ assigns \nothing;
    ensures 0 < \result < 10000000000; */
uint64_t arch_tsc_khz(void);

/*@ assigns \nothing; */
bool arch_ram_covers(paddr_t base, uint64_t size);

/*@ assigns \nothing;
    ensures \result <==> fc_reachable(base, size); */
bool arch_phys_reachable(paddr_t base, uint64_t size);

/*@ requires in_regions(dst, size) && in_regions(src, size);
    requires !core_hit(dst, size);
    assigns \nothing; */
void arch_phys_copy(paddr_t dst, paddr_t src, uint64_t size);

/* Whether [dst, dst + size) meets the state region (overlap's test, as a term). WP charges
 * every call with the union of the behaviours' assigns, so the one assigns clause names
 * fc_state only when the range meets the state region. */
#define ZERO_STATE(dst, size) \
    ((size) != 0 && tables->state_size != 0 && (dst) < tables->state_phys + tables->state_size && \
     tables->state_phys < (dst) + (size))
/*@ requires in_regions(dst, size);
    assigns fc_state[0 .. (ZERO_STATE(dst, size) ? tables->subjects.count - 1 : -1)],
            fc_vm_state[0 .. (ZERO_STATE(dst, size) ? tables->subjects.count - 1 : -1)];
    behavior state:
      assumes overlap(dst, size, tables->state_phys, tables->state_size);
      requires dst == tables->state_phys && size == tables->state_size;
      requires size == tables->subjects.count * MOAT_SUBJECT_STATE_SIZE;
      ensures \forall integer s; 0 <= s < tables->subjects.count ==> STATE_ZERO(s);
      ensures \forall integer s; 0 <= s < tables->subjects.count ==>
        fc_vm_state[s].console_ready == \false && fc_vm_state[s].line.length == 0;
    behavior other:
      assumes !overlap(dst, size, tables->state_phys, tables->state_size);
      requires !core_hit(dst, size);
    complete behaviors;
    disjoint behaviors; */
void arch_phys_zero(paddr_t dst, uint64_t size);
#undef ZERO_STATE

/*@ requires in_regions(dst, size) && !core_hit(dst, size);
    requires src != \null;
    assigns \nothing; */
void arch_phys_write(paddr_t dst, const void *src, uint64_t size);

/*@ assigns \nothing;
    ensures fc_reachable(base, size) ==> \result != \null;
    ensures \result != \null ==> \valid((uint8_t *)\result + (0 .. size - 1)) &&
            \base_addr(\result) == \base_addr(&fc_ram[0]); */
void *arch_phys_map(paddr_t base, uint64_t size);

/*@ requires id < tables->subjects.count;
    assigns \nothing; */
void arch_subject_init(subject_id_t id, const struct moat_subject *subject);

/*@ requires id < tables->subjects.count;
    assigns \nothing; */
void arch_subject_set_result(subject_id_t id, int64_t value);

/*@ requires index < ARCH_FAULT_REGS;
    assigns \nothing;
    ensures STR_OK(\result); */
const char *arch_register_name(uint32_t index);

/*@ assigns \nothing;
    ensures STR_OK(\result); */
const char *arch_vector_name(uint32_t vector);

/*@ assigns \nothing;
    ensures \result == fc_self; */
uint32_t arch_cpu_id(void);

/*@ assigns \nothing; */
uint32_t arch_cpu_count(void);

/*@ assigns \nothing; */
void arch_wake_cpu(uint32_t cpu);

/* While it waits, other CPUs run on: they move the barrier's words, keeping the plans
 * they latch or request among the tables' plans. */
/*@ requires \valid_read(tables);
    assigns core_shared;
    ensures core_shared.plan_requested < tables->plans.count &&
            core_shared.plan_latched < tables->plans.count; */
void arch_idle_until(tsc_t deadline);

/*@ assigns core_shared.console; */
void arch_cpu_relax(void);

/*@ assigns \nothing; */
void arch_stop_other_cpus(void);

/*@ assigns \nothing;
    ensures \false; */
_Noreturn void arch_halt(void);

/*@ requires line < MOAT_MAX_IRQS;
    assigns \nothing; */
void arch_irq_unmask(uint8_t line);

/*@ assigns \nothing;
    ensures \result == \null || STR_OK(\result); */
const char *arch_vm_unsupported(void);

/*@ assigns \nothing;
    ensures \false; */
_Noreturn void arch_poweroff(bool failure);

/*@ assigns \nothing;
    ensures \false; */
_Noreturn void arch_reboot(void);

#endif /* MOAT_PROOF_ARCH_SPEC_H */
