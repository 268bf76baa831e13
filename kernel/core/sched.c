/*
 * Fixed cyclic scheduling: per CPU, the current plan's major frame is a sequence of
 * minor frames. Every frame boundary is computed from the planned start of the major
 * frame plus the cumulative ticks before it, never from the time a switch happened,
 * so a late interrupt or a misbehaving subject cannot shift later frames. Every CPU
 * computes the same instants from the same start; at each major frame start the CPUs
 * meet at the barrier (smp.c), which also hands them the plan of the new major frame.
 */
#include "core.h"

/* A CPU behind its plan in 1 of SCHED_NOTICE_SHARE frames says so, once per window: the
 * window is SCHED_NOTICE_MS, doubled after each window reported up to SCHED_NOTICE_MAX_MS
 * (the notice itself takes time, on a slow console much of it), back after a quiet one. */
#define SCHED_NOTICE_MS 20u
#define SCHED_NOTICE_MAX_MS 1280u
#define SCHED_NOTICE_SHARE 8u

struct core_cpu core_cpus[MOAT_MAX_CPUS];

uint64_t sched_ticks_to_tsc(uint64_t ticks)
{
    uint64_t ns = ticks * tables->tick_ns;
    uint64_t khz = arch_tsc_khz();
    return (ns / 1000000u) * khz + ((ns % 1000000u) * khz) / 1000000u;
}

static const struct moat_frame *sched_frame(const struct core_cpu *c)
{
    return &c->frames[c->frame];
}

/* The current plan's frames of this CPU, found once per plan (not at every step). */
static void sched_load_plan(struct core_cpu *c)
{
    c->frames = tables_frame(c->plan, c->cpu, 0);
    c->frame_count = tables_plan(c->plan)->cpus[c->cpu].frame_count;
}

static void sched_set_frame_end(struct core_cpu *c)
{
    const struct moat_frame *f = sched_frame(c);
    /*@ assert f == &fc_frames[SCHED_PLAN_CPU.frame_first + c->frame]; */
    /* The frame starts where the previous one ended (the same sum of ticks). */
    c->frame_start = c->frame == 0u ? c->major_start : c->frame_end;
    c->frame_end = c->major_start + sched_ticks_to_tsc(c->frame_ticks + f->ticks);
    /* Published before sched_pick reads pending bits (see smp_kick). */
    ATOMIC_STORE(&c->frame_subject, f->subject);
    c->frame_begun = false;
}

void sched_init(tsc_t now)
{
    /*@ assert SCHED_FRAMES_OK_AT(tables->initial_plan) &&
               SCHED_FRAME_SUBJECT_AT(tables->initial_plan, 0); */
    struct core_cpu *c = &core_cpus[arch_cpu_id()];
    c->cpu = arch_cpu_id();
    c->plan = tables->initial_plan;
    sched_load_plan(c);
    c->frame = 0;
    c->yielded = false;
    c->major_start = now;
    c->frame_ticks = 0;
    c->major_count = 0;
    c->window_start = now;
    c->window_ms = SCHED_NOTICE_MS;
    sched_set_frame_end(c);
}

/*
 * At a major frame start, once per window (`window_ms`): if at least one frame in
 * SCHED_NOTICE_SHARE of the window's was skipped or started late, say how far behind its
 * plan this CPU fell. A single late frame (a host hiccup under emulation) is not worth a
 * line; a CPU too slow for its plan is.
 */
static void sched_report_late(struct core_cpu *c)
{
    tsc_t now = arch_now();
    if (now - c->window_start < (uint64_t)c->window_ms * arch_tsc_khz()) {
        return;
    }
    uint64_t behind = (uint64_t)c->skipped_frames + c->late_frames;
    if (behind * SCHED_NOTICE_SHARE >= c->window_frames && behind != 0u) {
        bool locked = smp_console_lock();
        print_str("cpu ");
        print_dec(arch_cpu_id());
        print_str(" behind its plan: of ");
        print_dec(c->window_frames);
        print_str(" frames ");
        print_dec(c->skipped_frames);
        print_str(" skipped, ");
        print_dec(c->late_frames);
        print_str(" started late, worst ");
        print_dec(c->worst_lateness);
        print_str(" TSC ticks late, major frame ");
        print_dec(c->major_count);
        print_nl();
        smp_console_unlock(locked);
        c->window_ms = c->window_ms < SCHED_NOTICE_MAX_MS / 2u ? 2u * c->window_ms
                                                               : SCHED_NOTICE_MAX_MS;
    } else {
        c->window_ms = SCHED_NOTICE_MS;
    }
    c->window_start = now;
    c->window_frames = 0;
    c->skipped_frames = 0;
    c->late_frames = 0;
    c->worst_lateness = 0;
}

/* A plan switch in the log, once: CPU 0 speaks for all (every CPU switches at this
 * major frame, smp_barrier). */
static void sched_report_switch(const struct core_cpu *c, plan_id_t from)
{
    if (c->cpu != 0u) {
        return;
    }
    bool locked = smp_console_lock();
    print_str("plan switch: ");
    print_str(tables_string(tables_plan(from)->name));
    print_str(" -> ");
    print_str(tables_string(tables_plan(c->plan)->name));
    print_str(" at major frame ");
    print_dec(c->major_count);
    print_nl();
    smp_console_unlock(locked);
}

static void sched_step(struct core_cpu *c)
{
    /* The facts of this plan's frames used after the stores below, instantiated before
     * them (flat facts survive stores to other objects; quantified ones do not). */
    /*@ assert SCHED_FRAMES_OK_AT(c->plan); */
    c->window_frames++;
    if (!c->frame_begun) {
        c->skipped_frames++; /* ended before this CPU could start it */
    }
    c->yielded = false;
    c->frame_ticks += sched_frame(c)->ticks;
    c->frame++;
    if (c->frame >= c->frame_count) {
        c->major_start += sched_ticks_to_tsc(tables_plan(c->plan)->major_ticks);
        c->frame = 0;
        c->frame_ticks = 0;
        c->major_count++;
        /* Plan switches take effect at a major frame start only, on every CPU. */
        plan_id_t from = c->plan;
        c->plan = smp_barrier(c->major_count);
        /*@ assert \let p = c->plan;
                   \at(SCHED_FRAMES_OK_AT(p) && SCHED_FRAME_SUBJECT_AT(p, 0), Pre); */
        /*@ assert \let p = c->plan; \at(SCHED_NAME_AT(p) && SCHED_NAME_AT(c->plan), Pre); */
        /*@ assert SCHED_FRAMES_OK_AT(c->plan) && SCHED_FRAME_SUBJECT_AT(c->plan, 0); */
        /*@ assert SCHED_NAME_AT(c->plan) && SCHED_NAME_AT(from); */
        sched_load_plan(c);
        sched_set_frame_end(c);
        if (c->plan != from) {
            sched_report_switch(c, from);
        }
        sched_report_late(c);
        return;
    }
    /*@ assert \let f = c->frame; \at(SCHED_FRAME_SUBJECT_AT(c->plan, f), Pre); */
    sched_set_frame_end(c);
}

/* A frame's first pick: how late it starts, and the requests its subject has waiting. */
static void sched_begin_frame(struct core_cpu *c, subject_id_t id, tsc_t now)
{
    tsc_t start = c->frame_start;
    c->frame_begun = true;
    if (now > start) {
        if (now - start > c->worst_lateness) {
            c->worst_lateness = now - start;
        }
        /* Late by more than half its length: the frame is noticeably shortened. */
        if (now - start > (c->frame_end - start) / 2u) {
            c->late_frames++;
        }
    }
    if (id != MOAT_SUBJECT_IDLE) {
        subject_take_requests(id);
    }
}

/*
 * What the CPU runs now: the current frame's subject, or idle. At the frame's first pick
 * the subject's own deferred work runs, in its time: restarts/stops others asked for
 * (coalesced), and a timer whose deadline fell in another frame. A restarting subject's
 * reset steps run in chunks, in its frames only, before it runs again. Only this
 * subject's timer and the frame's end arm the timer.
 */
static struct core_next sched_pick(struct core_cpu *c, tsc_t now)
{
    struct core_next next = {MOAT_SUBJECT_IDLE, c->frame_end};
    subject_id_t id = ATOMIC_LOAD(&c->frame_subject); /* its frame's, stored at its start */
    if (!c->frame_begun) {
        sched_begin_frame(c, id, now);
    }
    if (id == MOAT_SUBJECT_IDLE) {
        return next;
    }
    struct core_subject *subj = core_subject(id);
    /* Its fault's report first (as much as fits), then its reset, each in its own time. */
    bool reported = !subj->report_pending || subject_report_work(id, c->frame_end);
    if (ATOMIC_LOAD(&subj->state) == SUBJECT_RESETTING) {
        /* More of the reset in another kernel entry, at once or in its next frame. */
        tsc_t more = subject_reset_work(id, c->frame_end);
        if (more != 0u) {
            next.deadline = more;
            return next;
        }
    }
    if (!reported) {
        return next; /* the rest of its fault's report in its next frame, and it with it */
    }
    event_fire_timer(id, now);
    if (c->yielded) {
        return next;
    }
    tsc_t t = subj->timer_deadline;
    if (t != 0u && t < next.deadline) {
        next.deadline = t;
    }
    uint8_t state = ATOMIC_LOAD(&subj->state);
    if (state != SUBJECT_RUNNABLE) {
        uint64_t pending = ATOMIC_LOAD(&subj->pending);
        if (state == SUBJECT_WAITING && pending != 0u) {
            arch_subject_set_result(id, event_take(id));
            ATOMIC_STORE(&subj->state, (uint8_t)SUBJECT_RUNNABLE);
            state = SUBJECT_RUNNABLE;
        } else if (state == SUBJECT_HALTED && (pending & subj->wake_events) != 0u) {
            /* A halted VM takes its events itself, as interrupts (vm_enter). */
            ATOMIC_STORE(&subj->state, (uint8_t)SUBJECT_RUNNABLE);
            state = SUBJECT_RUNNABLE;
        }
    }
    if (state == SUBJECT_RUNNABLE) {
        next.subject = id;
    }
    return next;
}

struct core_next core_start(tsc_t now)
{
    print_use_channel();
    sched_init(now);
    return sched_pick(&core_cpus[arch_cpu_id()], now);
}

static struct core_next sched_on_timer(struct core_cpu *c, tsc_t now)
{
    print_power_check(now);
    /* Skip every frame that ended while the CPU could not switch (bounded). */
    /*@ loop invariant 0 <= i <= MOAT_MAX_FRAMES_PER_CPU;
        loop invariant tables_ok && print_ok && sched_ok && subjects_ok && vm_ok;
        loop assigns i, SCHED_STATE, audit_count, PRINT_STATE; */
    for (uint32_t i = 0; i < MOAT_MAX_FRAMES_PER_CPU && now >= c->frame_end; i++) {
        sched_step(c);
    }
    return sched_pick(c, now);
}

struct core_next core_on_timer(tsc_t now)
{
    return sched_on_timer(&core_cpus[arch_cpu_id()], now);
}

/*
 * The direct return of a kernel call (not yield) after which `id`, the frame's subject,
 * is still runnable: it goes on until its frame's end or its own timer's deadline.
 * What core_on_timer would do besides is not needed: no frame has ended (else that
 * path runs), the frame's start work and id's report and reset were done before id ran
 * in it, and the power timeout check waits for the next timer entry (at this frame's
 * end at the latest). A timer deadline the call set in the past fires here, as there.
 */
struct core_next sched_resume(tsc_t now, subject_id_t id)
{
    struct core_cpu *c = &core_cpus[tables_subject(id)->cpu]; /* pinned: this CPU */
    if (now >= c->frame_end || !c->frame_begun || ATOMIC_LOAD(&c->frame_subject) != id) {
        return sched_on_timer(c, now);
    }
    event_fire_timer(id, now);
    struct core_next next = {id, c->frame_end};
    tsc_t t = core_subject(id)->timer_deadline;
    if (t != 0u && t < next.deadline) {
        next.deadline = t;
    }
    return next;
}
