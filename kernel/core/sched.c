/*
 * Fixed cyclic scheduling: per CPU, the current plan's major frame is a sequence of
 * minor frames. Every frame boundary is computed from the planned start of the major
 * frame plus the cumulative ticks before it, never from the time a switch happened,
 * so a late interrupt or a misbehaving subject cannot shift later frames. Every CPU
 * computes the same instants from the same start; at each major frame start the CPUs
 * meet at the barrier (smp.c), which also hands them the plan of the new major frame.
 */
#include "core.h"

struct core_cpu core_cpus[MOAT_MAX_CPUS];

uint64_t sched_ticks_to_tsc(uint64_t ticks)
{
    uint64_t ns = ticks * moat_system.tick_ns;
    uint64_t khz = arch_tsc_khz();
    return (ns / 1000000u) * khz + ((ns % 1000000u) * khz) / 1000000u;
}

static const struct moat_cpu_schedule *sched_schedule(const struct core_cpu *c)
{
    return &moat_system.plans[c->plan].cpus[arch_cpu_id()];
}

bool sched_on_this_cpu(subject_id_t id)
{
    return moat_system.subjects[id].cpu == arch_cpu_id();
}

static void sched_set_frame_end(struct core_cpu *c)
{
    const struct moat_cpu_schedule *s = sched_schedule(c);
    c->frame_end = c->major_start + sched_ticks_to_tsc(c->frame_ticks + s->frames[c->frame].ticks);
    /* Published before sched_pick reads pending bits (see smp_kick). */
    ATOMIC_STORE(&c->frame_subject, s->frames[c->frame].subject);
}

void sched_init(tsc_t now)
{
    struct core_cpu *c = &core_cpus[arch_cpu_id()];
    c->plan = moat_system.initial_plan;
    c->frame = 0;
    c->yielded = false;
    c->major_start = now;
    c->frame_ticks = 0;
    c->major_count = 0;
    sched_set_frame_end(c);
}

void sched_step(void)
{
    struct core_cpu *c = &core_cpus[arch_cpu_id()];
    const struct moat_cpu_schedule *s = sched_schedule(c);
    c->yielded = false;
    c->frame_ticks += s->frames[c->frame].ticks;
    c->frame++;
    if (c->frame >= s->frame_count) {
        c->major_start += sched_ticks_to_tsc(moat_system.plans[c->plan].major_ticks);
        c->frame = 0;
        c->frame_ticks = 0;
        c->major_count++;
        /* Plan switches take effect at a major frame start only, on every CPU. */
        c->plan = smp_barrier(c->major_count);
    }
    sched_set_frame_end(c);
}

struct core_next sched_pick(tsc_t now)
{
    struct core_cpu *c = &core_cpus[arch_cpu_id()];
    const struct moat_cpu_schedule *s = sched_schedule(c);
    struct core_next next = {MOAT_SUBJECT_IDLE, c->frame_end};
    subject_id_t id = s->frames[c->frame].subject;

    /* Wake early for a timer of a subject of this CPU, without moving the frame's end. */
    for (subject_id_t i = 0; i < moat_system.subject_count && i < MOAT_MAX_SUBJECTS; i++) {
        if (!sched_on_this_cpu(i)) {
            continue;
        }
        tsc_t t = core_subjects[i].timer_deadline;
        if (t != 0u && t > now && t < next.deadline) {
            next.deadline = t;
        }
    }
    if (id >= moat_system.subject_count || c->yielded) {
        return next;
    }
    struct core_subject *subj = &core_subjects[id];
    if (ATOMIC_LOAD(&subj->state) == SUBJECT_WAITING && ATOMIC_LOAD(&subj->pending) != 0u) {
        arch_subject_set_result(id, event_take(id));
        ATOMIC_STORE(&subj->state, (uint8_t)SUBJECT_RUNNABLE);
    }
    if (ATOMIC_LOAD(&subj->state) == SUBJECT_RUNNABLE) {
        next.subject = id;
    }
    return next;
}

struct core_next core_start(tsc_t now)
{
    sched_init(now);
    return sched_pick(now);
}

struct core_next core_on_timer(tsc_t now)
{
    struct core_cpu *c = &core_cpus[arch_cpu_id()];
    subject_take_requests();
    event_fire_timers(now);
    /* Skip every frame that ended while the CPU could not switch (bounded). */
    for (uint32_t i = 0; i < MOAT_MAX_FRAMES_PER_CPU && now >= c->frame_end; i++) {
        sched_step();
    }
    return sched_pick(now);
}
