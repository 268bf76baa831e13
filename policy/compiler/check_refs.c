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
    if (name == NULL || sys->subject_names == NULL) {
        return NULL;
    }
    long i = polc_names_get(sys->subject_names, name);
    return i >= 0 ? &sys->subjects[i] : NULL;
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

/* Reports the second and later uses of a name; `stride` walks an array of structs.
 * Returns the index (name -> first position), for lookups afterwards. */
static struct polc_names *polc_unique(struct polc_ctx *ctx, const char *kind, const void *base,
                                      size_t count, size_t stride, size_t name_off,
                                      size_t line_off)
{
    const uint8_t *p = base;
    struct polc_names *names = polc_names_new(&ctx->arena, count);
    for (size_t i = 0; i < count; i++) {
        const char *name = *(const char *const *)(const void *)(p + i * stride + name_off);
        long j = polc_names_put(names, name, (long)i);
        if (j >= 0) {
            long line = *(const long *)(const void *)(p + i * stride + line_off);
            long first = *(const long *)(const void *)(p + (size_t)j * stride + line_off);
            polc_error(ctx, line, "%s '%s' is defined twice (first at line %ld)", kind, name,
                       first);
        }
    }
    return names;
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

/* The first earlier resource of a name, per kind of clash: any kind, or any but another
 * channel (two channels of one name are reported as such), or any but another event. */
struct polc_res_first {
    long any;
    long not_channel;
    long not_event;
};

static void polc_check_resource_names(struct polc_ctx *ctx, struct polc_subject *s)
{
    size_t cap = s->memory_count + s->ioport_count + s->irq_count + s->timer_count +
                 s->end_count + s->send_count + s->notify_count;
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
    for (size_t i = 0; i < s->end_count; i++) {
        struct polc_channel *ch = s->ends[i].channel;
        if (i == 0 || s->ends[i - 1].channel != ch) {
            polc_res_add(list, &n, ch->name, "channel", ch->line, ch);
        }
    }
    /* Events in document order: merge its sends and its notifications. */
    size_t a = 0;
    size_t b = 0;
    while (a < s->send_count || b < s->notify_count) {
        struct polc_event *ev;
        if (b == s->notify_count ||
            (a < s->send_count && s->sends[a] <= s->notifies[b])) {
            ev = s->sends[a++];
            if (b < s->notify_count && s->notifies[b] == ev) {
                b++; /* an event to itself counts once */
            }
        } else {
            ev = s->notifies[b++];
        }
        polc_res_add(list, &n, ev->name, "event", ev->line, ev);
    }
    struct polc_names *seen = polc_names_new(&ctx->arena, n);
    struct polc_res_first *first = polc_alloc(&ctx->arena, (n + 1) * sizeof(*first));
    size_t first_count = 0;
    for (size_t i = 0; i < n; i++) {
        long slot = polc_names_put(seen, list[i].name, (long)first_count);
        struct polc_res_first *f;
        if (slot < 0) {
            f = &first[first_count++];
            *f = (struct polc_res_first){-1, -1, -1};
        } else {
            f = &first[slot];
        }
        long j = f->any;
        if (list[i].origin != NULL && strcmp(list[i].kind, "channel") == 0) {
            j = f->not_channel;
        } else if (list[i].origin != NULL && strcmp(list[i].kind, "event") == 0) {
            j = f->not_event;
        }
        if (j >= 0) {
            polc_error(ctx, list[i].line,
                       "subject '%s': resource name '%s' is used by %s (line %ld) and "
                       "%s (line %ld)",
                       s->name, list[i].name, list[j].kind, list[j].line, list[i].kind,
                       list[i].line);
        }
        bool channel = list[i].origin != NULL && strcmp(list[i].kind, "channel") == 0;
        bool event = list[i].origin != NULL && strcmp(list[i].kind, "event") == 0;
        if (f->any < 0) {
            f->any = (long)i;
        }
        if (f->not_channel < 0 && !channel) {
            f->not_channel = (long)i;
        }
        if (f->not_event < 0 && !event) {
            f->not_event = (long)i;
        }
    }
}

void polc_check_names(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    sys->subject_names = POLC_UNIQUE(ctx, "subject", sys->subjects, sys->subject_count);
    POLC_UNIQUE(ctx, "channel", sys->channels, sys->channel_count);
    POLC_UNIQUE(ctx, "event", sys->events, sys->event_count);
    POLC_UNIQUE(ctx, "plan", sys->plans, sys->plan_count);
    if (sys->subject_count > MOAT_MAX_SUBJECTS) {
        polc_error(ctx, sys->subjects[MOAT_MAX_SUBJECTS].line,
                   "too many subjects: %zu (at most %d)", sys->subject_count,
                   MOAT_MAX_SUBJECTS);
    }
    if (sys->channel_count > MOAT_MAX_CHANNELS) {
        polc_error(ctx, sys->channels[MOAT_MAX_CHANNELS].line,
                   "too many channels: %zu (at most %d)", sys->channel_count, MOAT_MAX_CHANNELS);
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
        if (polc_channel_by_kernel(ch)) {
            /* The kernel writes it; its size is checked below like any channel's. */
        } else if (strcmp(ch->name, "kernel") == 0 || strncmp(ch->name, "kernel.", 7) == 0) {
            polc_error(ctx, ch->line,
                       "channel '%s': names 'kernel' and 'kernel.*' are reserved for the "
                       "kernel log (<kernel-log>), whose lines the log server labels [kernel]",
                       ch->name);
        }
        /* A device channel's writer or readers may all be outside (a program on the host). */
        if (ch->writer_count == 0 && !polc_channel_by_kernel(ch) && !ch->device) {
            polc_error(ctx, ch->line, "channel '%s' has no writer", ch->name);
        } else if (ch->writer_count > 1) {
            polc_error(ctx, ch->writers[1].line,
                       "channel '%s' has %zu writers; a channel has exactly one", ch->name,
                       ch->writer_count);
        }
        if (ch->reader_count == 0 && !ch->device) {
            polc_error(ctx, ch->line, "channel '%s' has no reader", ch->name);
        } else if (ch->reader_count == 0 && ch->writer_count == 0) {
            polc_error(ctx, ch->line, "channel '%s' has neither writer nor reader", ch->name);
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
        if (ch->device && !ch->has_paddr) {
            polc_error(ctx, ch->line,
                       "channel '%s': memory=\"device\" needs a paddr (where the platform "
                       "provides that memory)",
                       ch->name);
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

/* Per subject: its channel ends, sends and notifications, in one pass over channels and
 * events, so that no later stage walks every channel or event for every subject. */
void polc_index_subjects(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        s->end_count = 0;
        s->notify_count = 0;
    }
    for (size_t i = 0; i < sys->channel_count; i++) {
        struct polc_channel *ch = &sys->channels[i];
        for (size_t j = 0; j < ch->writer_count + ch->reader_count; j++) {
            struct polc_endpoint *e =
                j < ch->writer_count ? &ch->writers[j] : &ch->readers[j - ch->writer_count];
            if (e->subject != NULL) {
                e->subject->end_count++;
            }
        }
    }
    for (size_t i = 0; i < sys->event_count; i++) {
        struct polc_event *ev = &sys->events[i];
        if (ev->action == MOAT_ACTION_NOTIFY && ev->to != NULL) {
            ev->to->notify_count++;
        }
    }
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        s->ends = polc_alloc(&ctx->arena, (s->end_count + 1) * sizeof(*s->ends));
        s->sends = polc_alloc(&ctx->arena, (s->send_count + 1) * sizeof(*s->sends));
        s->notifies = polc_alloc(&ctx->arena, (s->notify_count + 1) * sizeof(*s->notifies));
        s->end_count = 0;
        s->notify_count = 0;
    }
    for (size_t i = 0; i < sys->channel_count; i++) {
        struct polc_channel *ch = &sys->channels[i];
        for (size_t j = 0; j < ch->writer_count + ch->reader_count; j++) {
            bool writer = j < ch->writer_count;
            struct polc_endpoint *e = writer ? &ch->writers[j] : &ch->readers[j - ch->writer_count];
            if (e->subject != NULL) {
                e->subject->ends[e->subject->end_count++] =
                    (struct polc_subject_end){ch, e, writer};
            }
        }
    }
    for (size_t i = 0; i < sys->event_count; i++) {
        struct polc_event *ev = &sys->events[i];
        if (ev->from != NULL) {
            ev->from->sends[ev->send_id] = ev;
        }
        if (ev->action == MOAT_ACTION_NOTIFY && ev->to != NULL) {
            ev->to->notifies[ev->to->notify_count++] = ev;
        }
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
    polc_index_subjects(ctx);
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
