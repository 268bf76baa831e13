/*
 * Subject life cycle: the reset steps the policy generates (run at boot and on every
 * restart), fault containment (audit, then the subject's policy action), stop and
 * restart on request. A subject's state is changed only by its own CPU: a restart or stop
 * requested from another CPU waits in `request` until its CPU next enters the kernel.
 */
#include <stddef.h>

#include <moat/abi/audit.h>
#include <moat/sinfo_format.h>

#include "core.h"

struct core_subject core_subjects[MOAT_MAX_SUBJECTS];

void subject_reset(subject_id_t id)
{
    const struct moat_subject *d = &moat_system.subjects[id];
    struct core_subject *s = &core_subjects[id];
    for (uint32_t i = 0; i < d->reset_count && i < MOAT_MAX_RESETS; i++) {
        const struct moat_reset *r = &d->resets[i];
        if (r->src == 0u) {
            arch_phys_zero(r->dst, r->size);
        } else {
            arch_phys_copy(r->dst, r->src, r->size);
        }
    }
    if (d->sinfo_phys != 0u) {
        uint64_t khz = arch_tsc_khz();
        arch_phys_write(d->sinfo_phys + offsetof(struct moat_sinfo, tsc_khz), &khz, sizeof(khz));
    }
    arch_subject_init(id, d);
    ATOMIC_STORE(&s->state, (uint8_t)SUBJECT_RUNNABLE);
    ATOMIC_STORE(&s->pending, 0u);
    s->timer_deadline = 0;
    s->timer_event = 0;
}

void subject_stop(subject_id_t id)
{
    ATOMIC_STORE(&core_subjects[id].state, (uint8_t)SUBJECT_STOPPED);
    core_subjects[id].timer_deadline = 0;
    bool locked = smp_console_lock();
    print_str("subject ");
    print_str(moat_system.subjects[id].name);
    print_str(" stopped");
    print_nl();
    smp_console_unlock(locked);
}

void subject_restart(subject_id_t id)
{
    core_subjects[id].restarts++;
    subject_reset(id);
    bool locked = smp_console_lock();
    print_str("subject ");
    print_str(moat_system.subjects[id].name);
    print_str(" restarted (");
    print_dec(core_subjects[id].restarts);
    print_str(")");
    print_nl();
    smp_console_unlock(locked);
}

/* Restarts and stops other CPUs asked for this CPU's subjects. */
void subject_take_requests(void)
{
    for (subject_id_t id = 0; id < moat_system.subject_count && id < MOAT_MAX_SUBJECTS; id++) {
        if (!sched_on_this_cpu(id) || ATOMIC_LOAD(&core_subjects[id].request) == 0u) {
            continue;
        }
        uint8_t request = ATOMIC_EXCHANGE(&core_subjects[id].request, (uint8_t)0u);
        if ((request & SUBJECT_REQUEST_RESTART) != 0u) {
            subject_restart(id);
        }
        if ((request & SUBJECT_REQUEST_STOP) != 0u) {
            subject_stop(id);
        }
    }
}

void core_prepare_subjects(void)
{
    audit_init();
    smp_reset();
    for (subject_id_t id = 0; id < moat_system.subject_count && id < MOAT_MAX_SUBJECTS; id++) {
        core_subjects[id].restarts = 0;
        ATOMIC_STORE(&core_subjects[id].request, (uint8_t)0u);
        subject_reset(id);
    }
}

struct core_next core_on_fault(tsc_t now, subject_id_t current, const struct arch_fault *f)
{
    CHECK(current < moat_system.subject_count);
    uint8_t action = moat_system.subjects[current].on_fault;
    audit_record(MOAT_AUDIT_FAULT, current, f, action);
    if (action == MOAT_FAULT_RESTART) {
        subject_restart(current);
    } else {
        subject_stop(current);
    }
    return core_on_timer(now);
}

void core_raise_irq(uint8_t line)
{
    for (uint32_t i = 0; i < moat_system.irq_count && i < MOAT_MAX_IRQS; i++) {
        const struct moat_irq_route *r = &moat_system.irqs[i];
        if (r->line == line) {
            event_raise(r->subject, r->event);
        }
    }
}

struct core_next core_on_irq(tsc_t now, uint8_t line)
{
    core_raise_irq(line);
    return core_on_timer(now);
}
