/*
 * Semantic checks on the platform, the schedule, devices (IRQ lines here, I/O ports in
 * ports.c) and the attributes of memory regions: CPUs exist, every plan gives every CPU
 * frames of equal total length, frames name subjects pinned to their CPU, every subject
 * runs somewhere, lines have one owner, sizes and addresses are page-aligned.
 */
#include <string.h>

#include "polc.h"

#define POLC_MIN_TICK_NS 1000u
#define POLC_MAX_PHYS    (1ULL << 52) /* what a page-table entry can address */

static void polc_check_platform(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    char text[32];
    if (sys->cpu_count == 0 || sys->cpu_count > MOAT_MAX_CPUS) {
        polc_error(ctx, sys->platform_line, "platform: cpus %llu is not in 1..%d",
                   (unsigned long long)sys->cpu_count, MOAT_MAX_CPUS);
        sys->cpu_count = sys->cpu_count == 0 ? 1 : MOAT_MAX_CPUS;
        sys->cpu_count_bad = true;
    }
    polc_format_size(text, sizeof(text), sys->memory_size);
    if (sys->memory_size % MOAT_PAGE_SIZE != 0) {
        polc_error(ctx, sys->platform_line, "platform: memory %s is not a multiple of 4K",
                   text);
    } else if (sys->memory_size > POLC_MAX_PHYS) {
        polc_error(ctx, sys->platform_line,
                   "platform: memory %s is beyond the 52-bit physical address space", text);
        sys->memory_size = POLC_MAX_PHYS;
    } else if (sys->memory_size <= MOAT_KERNEL_PHYS_END) {
        polc_error(ctx, sys->platform_line,
                   "platform: memory %s leaves nothing above the kernel's first 16M", text);
    }
    polc_format_size(text, sizeof(text), sys->audit_size);
    if (sys->audit_size == 0 || sys->audit_size % MOAT_PAGE_SIZE != 0) {
        polc_error(ctx, sys->platform_line,
                   "platform: audit-size %s is not a nonzero multiple of 4K", text);
    }
}

static void polc_check_plan(struct polc_ctx *ctx, struct polc_plan *plan)
{
    struct polc_system *sys = &ctx->sys;
    bool seen[MOAT_MAX_CPUS] = {false};
    uint64_t first_total = 0;
    long first_cpu = -1;
    for (size_t i = 0; i < plan->cpu_count; i++) {
        struct polc_plan_cpu *cpu = &plan->cpus[i];
        if (cpu->id >= sys->cpu_count) {
            polc_error(ctx, cpu->line, "plan '%s': cpu %llu does not exist (the platform has %llu)",
                       plan->name, (unsigned long long)cpu->id,
                       (unsigned long long)sys->cpu_count);
            continue;
        }
        if (seen[cpu->id]) {
            polc_error(ctx, cpu->line, "plan '%s': cpu %llu is listed twice", plan->name,
                       (unsigned long long)cpu->id);
            continue;
        }
        seen[cpu->id] = true;
        if (cpu->frame_count > MOAT_MAX_FRAMES_PER_CPU) {
            polc_error(ctx, cpu->frames[MOAT_MAX_FRAMES_PER_CPU].line,
                       "plan '%s': cpu %llu has %zu frames (at most %d)", plan->name,
                       (unsigned long long)cpu->id, cpu->frame_count, MOAT_MAX_FRAMES_PER_CPU);
        }
        uint64_t total = 0;
        bool overflow = false;
        for (size_t j = 0; j < cpu->frame_count; j++) {
            struct polc_frame *f = &cpu->frames[j];
            if (f->ticks == 0) {
                polc_error(ctx, f->line, "plan '%s': a frame of 0 ticks", plan->name);
            } else if (f->ticks > UINT32_MAX) {
                polc_error(ctx, f->line, "plan '%s': %llu ticks do not fit in 32 bits",
                           plan->name, (unsigned long long)f->ticks);
                overflow = true;
            }
            overflow = polc_add_overflows(total, f->ticks, &total) || overflow;
            if (f->subject_name == NULL) {
                continue;
            }
            f->subject = polc_find_subject(sys, f->subject_name);
            if (f->subject == NULL) {
                polc_error(ctx, f->line, "plan '%s': frame subject '%s' is not a subject%s",
                           plan->name, f->subject_name, polc_subject_hint(ctx, f->subject_name));
                continue;
            }
            f->subject->scheduled = true;
            if (f->subject->cpu != cpu->id) {
                polc_error(ctx, f->line,
                           "plan '%s': subject '%s' runs on cpu %llu but has a frame on cpu %llu",
                           plan->name, f->subject_name, (unsigned long long)f->subject->cpu,
                           (unsigned long long)cpu->id);
            }
        }
        if (overflow) {
            continue;
        }
        if (sys->tick_ns != 0 && total > UINT64_MAX / sys->tick_ns) {
            polc_error(ctx, cpu->line, "plan '%s': the major frame of cpu %llu is too long",
                       plan->name, (unsigned long long)cpu->id);
            continue;
        }
        /* The kernel's bound, the same expression (tables.c refuses the rest at boot). */
        if (sys->tick_ns != 0 && total > MOAT_MAX_MAJOR_NS / sys->tick_ns) {
            polc_error(ctx, cpu->line,
                       "plan '%s': the major frame of cpu %llu is too long (%llu ms, at most "
                       "%llu s)",
                       plan->name, (unsigned long long)cpu->id,
                       (unsigned long long)(total * sys->tick_ns / 1000000u),
                       (unsigned long long)(MOAT_MAX_MAJOR_NS / 1000000000u));
            continue;
        }
        if (first_cpu < 0) {
            first_cpu = (long)cpu->id;
            first_total = total;
            plan->major_ticks = total;
        } else if (total != first_total) {
            polc_error(ctx, cpu->line,
                       "plan '%s': cpu %llu has %llu ticks per major frame but cpu %ld has "
                       "%llu; every CPU needs the same",
                       plan->name, (unsigned long long)cpu->id, (unsigned long long)total,
                       first_cpu, (unsigned long long)first_total);
        }
    }
    for (uint64_t c = 0; c < sys->cpu_count && !sys->cpu_count_bad; c++) {
        if (!seen[c]) {
            polc_error(ctx, plan->line, "plan '%s' has no frames for cpu %llu", plan->name,
                       (unsigned long long)c);
        }
    }
}

void polc_check_schedule(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    polc_check_platform(ctx);
    if (sys->tick_ns < POLC_MIN_TICK_NS) {
        polc_error(ctx, sys->scheduling_line,
                   "scheduling: tick %lluns is shorter than the minimum 1us",
                   (unsigned long long)sys->tick_ns);
    }
    if (sys->plan_count > MOAT_MAX_PLANS) {
        polc_error(ctx, sys->plans[MOAT_MAX_PLANS].line, "too many plans: %zu (at most %d)",
                   sys->plan_count, MOAT_MAX_PLANS);
    }
    sys->initial_plan = 0;
    if (sys->initial_plan_name != NULL) {
        bool found = false;
        for (size_t i = 0; i < sys->plan_count && i < MOAT_MAX_PLANS; i++) {
            if (strcmp(sys->plans[i].name, sys->initial_plan_name) == 0) {
                sys->initial_plan = (plan_id_t)i;
                found = true;
            }
        }
        if (!found) {
            polc_error(ctx, sys->scheduling_line, "scheduling: initial-plan '%s' does not exist%s",
                       sys->initial_plan_name, polc_plan_hint(ctx, sys->initial_plan_name));
        }
    }
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        if (s->cpu >= sys->cpu_count) {
            polc_error(ctx, s->line, "subject '%s': cpu %llu does not exist (the platform has %llu)",
                       s->name, (unsigned long long)s->cpu, (unsigned long long)sys->cpu_count);
        }
    }
    for (size_t i = 0; i < sys->plan_count; i++) {
        polc_check_plan(ctx, &sys->plans[i]);
    }
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        if (!s->scheduled) {
            polc_error(ctx, s->line, "subject '%s' has no frame in any plan", s->name);
        }
    }
}

void polc_check_devices(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    polc_check_ioports(ctx);
    /* Each line has one owner, its first irq in document order; a later one is named
     * against it. */
    const struct polc_irq *owner[MOAT_MAX_IRQS] = {0};
    const struct polc_subject *owner_subject[MOAT_MAX_IRQS] = {0};
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        for (size_t j = 0; j < s->irq_count; j++) {
            struct polc_irq *q = &s->irqs[j];
            if (q->irq_line >= MOAT_MAX_IRQS) {
                polc_error(ctx, q->line, "subject '%s': irq '%s' line %llu is not in 0..%d",
                           s->name, q->name, (unsigned long long)q->irq_line, MOAT_MAX_IRQS - 1);
                continue;
            }
            if (owner[q->irq_line] != NULL) {
                polc_error(ctx, q->line,
                           "subject '%s': irq line %llu is already owned by irq '%s' of "
                           "subject '%s'",
                           s->name, (unsigned long long)q->irq_line, owner[q->irq_line]->name,
                           owner_subject[q->irq_line]->name);
            } else {
                owner[q->irq_line] = q;
                owner_subject[q->irq_line] = s;
            }
        }
    }
}

void polc_check_memories(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    char text[32];
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        polc_format_size(text, sizeof(text), s->stack_size);
        if (s->stack_size == 0 || s->stack_size % MOAT_PAGE_SIZE != 0) {
            polc_error(ctx, s->line, "subject '%s': stack-size %s is not a nonzero multiple of 4K",
                       s->name, text);
        } else if (s->stack_size > sys->memory_size) {
            polc_error(ctx, s->line, "subject '%s': stack-size %s is larger than platform memory",
                       s->name, text);
        }
        for (size_t j = 0; j < s->memory_count; j++) {
            struct polc_memory *m = &s->memories[j];
            polc_format_size(text, sizeof(text), m->size);
            if (m->size == 0 || m->size % MOAT_PAGE_SIZE != 0) {
                polc_error(ctx, m->line,
                           "subject '%s': memory '%s' size %s is not a nonzero multiple of 4K",
                           s->name, m->name, text);
            } else if (m->size > sys->memory_size) {
                polc_error(ctx, m->line,
                           "subject '%s': memory '%s' size %s is larger than platform memory",
                           s->name, m->name, text);
            }
            if (m->has_vaddr && m->vaddr % MOAT_PAGE_SIZE != 0) {
                polc_error(ctx, m->line, "subject '%s': memory '%s' vaddr 0x%llx is not 4K-aligned",
                           s->name, m->name, (unsigned long long)m->vaddr);
            }
            if (m->has_paddr && m->paddr % MOAT_PAGE_SIZE != 0) {
                polc_error(ctx, m->line, "subject '%s': memory '%s' paddr 0x%llx is not 4K-aligned",
                           s->name, m->name, (unsigned long long)m->paddr);
            }
            if ((m->perm & POLC_W) != 0 && (m->perm & POLC_X) != 0) {
                polc_error(ctx, m->line,
                           "subject '%s': memory '%s' is both writable and executable (W^X)",
                           s->name, m->name);
            }
        }
    }
    for (size_t i = 0; i < sys->channel_count; i++) {
        struct polc_channel *ch = &sys->channels[i];
        if (ch->size > sys->memory_size) {
            polc_format_size(text, sizeof(text), ch->size);
            polc_error(ctx, ch->line, "channel '%s': size %s is larger than platform memory",
                       ch->name, text);
        }
        for (size_t j = 0; j < ch->writer_count + ch->reader_count; j++) {
            struct polc_endpoint *e =
                j < ch->writer_count ? &ch->writers[j] : &ch->readers[j - ch->writer_count];
            if (e->has_vaddr && e->vaddr % MOAT_PAGE_SIZE != 0) {
                polc_error(ctx, e->line, "channel '%s': vaddr 0x%llx of '%s' is not 4K-aligned",
                           ch->name, (unsigned long long)e->vaddr, e->subject_name);
            }
        }
    }
}
