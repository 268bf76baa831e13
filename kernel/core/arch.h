/*
 * The interface between the portable kernel core and an architecture. kernel/core/
 * calls only the arch_* functions below; kernel/arch/x86_64/ implements them, and
 * kernel/tests/fake_arch.c implements them for host unit tests. The arch calls back
 * into the core through the core_* entry points in core.h.
 */
#ifndef MOAT_CORE_ARCH_H
#define MOAT_CORE_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <moat/abi/tables.h>

typedef uint64_t tsc_t;

/* The most registers an arch reports in a fault (fits moat_audit_record.regs). */
#define ARCH_FAULT_REGS 20u

/* What the arch tells the core about an exception in a subject. */
struct arch_fault {
    uint32_t vector;
    uint64_t error;
    uint64_t ip;
    uint64_t addr;
    uint64_t regs[ARCH_FAULT_REGS];
};

/* Debug console. */
void arch_console_putc(char c);

/* Time: the TSC (or the arch's equivalent monotonic cycle counter). */
tsc_t arch_now(void);
uint64_t arch_tsc_khz(void);

/* The firmware memory map: true when [base, base + size) is all usable RAM. */
bool arch_ram_covers(paddr_t base, uint64_t size);

/* Can the kernel reach [base, base + size) through arch_phys_*? */
bool arch_phys_reachable(paddr_t base, uint64_t size);

/* Physical memory the policy gives the kernel (resets, sinfo, audit). */
void arch_phys_copy(paddr_t dst, paddr_t src, uint64_t size);
void arch_phys_zero(paddr_t dst, uint64_t size);
void arch_phys_write(paddr_t dst, const void *src, uint64_t size);
/* A kernel pointer to [base, base + size) (the kernel log channels); NULL if unreachable. */
void *arch_phys_map(paddr_t base, uint64_t size);

/* Subject execution state: fresh registers and extended state from the descriptor. */
void arch_subject_init(subject_id_t id, const struct moat_subject *subject);
/* The value a blocked kernel call returns when the subject next runs. */
void arch_subject_set_result(subject_id_t id, int64_t value);

/* Fault register names, for the audit console ("rax", ...); index < ARCH_FAULT_REGS. */
const char *arch_register_name(uint32_t index);
const char *arch_vector_name(uint32_t vector);

/* CPUs: this CPU's index (0 = the boot CPU), and how many the machine has. */
uint32_t arch_cpu_id(void);
uint32_t arch_cpu_count(void);
/* Make CPU `cpu` enter the kernel soon (an IPI); nothing if it is this CPU. */
void arch_wake_cpu(uint32_t cpu);
/* Wait with interrupts enabled until an interrupt or `deadline`, whichever is first. */
void arch_idle_until(tsc_t deadline);
/* A pause inside a spin loop. */
void arch_cpu_relax(void);
/* Panic: stop every other running CPU (NMI); and stop this one for good. */
void arch_stop_other_cpus(void);
_Noreturn void arch_halt(void);

void arch_irq_unmask(uint8_t line);

/* VM subjects: NULL when this CPU can run them, else what it lacks (one phrase). */
const char *arch_vm_unsupported(void);

/* Power: failure selects a nonzero exit status where the platform has one. */
_Noreturn void arch_poweroff(bool failure);
_Noreturn void arch_reboot(void);

#endif /* MOAT_CORE_ARCH_H */
