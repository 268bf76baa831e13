/*
 * Semantic checks on names and references: unique names per kind, every reference to a
 * subject, plan or irq resolves, channels have one writer and distinct readers, and each
 * event carries exactly the attributes its action needs. Resolved pointers are stored
 * in the model for the later stages.
 */
#include <string.h>

#include "polc.h"

struct polc_subject *polc_find_subject(struct polc_system *sys, const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sys->subject_count; i++) {
        if (strcmp(sys->subjects[i].name, name) == 0) {
            return &sys->subjects[i];
        }
    }
    return NULL;
}

static const char *polc_names_hint(struct polc_ctx *ctx, const char *name, const void *base,
                                   size_t count, size_t stride, size_t name_off)
{
    const char **names = polc_alloc(&ctx->arena, (count + 1) * sizeof(*names));
    for (size_t i = 0; i < count; i++) {
        names[i] = *(const char *const *)(const void *)((const uint8_t *)base + i * stride +
                                                        name_off);
    }
    return polc_hint(ctx, name, names, count);
}

const char *polc_subject_hint(struct polc_ctx *ctx, const char *name)
{
    return polc_names_hint(ctx, name, ctx->sys.subjects, ctx->sys.subject_count,
                           sizeof(*ctx->sys.subjects), offsetof(struct polc_subject, name));
}

const char *polc_plan_hint(struct polc_ctx *ctx, const char *name)
{
    return polc_names_hint(ctx, name, ctx->sys.plans, ctx->sys.plan_count,
                           sizeof(*ctx->sys.plans), offsetof(struct polc_plan, name));
}

static bool polc_find_plan(struct polc_system *sys, const char *name, plan_id_t *out)
{
    for (size_t i = 0; i < sys->plan_count && i < UINT16_MAX; i++) {
        if (strcmp(sys->plans[i].name, name) == 0) {
            *out = (plan_id_t)i;
            return true;
        }
    }
    return false;
}

/* Reports the second and later uses of a name; `stride` walks an array of structs. */
static void polc_unique(struct polc_ctx *ctx, const char *kind, const void *base,
                        size_t count, size_t stride, size_t name_off, size_t line_off)
{
    const uint8_t *p = base;
    for (size_t i = 0; i < count; i++) {
        const char *name = *(const char *const *)(const void *)(p + i * stride + name_off);
        for (size_t j = 0; j < i; j++) {
            const char *other = *(const char *const *)(const void *)(p + j * stride + name_off);
            if (strcmp(name, other) == 0) {
                long line = *(const long *)(const void *)(p + i * stride + line_off);
                long first = *(const long *)(const void *)(p + j * stride + line_off);
                polc_error(ctx, line, "%s '%s' is defined twice (first at line %ld)", kind,
                           name, first);
                break;
            }
        }
    }
}

#define POLC_UNIQUE(ctx, kind, array, count)                                              \
    polc_unique(ctx, kind, array, count, sizeof(*(array)), offsetof(__typeof__(*(array)), name), \
                offsetof(__typeof__(*(array)), line))

/* One name a subject sees in its sinfo page. */
struct polc_res_name {
    const char *name;
    const char *kind;
    long line;
    const void *origin; /* an event a subject both sends and receives counts once */
};

static void polc_res_add(struct polc_res_name *list, size_t *count, const char *name,
                         const char *kind, long line, const void *origin)
{
    list[*count].name = name;
    list[*count].kind = kind;
    list[*count].line = line;
    list[*count].origin = origin;
    (*count)++;
}

static void polc_check_resource_names(struct polc_ctx *ctx, struct polc_subject *s)
{
    struct polc_system *sys = &ctx->sys;
    size_t cap = s->memory_count + s->ioport_count + s->irq_count + s->timer_count;
    for (size_t i = 0; i < sys->channel_count; i++) {
        cap += sys->channels[i].writer_count + sys->channels[i].reader_count;
    }
    cap += 2 * sys->event_count;
    struct polc_res_name *list = polc_alloc(&ctx->arena, (cap + 1) * sizeof(*list));
    size_t n = 0;
    for (size_t i = 0; i < s->memory_count; i++) {
        polc_res_add(list, &n, s->memories[i].name, "memory", s->memories[i].line, NULL);
    }
    for (size_t i = 0; i < s->ioport_count; i++) {
        polc_res_add(list, &n, s->ioports[i].name, polc_ioport_kind(&s->ioports[i]),
                     s->ioports[i].line, NULL);
    }
    for (size_t i = 0; i < s->irq_count; i++) {
        polc_res_add(list, &n, s->irqs[i].name, "irq", s->irqs[i].line, NULL);
    }
    for (size_t i = 0; i < s->timer_count; i++) {
        polc_res_add(list, &n, s->timers[i].name, "timer", s->timers[i].line, NULL);
    }
    for (size_t i = 0; i < sys->channel_count; i++) {
        struct polc_channel *ch = &sys->channels[i];
        bool uses = false;
        for (size_t j = 0; j < ch->writer_count; j++) {
            uses = uses || ch->writers[j].subject == s;
        }
        for (size_t j = 0; j < ch->reader_count; j++) {
            uses = uses || ch->readers[j].subject == s;
        }
        if (uses) {
            polc_res_add(list, &n, ch->name, "channel", ch->line, ch);
        }
    }
    for (size_t i = 0; i < sys->event_count; i++) {
        struct polc_event *ev = &sys->events[i];
        if (ev->from == s || (ev->action == MOAT_ACTION_NOTIFY && ev->to == s)) {
            polc_res_add(list, &n, ev->name, "event", ev->line, ev);
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            /* Two channels or two events of one name are already reported as such. */
            bool global = list[i].origin != NULL && list[j].origin != NULL &&
                          strcmp(list[i].kind, list[j].kind) == 0;
            if (strcmp(list[i].name, list[j].name) == 0 && !global) {
                polc_error(ctx, list[i].line,
                           "subject '%s': resource name '%s' is used by %s (line %ld) and "
                           "%s (line %ld)",
                           s->name, list[i].name, list[j].kind, list[j].line, list[i].kind,
                           list[i].line);
                break;
            }
        }
    }
}

void polc_check_names(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    POLC_UNIQUE(ctx, "subject", sys->subjects, sys->subject_count);
    POLC_UNIQUE(ctx, "channel", sys->channels, sys->channel_count);
    POLC_UNIQUE(ctx, "event", sys->events, sys->event_count);
    POLC_UNIQUE(ctx, "plan", sys->plans, sys->plan_count);
    if (sys->subject_count > MOAT_MAX_SUBJECTS) {
        polc_error(ctx, sys->subjects[MOAT_MAX_SUBJECTS].line,
                   "too many subjects: %zu (at most %d)", sys->subject_count,
                   MOAT_MAX_SUBJECTS);
    }
}

static void polc_resolve_endpoint(struct polc_ctx *ctx, struct polc_channel *ch,
                                  struct polc_endpoint *e, const char *role)
{
    e->subject = polc_find_subject(&ctx->sys, e->subject_name);
    if (e->subject == NULL) {
        polc_error(ctx, e->line, "channel '%s': %s '%s' is not a subject%s", ch->name, role,
                   e->subject_name, polc_subject_hint(ctx, e->subject_name));
    }
}

void polc_check_channels(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    for (size_t i = 0; i < sys->channel_count; i++) {
        struct polc_channel *ch = &sys->channels[i];
        for (size_t j = 0; j < ch->writer_count; j++) {
            polc_resolve_endpoint(ctx, ch, &ch->writers[j], "writer");
        }
        for (size_t j = 0; j < ch->reader_count; j++) {
            polc_resolve_endpoint(ctx, ch, &ch->readers[j], "reader");
        }
        if (ch->kernel_log) {
            /* The kernel writes it; its size is checked below like any channel's. */
        } else if (strcmp(ch->name, "kernel") == 0 || strncmp(ch->name, "kernel.", 7) == 0) {
            polc_error(ctx, ch->line,
                       "channel '%s': names 'kernel' and 'kernel.*' are reserved for the "
                       "kernel log (<kernel-log>), whose lines the log server labels [kernel]",
                       ch->name);
        }
        if (ch->writer_count == 0 && !ch->kernel_log) {
            polc_error(ctx, ch->line, "channel '%s' has no writer", ch->name);
        } else if (ch->writer_count > 1) {
            polc_error(ctx, ch->writers[1].line,
                       "channel '%s' has %zu writers; a channel has exactly one", ch->name,
                       ch->writer_count);
        }
        if (ch->reader_count == 0) {
            polc_error(ctx, ch->line, "channel '%s' has no reader", ch->name);
        }
        for (size_t j = 0; j < ch->reader_count; j++) {
            struct polc_endpoint *r = &ch->readers[j];
            if (ch->writer_count > 0 && strcmp(r->subject_name, ch->writers[0].subject_name) == 0) {
                polc_error(ctx, r->line, "channel '%s': reader '%s' is also its writer",
                           ch->name, r->subject_name);
            }
            for (size_t k = 0; k < j; k++) {
                if (strcmp(r->subject_name, ch->readers[k].subject_name) == 0) {
                    polc_error(ctx, r->line, "channel '%s': reader '%s' is listed twice",
                               ch->name, r->subject_name);
                    break;
                }
            }
        }
        char size_text[32];
        char elem_text[32];
        polc_format_size(size_text, sizeof(size_text), ch->size);
        polc_format_size(elem_text, sizeof(elem_text), ch->element_size);
        if (ch->element_size == 0) {
            polc_error(ctx, ch->line, "channel '%s': element-size must not be 0", ch->name);
        }
        if (ch->protocol == 0) {
            polc_error(ctx, ch->line, "channel '%s': protocol must not be 0", ch->name);
        }
        if (ch->size == 0 || ch->size % MOAT_PAGE_SIZE != 0) {
            polc_error(ctx, ch->line, "channel '%s': size %s is not a nonzero multiple of 4K",
                       ch->name, size_text);
        } else if (ch->element_size != 0 &&
                   (ch->element_size > ch->size || ch->size - ch->element_size < 64)) {
            polc_error(ctx, ch->line,
                       "channel '%s': size %s does not hold the 64-byte header and one "
                       "element of %s",
                       ch->name, size_text, elem_text);
        }
        if (ch->has_paddr && ch->paddr % MOAT_PAGE_SIZE != 0) {
            polc_error(ctx, ch->line, "channel '%s': paddr 0x%llx is not 4K-aligned",
                       ch->name, (unsigned long long)ch->paddr);
        }
    }
}

static bool polc_action_has_target(uint8_t action)
{
    return action == MOAT_ACTION_NOTIFY || action == MOAT_ACTION_RESTART ||
           action == MOAT_ACTION_STOP;
}

static void polc_resolve_event(struct polc_ctx *ctx, struct polc_event *ev)
{
    struct polc_system *sys = &ctx->sys;
    const char *action = polc_action_name(ev->action);
    ev->from = polc_find_subject(sys, ev->from_name);
    if (ev->from == NULL) {
        polc_error(ctx, ev->line, "event '%s': sender '%s' is not a subject%s", ev->name,
                   ev->from_name, polc_subject_hint(ctx, ev->from_name));
    }
    if (polc_action_has_target(ev->action)) {
        if (ev->to_name == NULL) {
            polc_error(ctx, ev->line, "event '%s': action '%s' needs a target subject ('to')",
                       ev->name, action);
        } else {
            ev->to = polc_find_subject(sys, ev->to_name);
            if (ev->to == NULL) {
                polc_error(ctx, ev->line, "event '%s': target '%s' is not a subject%s",
                           ev->name, ev->to_name, polc_subject_hint(ctx, ev->to_name));
            }
        }
    } else if (ev->to_name != NULL) {
        polc_error(ctx, ev->line, "event '%s': action '%s' takes no target ('to')", ev->name,
                   action);
    }
    if (ev->action == MOAT_ACTION_SWITCH_PLAN) {
        if (ev->plan_name == NULL) {
            polc_error(ctx, ev->line, "event '%s': action 'switch-plan' needs a 'plan'",
                       ev->name);
        } else if (!polc_find_plan(sys, ev->plan_name, &ev->plan)) {
            polc_error(ctx, ev->line, "event '%s': plan '%s' does not exist%s", ev->name,
                       ev->plan_name, polc_plan_hint(ctx, ev->plan_name));
        }
    } else if (ev->plan_name != NULL) {
        polc_error(ctx, ev->line, "event '%s': 'plan' is only for action 'switch-plan'",
                   ev->name);
    }
    if (ev->action == MOAT_ACTION_UNMASK_IRQ) {
        if (ev->irq_name == NULL) {
            polc_error(ctx, ev->line, "event '%s': action 'unmask-irq' needs an 'irq'",
                       ev->name);
        } else if (ev->from != NULL) {
            for (size_t i = 0; i < ev->from->irq_count; i++) {
                if (strcmp(ev->from->irqs[i].name, ev->irq_name) == 0) {
                    ev->irq = &ev->from->irqs[i];
                }
            }
            if (ev->irq == NULL) {
                polc_error(ctx, ev->line, "event '%s': sender '%s' has no irq '%s'",
                           ev->name, ev->from->name, ev->irq_name);
            }
        }
    } else if (ev->irq_name != NULL) {
        polc_error(ctx, ev->line, "event '%s': 'irq' is only for action 'unmask-irq'",
                   ev->name);
    }
}

void polc_check_events(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        /* Incoming ids: irqs, then timers, then notifications (in document order). */
        unsigned next = 0;
        for (size_t j = 0; j < s->irq_count; j++) {
            s->irqs[j].event_id = next++;
        }
        for (size_t j = 0; j < s->timer_count; j++) {
            s->timers[j].event_id = next++;
        }
        s->recv_count = next;
        s->send_count = 0;
    }
    for (size_t i = 0; i < sys->event_count; i++) {
        struct polc_event *ev = &sys->events[i];
        polc_resolve_event(ctx, ev);
        if (ev->from != NULL) {
            ev->send_id = ev->from->send_count++;
            if (ev->from->send_count == MOAT_MAX_EVENTS + 1) {
                polc_error(ctx, ev->line, "subject '%s' sends more than %d events", ev->from->name,
                           MOAT_MAX_EVENTS);
            }
        }
        if (ev->action == MOAT_ACTION_NOTIFY && ev->to != NULL) {
            ev->recv_id = ev->to->recv_count++;
            if (ev->to->recv_count == MOAT_MAX_EVENTS + 1) {
                polc_error(ctx, ev->line,
                           "subject '%s' receives more than %d events (irqs, timers and "
                           "notifications)",
                           ev->to->name, MOAT_MAX_EVENTS);
            }
        }
    }
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        if (s->irq_count + s->timer_count > MOAT_MAX_EVENTS) {
            polc_error(ctx, s->line,
                       "subject '%s' receives more than %d events (irqs, timers and "
                       "notifications)",
                       s->name, MOAT_MAX_EVENTS);
        }
        polc_check_resource_names(ctx, s);
    }
}
