/*
 * Subject life cycle: the reset steps the policy generates (run whole at boot; on a
 * restart run in chunks, in the subject's own frames only), fault containment (audit,
 * then the subject's policy action), stop and restart on request. A subject's state is
 * changed only by its own CPU: a restart or stop another subject asks for waits in
 * `request` until the target's next frame starts, so it costs only the target's time.
 */
#include <stddef.h>

#include <moat/abi/audit.h>
#include <moat/sinfo_format.h>

#include "core.h"
#include "vm.h"

#define SUBJECT_RESTART_NOTICES 32u

/* The most a chunk's cost estimate may be: twice the boot resets' rate (0: no estimate). */
static uint64_t subject_chunk_cap;

static void subject_reset_bytes(const struct moat_reset *r, uint64_t offset, uint64_t size)
{
    if (r->src == 0u) {
        arch_phys_zero(r->dst + offset, size);
    } else {
        arch_phys_copy(r->dst + offset, r->src + offset, size);
    }
}

/* The TSC frequency into a sinfo page. (Its own function: the address of a local taken
 * in subject_reset_finish would be, to WP, a change of memory vm_ok reads.) */
static void subject_write_khz(paddr_t sinfo)
{
    uint64_t khz = arch_tsc_khz();
    arch_phys_write(sinfo + offsetof(struct moat_sinfo, tsc_khz), &khz, sizeof(khz));
}

/* After the last reset step: fresh registers and sinfo, and the subject runs again. */
static void subject_reset_finish(subject_id_t id)
{
    const struct moat_subject *d = tables_subject(id);
    if (d->sinfo_phys != 0u) {
        subject_write_khz(d->sinfo_phys);
    }
    arch_subject_init(id, d);
    if (d->kind == MOAT_SUBJECT_VM) {
        vm_reset(id);
    }
    ATOMIC_STORE(&core_subject(id)->state, (uint8_t)SUBJECT_RUNNABLE);
}

/* Forget everything of the old run and start the reset steps from the first. */
static void subject_reset_begin(subject_id_t id)
{
    struct core_subject *s = core_subject(id);
    ATOMIC_STORE(&s->state, (uint8_t)SUBJECT_RESETTING);
    ATOMIC_STORE(&s->pending, 0u);
    s->timer_deadline = 0;
    s->timer_event = 0;
    s->reset_step = 0;
    s->reset_done = 0;
}

/*
 * Whether work estimated at `need` may start at `now` and end before `until`, the end of
 * the frame that began at `start`. An estimate above three quarters of the frame would
 * (almost) never fit, frame starts being a little late: a boot measurement the host or
 * an SMI stretched, or a frame shorter than the work, and the subject would never run
 * again. Such an estimate counts as half the frame: the work runs in the first half of
 * one of its frames (and overruns it only if it really is that long). Below that, as is.
 */
static bool subject_work_fits(tsc_t now, tsc_t until, tsc_t start, uint64_t need)
{
    uint64_t frame = until > start ? until - start : 0u;
    if (need > frame - frame / 4u) {
        need = frame / 2u;
    }
    return now < until && until - now >= need;
}

/*
 * Part of a restart's reset steps, in chunks of SUBJECT_RESET_CHUNK_BYTES, at most
 * SUBJECT_RESET_CHUNKS_PER_ENTRY of them, each started only when it can end before
 * `until` (the frame's end) at the cost the last chunk took on this CPU; the same for the
 * last part, at what it took for this subject at boot. Returns 0 once
 * the reset is complete and the subject is runnable; else when to come back for more:
 * at once (a new kernel entry), or at `until` when no chunk fits before it any more.
 */
tsc_t subject_reset_work(subject_id_t id, tsc_t until)
{
    const struct moat_subject *d = tables_subject(id);
    struct core_subject *s = core_subject(id);
    struct core_cpu *c = &core_cpus[arch_cpu_id()];
    uint32_t steps = d->reset_count;
    tsc_t now = arch_now();
    tsc_t start = c->frame_start;
    /*@ loop invariant 0 <= chunk <= SUBJECT_RESET_CHUNKS_PER_ENTRY;
        loop invariant subjects_ok;
        loop assigns chunk, now, s->reset_step, s->reset_done, c->reset_chunk_tsc; */
    for (uint32_t chunk = 0; chunk < SUBJECT_RESET_CHUNKS_PER_ENTRY && s->reset_step < steps &&
                             subject_work_fits(now, until, start, c->reset_chunk_tsc);
         chunk++) {
        const struct moat_reset *r = tables_reset(d, s->reset_step);
        /*@ assert EV_RESET(r); */
        uint64_t size = r->size - s->reset_done;
        if (size > SUBJECT_RESET_CHUNK_BYTES) {
            size = SUBJECT_RESET_CHUNK_BYTES;
        }
        subject_reset_bytes(r, s->reset_done, size);
        tsc_t after = arch_now();
        if (size == SUBJECT_RESET_CHUNK_BYTES) {
            /* Capped, so one slow chunk (an SMI) cannot keep every later one out. */
            uint64_t took = after - now;
            c->reset_chunk_tsc = took < subject_chunk_cap ? took : subject_chunk_cap;
        }
        now = after;
        s->reset_done += size;
        if (s->reset_done >= r->size) {
            s->reset_step++;
            s->reset_done = 0;
        }
    }
    if (s->reset_step < steps) {
        return subject_work_fits(now, until, start, c->reset_chunk_tsc) ? now : until;
    }
    /* The last part (fresh registers and XSAVE image) must fit before the end as well. */
    if (!subject_work_fits(now, until, start, s->finish_tsc)) {
        return until;
    }
    subject_reset_finish(id);
    return 0;
}

static void subject_print_stopped(subject_id_t id)
{
    bool locked = smp_console_lock();
    print_str("subject ");
    print_str(tables_string(tables_subject(id)->name));
    print_str(" stopped");
    print_nl();
    smp_console_unlock(locked);
}

/* A flood (one restart per frame) must not fill the kernel log: the first
 * SUBJECT_RESTART_NOTICES restarts are reported, then every power of two. */
static void subject_print_restarted(subject_id_t id)
{
    uint32_t n = core_subject(id)->restarts;
    if (n > SUBJECT_RESTART_NOTICES && (n & (n - 1u)) != 0u) {
        return;
    }
    bool locked = smp_console_lock();
    print_str("subject ");
    print_str(tables_string(tables_subject(id)->name));
    print_str(" restarted (");
    print_dec(n);
    print_str(")");
    print_nl();
    smp_console_unlock(locked);
}

static void subject_do_stop(subject_id_t id)
{
    ATOMIC_STORE(&core_subject(id)->state, (uint8_t)SUBJECT_STOPPED);
    core_subject(id)->timer_deadline = 0;
}

/* Begins a restart; the reset steps run in the subject's frames from now on (sched_pick). */
static void subject_do_restart(subject_id_t id)
{
    core_subject(id)->restarts++;
    subject_reset_begin(id);
}

void subject_stop(subject_id_t id)
{
    subject_do_stop(id);
    subject_print_stopped(id);
}

void subject_restart(subject_id_t id)
{
    subject_do_restart(id);
    subject_print_restarted(id);
}

/*
 * The report of id's last fault or exit, in the subject's own frame: its lines one at a
 * time, each only while one line (what the last took on this CPU) fits before `until`,
 * the action's line last. A line is ~1.4k instructions under -icount, so even the first,
 * unmeasured, overruns the frame by less than the isolation bound. True once it is out.
 */
bool subject_report_work(subject_id_t id, tsc_t until)
{
    struct core_subject *s = core_subject(id);
    struct core_cpu *c = &core_cpus[arch_cpu_id()];
    tsc_t start = c->frame_start;
    tsc_t now = arch_now();
    /* Bounded: a report has at most 10 audit lines and then the action's line. */
    /*@ loop invariant print_ok && subjects_ok;
        loop assigns now, s->report_pending, s->report_line, c->report_line_tsc, EVENT_PRINT; */
    while (s->report_pending && subject_work_fits(now, until, start, c->report_line_tsc)) {
        if (!audit_print_line(s->report_seq, s->report_tsc, s->report_kind, id,
                              &s->report_fault, s->report_action, s->report_line)) {
            if (s->report_action == MOAT_FAULT_RESTART) {
                subject_print_restarted(id);
            } else {
                subject_print_stopped(id);
            }
            s->report_pending = false;
        }
        s->report_line++;
        tsc_t after = arch_now();
        c->report_line_tsc = after - now;
        now = after;
    }
    return !s->report_pending;
}

/*
 * A fault or exit of the running subject (in its own frame): the audit record into the
 * region at once, then its policy action, then as much of its report as fits before the
 * frame's end (subject_report_work); the rest in its next frames.
 */
void subject_contain(subject_id_t id, uint16_t kind, const struct arch_fault *f)
{
    struct core_subject *s = core_subject(id);
    uint8_t action = tables_subject(id)->on_fault;
    tsc_t tsc = 0;
    uint64_t seq = audit_write(kind, id, f, action, &tsc);
    if (action == MOAT_FAULT_RESTART) {
        subject_do_restart(id);
    } else {
        subject_do_stop(id);
    }
    s->report_pending = true;
    s->report_line = 0;
    s->report_seq = seq;
    s->report_tsc = tsc;
    s->report_kind = kind;
    s->report_action = action;
    s->report_fault = *f;
    (void)subject_report_work(id, core_cpus[arch_cpu_id()].frame_end);
}

/* At the start of id's frame: the restart or stop others asked for since its last one. */
void subject_take_requests(subject_id_t id)
{
    if (ATOMIC_LOAD(&core_subject(id)->request) == 0u) {
        return;
    }
    uint8_t request = ATOMIC_EXCHANGE(&core_subject(id)->request, (uint8_t)0u);
    if ((request & SUBJECT_REQUEST_STOP) != 0u) {
        subject_stop(id);
    } else if ((request & SUBJECT_REQUEST_RESTART) != 0u) {
        subject_restart(id);
    }
}

void core_prepare_subjects(void)
{
    audit_init();
    smp_reset();
    uint64_t copying = 0;
    uint64_t bytes = 0;
    vm_write_tsc_patches();
    /*@ loop invariant 0 <= id <= tables->subjects.count;
        loop invariant print_ok && vm_ok && sched_shared_ok;
        loop invariant \forall integer i; 0 <= i < id ==> SUBJECT_OK(i);
        loop assigns id, copying, bytes, fc_state[0 .. MOAT_MAX_SUBJECTS - 1],
                     EV_VMS; */
    for (subject_id_t id = 0; id < tables_subject_count(); id++) {
        core_subject(id)->restarts = 0;
        ATOMIC_STORE(&core_subject(id)->request, (uint8_t)0u);
        core_subject(id)->report_pending = false;
        /* At boot the reset steps run whole: no frame has started yet. */
        subject_reset_begin(id);
        const struct moat_subject *d = tables_subject(id);
        tsc_t copy = arch_now();
        /*@ loop invariant 0 <= i <= d->reset_count;
            loop assigns i, bytes; */
        for (uint32_t i = 0; i < d->reset_count; i++) {
            const struct moat_reset *r = tables_reset(d, i);
            /*@ assert EV_RESET(r); */
            subject_reset_bytes(r, 0, r->size);
            bytes += r->size;
        }
        tsc_t finish = arch_now();
        copying += finish - copy;
        subject_reset_finish(id);
        core_subject(id)->finish_tsc = arch_now() - finish;
    }
    /* The first estimate of a chunk's cost, for every CPU: the boot resets' rate. */
    uint64_t chunk =
        bytes >= SUBJECT_RESET_CHUNK_BYTES ? copying / (bytes / SUBJECT_RESET_CHUNK_BYTES) : 0u;
    subject_chunk_cap = 2u * chunk;
    /*@ loop invariant 0 <= cpu <= MOAT_MAX_CPUS;
        loop assigns cpu, core_cpus[0 .. MOAT_MAX_CPUS - 1].reset_chunk_tsc; */
    for (uint32_t cpu = 0; cpu < MOAT_MAX_CPUS; cpu++) {
        core_cpus[cpu].reset_chunk_tsc = chunk;
    }
}

struct core_next core_on_fault(tsc_t now, subject_id_t current, const struct arch_fault *f)
{
    subject_contain(current, MOAT_AUDIT_FAULT, f);
    return core_on_timer(now);
}

void core_raise_irq(uint8_t line)
{
    /*@ loop invariant 0 <= i <= tables->irqs.count;
        loop assigns i, fc_state[0 .. MOAT_MAX_SUBJECTS - 1].pending; */
    for (uint32_t i = 0; i < tables_irq_count(); i++) {
        const struct moat_irq_route *r = tables_irq(i);
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
