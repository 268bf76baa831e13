/*
 * What CPUs share: the major-frame barrier (which also latches the plan every CPU runs
 * next, so a switch-plan takes effect everywhere at the same major frame), wake-ups of a
 * subject waiting on another CPU, and the console lock. Every shared word is in
 * core_shared or named in core.h and is accessed through atomic.h; no lock is ever held
 * across a subject switch (the console lock only around one message).
 */
#include "core.h"

struct core_shared core_shared;

/* How long a CPU waits at the barrier for the others before it panics, in ms. */
#define BARRIER_TIMEOUT_MS 2000u
/* Wake-ups one barrier wait may see (wake IPIs, IRQs, the timeout timer). */
#define BARRIER_WAKEUPS 1000000u
/* Spins on the console lock before printing anyway (a CPU stopped while holding it). */
#define CONSOLE_SPINS 10000000u

void smp_reset(void)
{
    ATOMIC_STORE(&core_shared.arrived, 0u);
    ATOMIC_STORE(&core_shared.generation, 0u);
    ATOMIC_STORE(&core_shared.plan_requested, tables->initial_plan);
    ATOMIC_STORE(&core_shared.plan_latched, tables->initial_plan);
}

plan_id_t smp_barrier(uint64_t major)
{
    uint32_t cpus = tables->cpu_count;
    uint32_t self = arch_cpu_id();
    if (ATOMIC_FETCH_ADD(&core_shared.arrived, 1u) + 1u >= cpus) {
        ATOMIC_STORE(&core_shared.arrived, 0u);
        ATOMIC_STORE(&core_shared.plan_latched, ATOMIC_LOAD(&core_shared.plan_requested));
        ATOMIC_STORE(&core_shared.generation, major);
        /*@ loop invariant 0 <= cpu <= cpus;
            loop assigns cpu; */
        for (uint32_t cpu = 0; cpu < cpus; cpu++) {
            if (cpu != self) {
                arch_wake_cpu(cpu);
            }
        }
    } else {
        tsc_t limit = arch_now() + (uint64_t)BARRIER_TIMEOUT_MS * arch_tsc_khz();
        /*@ loop invariant 0 <= i <= BARRIER_WAKEUPS && sched_shared_ok;
            loop assigns i, core_shared; */
        for (uint32_t i = 0; i < BARRIER_WAKEUPS && ATOMIC_LOAD(&core_shared.generation) < major;
             i++) {
            if (arch_now() >= limit) {
                break;
            }
            arch_idle_until(limit);
        }
        if (ATOMIC_LOAD(&core_shared.generation) < major) {
            core_panic("a CPU missed the major-frame barrier; waiting at major frame", major);
        }
    }
    return ATOMIC_LOAD(&core_shared.plan_latched);
}

/*
 * After setting a pending bit of `id`: if its CPU is another one, is in id's frame now
 * and id waits, interrupt it so id sees the event inside this frame. The check reads the
 * target's frame and state after the caller's atomic write; the target writes its frame
 * and state before it reads pending bits, so one of the two always sees the other.
 */
void smp_kick(subject_id_t id)
{
    uint32_t cpu = tables_subject(id)->cpu;
    if (ATOMIC_LOAD(&core_cpus[cpu].frame_subject) != id) {
        return; /* not in its frame (nor can the sender be, on id's own CPU) */
    }
    uint8_t state = ATOMIC_LOAD(&core_subject(id)->state);
    if ((state == SUBJECT_WAITING || state == SUBJECT_HALTED) && cpu != arch_cpu_id()) {
        arch_wake_cpu(cpu);
    }
}

bool smp_console_lock(void)
{
    /*@ loop invariant 0 <= i <= CONSOLE_SPINS;
        loop assigns i, core_shared.console; */
    for (uint32_t i = 0; i < CONSOLE_SPINS; i++) {
        if (ATOMIC_EXCHANGE(&core_shared.console, 1u) == 0u) {
            return true;
        }
        arch_cpu_relax();
    }
    return false;
}

void smp_console_unlock(bool locked)
{
    if (locked) {
        ATOMIC_STORE(&core_shared.console, 0u);
    }
}

bool core_panicking(void)
{
    return ATOMIC_LOAD(&core_shared.panicking) != 0u;
}
