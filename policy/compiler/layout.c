/*
 * Layout stage: builds each subject's virtual address space (image segments, stack,
 * sinfo, memories, channels, the supervisor-only entry trampoline), checks it (user
 * half below its top page, no page 0, no overlap, fits the sinfo page and the reset
 * table), then places every physical region: pinned ones where the policy says, the
 * rest first fit upward from MOAT_ALLOC_PHYS_BASE, regions with content first so the
 * image stays compact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moat/sinfo_format.h"
#include "polc.h"

#define POLC_GUARD MOAT_PAGE_SIZE /* unmapped gap between auto-placed resources */

struct polc_region *polc_new_region(struct polc_ctx *ctx, enum polc_region_kind kind,
                                    const char *owner, const char *name, long line,
                                    uint64_t size)
{
    struct polc_system *sys = &ctx->sys;
    struct polc_region *r = polc_alloc(&ctx->arena, sizeof(*r));
    /* Zero-filled regions of whole 2 MiB pages get 2 MiB alignment (fewer page tables). */
    r->large = (kind == POLC_REG_STACK || kind == POLC_REG_MEMORY || kind == POLC_REG_CHANNEL ||
                kind == POLC_REG_GUEST_RAM) &&
               size != 0 && size % POLC_LARGE_PAGE == 0;
    r->kind = kind;
    r->owner = owner;
    r->name = name;
    r->line = line;
    r->size = size;
    r->index = sys->region_count;
    if (sys->region_count == sys->region_cap) {
        size_t cap = sys->region_cap != 0 ? sys->region_cap * 2 : 64;
        struct polc_region **list = polc_alloc(&ctx->arena, cap * sizeof(*list));
        if (sys->region_count != 0) {
            memcpy(list, sys->regions, sys->region_count * sizeof(*list));
        }
        sys->regions = list;
        sys->region_cap = cap;
    }
    sys->regions[sys->region_count++] = r;
    return r;
}

struct polc_mapping *polc_add_map(struct polc_subject *s, const char *what, long line, vaddr_t virt,
                                  uint64_t size, unsigned perm, struct polc_region *region)
{
    struct polc_mapping *m = &s->maps[s->map_count++];
    m->what = what;
    m->line = line;
    m->virt = virt;
    m->size = size;
    m->perm = perm;
    m->user = true;
    m->region = region;
    return m;
}

/* A supervisor-only piece of the entry trampoline, at fixed virtual and physical addresses. */
static void polc_add_trampoline(struct polc_subject *s, const char *what, vaddr_t virt,
                                paddr_t phys, uint64_t size, unsigned perm)
{
    struct polc_mapping *m = polc_add_map(s, what, 0, virt, size, perm, NULL);
    m->user = false;
    m->fixed_phys = phys;
}

int polc_map_ptr_cmp(const void *a, const void *b)
{
    const struct polc_mapping *x = *(const struct polc_mapping *const *)a;
    const struct polc_mapping *y = *(const struct polc_mapping *const *)b;
    if (x->virt != y->virt) {
        return x->virt < y->virt ? -1 : 1;
    }
    return x < y ? -1 : x > y ? 1 : 0; /* the order they were added */
}

/* First address >= *cursor where size bytes (and a guard page) touch no fixed mapping;
 * advances the cursor. The cursor only grows, so the fixed mappings are passed once. */
vaddr_t polc_place(struct polc_fixed *fixed, vaddr_t *cursor, uint64_t size, bool large)
{
    uint64_t align = large ? POLC_LARGE_PAGE : MOAT_PAGE_SIZE;
    vaddr_t at = (*cursor + align - 1) & ~(align - 1);
    while (fixed->passed < fixed->count &&
           fixed->maps[fixed->passed]->virt + fixed->maps[fixed->passed]->size <= at) {
        fixed->passed++;
    }
    for (size_t k = fixed->passed;
         k < fixed->count && fixed->maps[k]->virt < at + size + POLC_GUARD; k++) {
        const struct polc_mapping *m = fixed->maps[k];
        if (m->virt + m->size > at) {
            at = (m->virt + m->size + POLC_GUARD + align - 1) & ~(align - 1);
        }
    }
    *cursor = at + size + POLC_GUARD;
    return at;
}

/* Overlapping mappings, found in one sweep by address; each one is reported against the
 * mapping reaching furthest before it, the one added later named first, in the order
 * they were added. */
struct polc_map_clash {
    size_t later;
    size_t earlier;
};

static int polc_map_clash_cmp(const void *a, const void *b)
{
    const struct polc_map_clash *x = a;
    const struct polc_map_clash *y = b;
    if (x->later != y->later) {
        return x->later < y->later ? -1 : 1;
    }
    return x->earlier < y->earlier ? -1 : x->earlier > y->earlier ? 1 : 0;
}

void polc_check_overlaps(struct polc_ctx *ctx, struct polc_subject *s)
{
    size_t n = s->map_count;
    const struct polc_mapping **sorted = polc_alloc(&ctx->arena, (n + 1) * sizeof(*sorted));
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (s->maps[i].size != 0) {
            sorted[count++] = &s->maps[i];
        }
    }
    qsort(sorted, count, sizeof(*sorted), polc_map_ptr_cmp);
    struct polc_map_clash *clashes = polc_alloc(&ctx->arena, (count + 1) * sizeof(*clashes));
    size_t clash_count = 0;
    const struct polc_mapping *reach = NULL;
    for (size_t i = 0; i < count; i++) {
        const struct polc_mapping *m = sorted[i];
        size_t at = (size_t)(m - s->maps);
        if (reach != NULL && m->virt < reach->virt + reach->size) {
            size_t other = (size_t)(reach - s->maps);
            clashes[clash_count++] =
                (struct polc_map_clash){at > other ? at : other, at > other ? other : at};
        }
        if (reach == NULL || m->virt + m->size > reach->virt + reach->size) {
            reach = m;
        }
    }
    qsort(clashes, clash_count, sizeof(*clashes), polc_map_clash_cmp);
    for (size_t i = 0; i < clash_count; i++) {
        const struct polc_mapping *a = &s->maps[clashes[i].later];
        const struct polc_mapping *b = &s->maps[clashes[i].earlier];
        polc_error(ctx, a->line, "subject '%s': %s (0x%llx-0x%llx) overlaps %s (0x%llx-0x%llx)",
                   s->name, a->what, (unsigned long long)a->virt,
                   (unsigned long long)(a->virt + a->size - 1), b->what,
                   (unsigned long long)b->virt, (unsigned long long)(b->virt + b->size - 1));
    }
}

struct polc_pending {
    const char *what;
    long line;
    uint64_t size;
    unsigned perm;
    struct polc_region *region;
    vaddr_t *virt; /* where to note the address it gets */
};

static void polc_subject_maps(struct polc_ctx *ctx, struct polc_subject *s)
{
    /* Segments, memories, channels, then stack, sinfo and three trampoline pieces. */
    size_t cap = s->image.segment_count + s->memory_count + s->end_count + 5;
    s->maps = polc_alloc(&ctx->arena, cap * sizeof(*s->maps));
    struct polc_pending *pending = polc_alloc(&ctx->arena, cap * sizeof(*pending));
    size_t pending_count = 0;

    for (size_t i = 0; i < s->image.segment_count; i++) {
        struct polc_segment *seg = &s->image.segments[i];
        char name[32];
        snprintf(name, sizeof(name), "segment %zu", i);
        seg->region = polc_new_region(ctx, POLC_REG_SEGMENT, s->name,
                                      polc_strdup(&ctx->arena, name), s->line, seg->size);
        uint64_t data_size = seg->offset_in_page + seg->file_size;
        uint8_t *data = polc_alloc(&ctx->arena, data_size + 1);
        memcpy(data + seg->offset_in_page, seg->file_data, seg->file_size);
        seg->region->data = data;
        seg->region->data_size = data_size;
        polc_add_map(s, polc_sprintf(&ctx->arena, "image %s", name), s->line, seg->vaddr, seg->size,
                     seg->perm, seg->region);
        if ((seg->perm & POLC_W) != 0) {
            snprintf(name, sizeof(name), "pristine %zu", i);
            seg->pristine = polc_new_region(ctx, POLC_REG_PRISTINE, s->name,
                                            polc_strdup(&ctx->arena, name), s->line, seg->size);
            seg->pristine->data = data;
            seg->pristine->data_size = data_size;
        }
    }
    s->stack = polc_new_region(ctx, POLC_REG_STACK, s->name, "stack", s->line, s->stack_size);
    polc_add_map(s, "stack", s->line, MOAT_STACK_TOP - s->stack_size, s->stack_size,
                 POLC_R | POLC_W, s->stack);
    s->sinfo = polc_new_region(ctx, POLC_REG_SINFO, s->name, "sinfo", s->line, MOAT_SINFO_SIZE);
    polc_add_map(s, "sinfo", s->line, MOAT_SINFO_VIRT, MOAT_SINFO_SIZE, POLC_R, s->sinfo);

    for (size_t i = 0; i < s->memory_count; i++) {
        struct polc_memory *m = &s->memories[i];
        m->region = polc_new_region(ctx, POLC_REG_MEMORY, s->name, m->name, m->line, m->size);
        m->region->pinned = m->has_paddr;
        m->region->phys = m->paddr;
        const char *what = polc_sprintf(&ctx->arena, "memory '%s'", m->name);
        if (m->has_vaddr) {
            polc_add_map(s, what, m->line, m->vaddr, m->size, m->perm, m->region);
            m->virt = m->vaddr;
        } else {
            pending[pending_count++] =
                (struct polc_pending){what, m->line, m->size, m->perm, m->region, &m->virt};
        }
    }
    for (size_t i = 0; i < s->end_count; i++) {
        struct polc_channel *ch = s->ends[i].channel;
        struct polc_endpoint *e = s->ends[i].endpoint;
        const char *what = polc_sprintf(&ctx->arena, "channel '%s'", ch->name);
        unsigned perm = s->ends[i].writer ? (POLC_R | POLC_W) : POLC_R;
        if (e->has_vaddr) {
            polc_add_map(s, what, e->line, e->vaddr, ch->size, perm, ch->region);
            e->virt = e->vaddr;
        } else {
            pending[pending_count++] =
                (struct polc_pending){what, e->line, ch->size, perm, ch->region, &e->virt};
        }
    }
    /* Check the fixed mappings before placing the rest around them. */
    for (size_t i = 0; i < s->map_count; i++) {
        struct polc_mapping *m = &s->maps[i];
        uint64_t end;
        if (polc_add_overflows(m->virt, m->size, &end) || end > MOAT_USER_VIRT_END) {
            polc_error(ctx, m->line,
                       "subject '%s': %s at 0x%llx is outside the user half (below 0x%llx)",
                       s->name, m->what, (unsigned long long)m->virt,
                       (unsigned long long)MOAT_USER_VIRT_END);
            m->size = 0;
        } else if (end > MOAT_USER_MAP_END) {
            polc_error(ctx, m->line,
                       "subject '%s': %s at 0x%llx reaches the top user page 0x%llx, which "
                       "stays unmapped (an instruction ending there leaves RIP non-canonical)",
                       s->name, m->what, (unsigned long long)m->virt,
                       (unsigned long long)MOAT_USER_MAP_END);
            m->size = 0;
        } else if (m->virt == 0) {
            polc_error(ctx, m->line, "subject '%s': %s maps page 0 (the null pointer)", s->name,
                       m->what);
        }
    }
    struct polc_fixed fixed = {polc_alloc(&ctx->arena, (s->map_count + 1) * sizeof(*fixed.maps)),
                               0, 0};
    for (size_t i = 0; i < s->map_count; i++) {
        if (s->maps[i].user) {
            fixed.maps[fixed.count++] = &s->maps[i];
        }
    }
    qsort(fixed.maps, fixed.count, sizeof(*fixed.maps), polc_map_ptr_cmp);
    vaddr_t cursor = MOAT_RESOURCE_VIRT_BASE;
    for (size_t i = 0; i < pending_count; i++) {
        struct polc_pending *p = &pending[i];
        bool large = p->region != NULL && p->region->large && !p->region->pinned;
        vaddr_t at = polc_place(&fixed, &cursor, p->size, large);
        polc_add_map(s, p->what, p->line, at, p->size, p->perm, p->region);
        *p->virt = at;
        if (at + p->size > MOAT_STACK_TOP - s->stack_size) {
            polc_error(ctx, p->line, "subject '%s': no virtual room left for %s", s->name,
                       p->what);
        }
    }
    polc_check_overlaps(ctx, s);
    /* The entry trampoline: its text, this CPU's data slice (entry and IST stacks, TSS)
     * and, read-only, the part every CPU shares (GDT with accessed bits preset, IDT,
     * kernel CR3: nothing writes it after boot); never another CPU's slice. */
    uint64_t slice = s->cpu * MOAT_TRAMPOLINE_CPU_STRIDE;
    polc_add_trampoline(s, "trampoline text", MOAT_TRAMPOLINE_VIRT, MOAT_TRAMPOLINE_TEXT_PHYS,
                        MOAT_TRAMPOLINE_TEXT_SIZE, POLC_R | POLC_X);
    polc_add_trampoline(s,
                        polc_sprintf(&ctx->arena, "trampoline data, cpu %llu slice",
                                     (unsigned long long)s->cpu),
                        MOAT_TRAMPOLINE_DATA_VIRT + slice, MOAT_TRAMPOLINE_DATA_PHYS + slice,
                        MOAT_TRAMPOLINE_CPU_STRIDE, POLC_R | POLC_W);
    polc_add_trampoline(s, "trampoline data, shared",
                        MOAT_TRAMPOLINE_DATA_VIRT + MOAT_TRAMPOLINE_SHARED_OFFSET,
                        MOAT_TRAMPOLINE_DATA_PHYS + MOAT_TRAMPOLINE_SHARED_OFFSET,
                        MOAT_TRAMPOLINE_SHARED_SIZE, POLC_R);
}

static int polc_map_cmp(const void *a, const void *b)
{
    const struct polc_mapping *x = a;
    const struct polc_mapping *y = b;
    return x->virt < y->virt ? -1 : x->virt > y->virt ? 1 : 0;
}

void polc_layout_virtual(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    for (size_t i = 0; i < sys->channel_count; i++) {
        struct polc_channel *ch = &sys->channels[i];
        if (ch->device) {
            /* Not RAM: kept out of sys->regions (see struct polc_channel). */
            ch->region = polc_alloc(&ctx->arena, sizeof(*ch->region));
            *ch->region = (struct polc_region){
                .kind = POLC_REG_CHANNEL, .owner = ch->name, .name = "device channel",
                .line = ch->line, .size = ch->size, .phys = ch->paddr, .pinned = true,
                .large = ch->size % POLC_LARGE_PAGE == 0, .allocated = true,
                .index = SIZE_MAX - sys->channel_count + i};
            continue;
        }
        ch->region = polc_new_region(ctx, POLC_REG_CHANNEL, ch->name, "channel", ch->line,
                                     ch->size);
        ch->region->pinned = ch->has_paddr;
        ch->region->phys = ch->paddr;
    }
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        if (s->vm != NULL) {
            polc_vm_maps(ctx, s);
        } else {
            polc_subject_maps(ctx, s);
        }
        qsort(s->maps, s->map_count, sizeof(*s->maps), polc_map_cmp);
        s->pagetable = polc_new_region(ctx, POLC_REG_PAGETABLE, s->name,
                                       s->vm != NULL ? "nested page tables" : "page tables",
                                       s->line, polc_pagetable_pages(s) * MOAT_PAGE_SIZE);
        size_t res = polc_sinfo_resource_count(s, sys);
        if (res > (MOAT_SINFO_SIZE - sizeof(struct moat_sinfo)) /
                      sizeof(struct moat_sinfo_resource)) {
            polc_error(ctx, s->line,
                       "subject '%s' has %zu resources; its %llu-byte sinfo page holds %llu",
                       s->name, res, (unsigned long long)MOAT_SINFO_SIZE,
                       (unsigned long long)((MOAT_SINFO_SIZE - sizeof(struct moat_sinfo)) /
                                            sizeof(struct moat_sinfo_resource)));
        }
        size_t resets = s->memory_count + 1;
        for (size_t j = 0; j < s->image.segment_count; j++) {
            resets += (s->image.segments[j].perm & POLC_W) != 0 ? 1 : 0;
        }
        if (s->vm != NULL) {
            resets = polc_vm_resets(s, NULL);
        }
        if (resets > MOAT_MAX_RESETS) {
            polc_error(ctx, s->line,
                       "subject '%s' needs %zu reset steps (%s, memories); at most %d", s->name,
                       resets,
                       s->vm != NULL ? "guest RAM, pristine images" : "writable segments, stack",
                       MOAT_MAX_RESETS);
        }
    }
    sys->audit = polc_new_region(ctx, POLC_REG_AUDIT, "system", "audit", sys->platform_line,
                                 sys->audit_size);
    sys->state = polc_new_region(ctx, POLC_REG_STATE, "kernel", "subject state",
                                 sys->platform_line,
                                 sys->subject_count * MOAT_SUBJECT_STATE_SIZE);
}

static bool polc_has_content(const struct polc_region *r)
{
    return r->kind == POLC_REG_SEGMENT || r->kind == POLC_REG_PRISTINE ||
           r->kind == POLC_REG_PAGETABLE || r->kind == POLC_REG_SINFO;
}

static const char *polc_region_label(struct polc_ctx *ctx, const struct polc_region *r)
{
    if (r->kind == POLC_REG_CHANNEL) {
        return polc_sprintf(&ctx->arena, "channel '%s'", r->owner);
    }
    if (r->kind == POLC_REG_GUEST_RAM) {
        return polc_sprintf(&ctx->arena, "guest RAM of VM '%s'", r->owner);
    }
    return polc_sprintf(&ctx->arena, "memory '%s' of subject '%s'", r->name, r->owner);
}

size_t polc_merged_regions(const struct polc_system *sys, struct polc_region *const *sorted,
                           struct moat_ram_range *out)
{
    size_t count = 0;
    paddr_t start = 0;
    paddr_t end = 0;
    for (size_t i = 0; i < sys->region_count; i++) {
        const struct polc_region *r = sorted[i];
        if (r->size == 0 || !r->allocated) {
            continue;
        }
        if (count != 0 && r->phys == end) {
            end += r->size;
        } else {
            if (count != 0 && out != NULL) {
                out[count - 1] = (struct moat_ram_range){start, end - start};
            }
            count++;
            start = r->phys;
            end = r->phys + r->size;
        }
    }
    if (count != 0 && out != NULL) {
        out[count - 1] = (struct moat_ram_range){start, end - start};
    }
    return count;
}

static int polc_pinned_cmp(const void *a, const void *b)
{
    const struct polc_region *x = *(const struct polc_region *const *)a;
    const struct polc_region *y = *(const struct polc_region *const *)b;
    if (x->phys != y->phys) {
        return x->phys < y->phys ? -1 : 1;
    }
    return x->index < y->index ? -1 : x->index > y->index ? 1 : 0;
}

static uint64_t polc_align_up(uint64_t v, uint64_t align)
{
    return (v + align - 1) & ~(align - 1);
}

void polc_layout_physical(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    char mem_text[32];
    polc_format_size(mem_text, sizeof(mem_text), sys->memory_size);
    /* Pinned regions: inside usable memory, above the kernel, disjoint. */
    struct polc_region **pinned = polc_alloc(
        &ctx->arena, (sys->region_count + sys->channel_count + 1) * sizeof(*pinned));
    size_t pinned_count = 0;
    /* Device channels: outside the platform's RAM, so they can alias no RAM region, and
     * in the overlap sweep below with the pinned regions. */
    for (size_t i = 0; i < sys->channel_count; i++) {
        struct polc_region *r = sys->channels[i].region;
        uint64_t end;
        if (!sys->channels[i].device || !sys->channels[i].has_paddr) {
            continue;
        }
        if (polc_add_overflows(r->phys, r->size, &end)) {
            polc_error(ctx, r->line, "channel '%s': paddr 0x%llx + size overflows", r->owner,
                       (unsigned long long)r->phys);
        } else if (r->phys < sys->memory_size) {
            polc_error(ctx, r->line,
                       "channel '%s': memory=\"device\" at paddr 0x%llx is inside the "
                       "platform memory %s, which is RAM; device memory lies above it",
                       r->owner, (unsigned long long)r->phys, mem_text);
        } else {
            pinned[pinned_count++] = r;
        }
    }
    for (size_t i = 0; i < sys->region_count; i++) {
        struct polc_region *r = sys->regions[i];
        if (!r->pinned) {
            continue;
        }
        const char *label = polc_region_label(ctx, r);
        uint64_t end;
        if (r->phys < MOAT_KERNEL_PHYS_END) {
            polc_error(ctx, r->line, "%s: paddr 0x%llx is inside the kernel's first 16M", label,
                       (unsigned long long)r->phys);
            continue;
        }
        if (polc_add_overflows(r->phys, r->size, &end) || end > sys->memory_size) {
            polc_error(ctx, r->line, "%s: paddr 0x%llx + size goes beyond platform memory %s",
                       label, (unsigned long long)r->phys, mem_text);
            continue;
        }
        if (end > MOAT_KERNEL_MAPPED_END) {
            polc_error(ctx, r->line, "%s: paddr 0x%llx + size goes beyond the 4G the kernel maps",
                       label, (unsigned long long)r->phys);
            continue;
        }
        r->allocated = true;
        pinned[pinned_count++] = r;
    }
    /* Overlaps in one sweep by address; the later region (allocation order) is named. */
    struct polc_region **by_phys = pinned;
    qsort(by_phys, pinned_count, sizeof(*by_phys), polc_pinned_cmp);
    const struct polc_region *reach = NULL; /* the earlier region ending last */
    for (size_t i = 0; i < pinned_count; i++) {
        struct polc_region *r = by_phys[i];
        if (reach != NULL && r->phys < reach->phys + reach->size && r->size != 0) {
            /* the message names the region allocated later, as the policy's order */
            const struct polc_region *later = r->index > reach->index ? r : reach;
            const struct polc_region *earlier = later == r ? reach : r;
            polc_error(ctx, later->line, "%s: paddr 0x%llx overlaps %s (0x%llx-0x%llx)",
                       polc_region_label(ctx, later), (unsigned long long)later->phys,
                       polc_region_label(ctx, earlier), (unsigned long long)earlier->phys,
                       (unsigned long long)(earlier->phys + earlier->size - 1));
        }
        if (reach == NULL || r->phys + r->size > reach->phys + reach->size) {
            reach = r;
        }
    }
    /* Automatic regions: content first, then zero-filled ones; first fit upward around
     * the pinned ones, which the cursor passes in address order. */
    paddr_t cursor = MOAT_ALLOC_PHYS_BASE;
    uint64_t limit = sys->memory_size < MOAT_KERNEL_MAPPED_END ? sys->memory_size
                                                                : MOAT_KERNEL_MAPPED_END;
    size_t next_pinned = 0;
    uint64_t shortage = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < sys->region_count; i++) {
            struct polc_region *r = sys->regions[i];
            if (r->pinned || polc_has_content(r) != (pass == 0)) {
                continue;
            }
            uint64_t align = r->large ? POLC_LARGE_PAGE
                             : r->kind == POLC_REG_STATE ? MOAT_SUBJECT_STATE_ALIGN
                                                         : MOAT_PAGE_SIZE;
            cursor = polc_align_up(cursor, align);
            uint64_t end;
            bool overflow = polc_add_overflows(cursor, r->size, &end);
            for (size_t k = next_pinned; k < pinned_count && !overflow && by_phys[k]->phys < end; k++) {
                const struct polc_region *o = by_phys[k];
                if (o->phys + o->size > cursor && o->size != 0) {
                    cursor = polc_align_up(o->phys + o->size, align);
                    overflow = polc_add_overflows(cursor, r->size, &end);
                }
            }
            if (overflow || end > limit) {
                polc_add_overflows(shortage, r->size, &shortage);
                continue;
            }
            r->phys = cursor;
            r->allocated = true;
            cursor = end;
            while (next_pinned < pinned_count &&
                   by_phys[next_pinned]->phys + by_phys[next_pinned]->size <= cursor) {
                next_pinned++;
            }
        }
    }
    if (shortage != 0) {
        char need_text[32];
        uint64_t mib = 1ULL << 20;
        polc_format_size(need_text, sizeof(need_text),
                         shortage > UINT64_MAX - mib ? shortage : (shortage + mib - 1) & ~(mib - 1));
        if (limit < sys->memory_size) {
            polc_error(ctx, sys->platform_line,
                       "platform: the 4G of memory %s the kernel maps are too small; the "
                       "policy's regions need about %s more",
                       mem_text, need_text);
        } else {
            polc_error(ctx, sys->platform_line,
                       "platform: memory %s is too small; the policy's regions need about %s "
                       "more",
                       mem_text, need_text);
        }
    }
    struct polc_region **sorted = polc_regions_by_phys(sys);
    size_t ranges = polc_merged_regions(sys, sorted, NULL);
    free(sorted);
    if (ranges > MOAT_MAX_REGIONS) {
        polc_error(ctx, sys->platform_line,
                   "the policy's regions form %zu separate physical ranges; the kernel checks "
                   "at most %d",
                   ranges, MOAT_MAX_REGIONS);
    }
    uint64_t blob = polc_blob_size(sys, ranges);
    if (blob > MOAT_TABLES_CAPACITY) {
        polc_format_size(mem_text, sizeof(mem_text), MOAT_TABLES_CAPACITY);
        polc_error(ctx, sys->line,
                   "the tables blob is %llu bytes; the kernel's tables segment holds %s (%llu "
                   "bytes)",
                   (unsigned long long)blob, mem_text, (unsigned long long)MOAT_TABLES_CAPACITY);
    }
}
