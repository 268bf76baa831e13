/*
 * Events and kernel calls. An event id a subject sends indexes its policy routes:
 * notify sets a pending bit of the target, which the target sees in its own frames;
 * kernel actions (poweroff, restart, plan switch, ...) are what the policy granted.
 * Kernel calls take integers only; every id is checked against the tables here.
 * A notify to a subject of another CPU that waits in its frame right now interrupts that
 * CPU (smp_kick). Restart and stop of another subject, and a subject's timer, take effect
 * only in the target's own frames (at its next frame start), whichever CPU sent them.
 */
#include <moat/abi/audit.h>
#include <moat/abi/kcall.h>

#include "core.h"

void event_raise(subject_id_t id, uint8_t event)
{
    /* id and event come from checked tables or a checked kernel call (timer_set). */
    ATOMIC_FETCH_OR(&core_subject(id)->pending, 1ull << event);
    smp_kick(id);
}

/* Lowest pending event id, cleared; or MOAT_ERR_NONE_PENDING. Only the owner clears. */
int64_t event_take(subject_id_t id)
{
    _Static_assert(MOAT_MAX_EVENTS == 64u, "pending is one 64-bit word");
    uint64_t pending = ATOMIC_LOAD(&core_subject(id)->pending);
    if (pending == 0u) {
        return MOAT_ERR_NONE_PENDING;
    }
    /* The lowest set bit (bsf/tzcnt): only the owner clears bits, so it stays set. */
    uint32_t bit = (uint32_t)__builtin_ctzll(pending);
    ATOMIC_FETCH_AND(&core_subject(id)->pending, ~(1ull << bit));
    return (int64_t)bit;
}

/* A route's kernel action (not notify: event_send's own fast case). Out of line, so
 * that a notify does not pay for this function's registers. */
__attribute__((noinline)) static int64_t event_act(subject_id_t from,
                                                    const struct moat_subject *subj,
                                                    const struct moat_event_route *r)
{
    switch (r->action) {
    case MOAT_ACTION_POWEROFF:
    case MOAT_ACTION_REBOOT: {
        bool locked = smp_console_lock();
        print_str(r->action == MOAT_ACTION_POWEROFF ? "poweroff" : "reboot");
        print_str(": requested by ");
        print_str(tables_string(subj->name));
        print_nl();
        smp_console_unlock(locked);
        print_power_request(r->action, from);
        return MOAT_OK;
    }
    case MOAT_ACTION_RESTART:
    case MOAT_ACTION_STOP:
        if (r->target == from) {
            /* Its own frame: at once, at its own cost. */
            if (r->action == MOAT_ACTION_RESTART) {
                subject_restart(from);
            } else {
                subject_stop(from);
            }
        } else {
            /* At the target's next frame start, however often it is asked before that. */
            ATOMIC_FETCH_OR(&core_subject(r->target)->request,
                            (uint8_t)(r->action == MOAT_ACTION_RESTART ? SUBJECT_REQUEST_RESTART
                                                                       : SUBJECT_REQUEST_STOP));
        }
        return MOAT_OK;
    case MOAT_ACTION_SWITCH_PLAN:
        ATOMIC_STORE(&core_shared.plan_requested, r->plan);
        return MOAT_OK;
    case MOAT_ACTION_UNMASK_IRQ:
        arch_irq_unmask(r->irq);
        return MOAT_OK;
    default:
        return MOAT_ERR_BAD_ID;
    }
}

int64_t event_send(subject_id_t from, uint64_t id)
{
    const struct moat_subject *subj = tables_subject(from);
    if (id >= subj->send_count) {
        return MOAT_ERR_BAD_ID;
    }
    const struct moat_event_route *r = tables_send(subj, (uint32_t)id);
    /*@ assert EV_SEND(&fc_sends[fc_subjects[from].send_first + id]); */
    /*@ assert r == &fc_sends[fc_subjects[from].send_first + id]; */
    if (r->action == MOAT_ACTION_NOTIFY) {
        event_raise(r->target, r->target_event);
        return MOAT_OK;
    }
    return event_act(from, subj, r);
}

struct core_next core_on_kcall(tsc_t now, subject_id_t current, uint64_t number,
                               uint64_t arg0, uint64_t arg1)
{
    struct core_subject *s = core_subject(current);
    uint32_t restarts = s->restarts;
    int64_t result = MOAT_OK;
    bool deliver = true;

    switch (number) {
    case MOAT_KCALL_YIELD:
        core_cpus[tables_subject(current)->cpu].yielded = true; /* its CPU is this one */
        print_power_on_yield(current);
        break;
    case MOAT_KCALL_EVENT_SEND:
        result = event_send(current, arg0);
        break;
    case MOAT_KCALL_EVENT_WAIT:
        result = event_take(current);
        if (result == MOAT_ERR_NONE_PENDING) {
            /* Stored before sched_pick reads pending again (see smp_kick). */
            ATOMIC_STORE(&s->state, (uint8_t)SUBJECT_WAITING);
            deliver = false;
        }
        break;
    case MOAT_KCALL_EVENT_POLL:
        result = event_take(current);
        break;
    case MOAT_KCALL_TIMER_SET:
        /* Only the caller's own <timer> ids: no other subject's id, no notify's id. */
        if (arg1 >= MOAT_MAX_EVENTS || (tables_subject(current)->timer_events &
                                        (1ull << arg1)) == 0u) {
            result = MOAT_ERR_BAD_ID;
        } else {
            s->timer_deadline = arg0;
            s->timer_event = (uint8_t)arg1;
        }
        break;
    case MOAT_KCALL_EXIT: {
        struct arch_fault f = {0};
        f.vector = (uint32_t)arg0;
        subject_contain(current, MOAT_AUDIT_EXIT, &f);
        deliver = false;
        break;
    }
    default:
        result = MOAT_ERR_NO_CALL;
        break;
    }
    /* A subject that restarted itself starts fresh: no result to deliver. */
    if (deliver && s->restarts == restarts && ATOMIC_LOAD(&s->state) == SUBJECT_RUNNABLE) {
        arch_subject_set_result(current, result);
        if (number != MOAT_KCALL_YIELD) {
            return sched_resume(now, current); /* it goes on in its frame, if that lasts */
        }
    }
    return core_on_timer(now);
}
