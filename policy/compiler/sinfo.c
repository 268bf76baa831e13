/*
 * Subject info pages and I/O bitmaps. The sinfo page tells a subject who it is and
 * where its resources are, by name (memories, channels, events it sends and receives,
 * IRQs, timers, I/O ports), so the binary does not depend on the policy's placement.
 */
#include <string.h>

#include "moat/sinfo_format.h"
#include "polc.h"

/* The page layout is ABI shared with the SDK: catch accidental changes at build time. */
_Static_assert(sizeof(struct moat_sinfo) == 192, "sinfo header size changed");
_Static_assert(sizeof(struct moat_sinfo_resource) == 112, "sinfo record size changed");

static bool polc_maps_channel(const struct polc_channel *ch, const struct polc_subject *s,
                              bool *writer, vaddr_t *virt)
{
    for (size_t j = 0; j < ch->writer_count + ch->reader_count; j++) {
        const struct polc_endpoint *e =
            j < ch->writer_count ? &ch->writers[j] : &ch->readers[j - ch->writer_count];
        if (e->subject == s) {
            *writer = j < ch->writer_count;
            *virt = 0;
            for (size_t k = 0; k < s->map_count; k++) {
                if (s->maps[k].region == ch->region && s->maps[k].line == e->line) {
                    *virt = s->maps[k].virt;
                }
            }
            return true;
        }
    }
    return false;
}

size_t polc_sinfo_resource_count(const struct polc_subject *s, const struct polc_system *sys)
{
    size_t n = s->memory_count + s->irq_count + s->timer_count + s->ioport_count;
    for (size_t i = 0; i < sys->channel_count; i++) {
        bool writer;
        vaddr_t virt;
        n += polc_maps_channel(&sys->channels[i], s, &writer, &virt) ? 1 : 0;
    }
    for (size_t i = 0; i < sys->event_count; i++) {
        const struct polc_event *ev = &sys->events[i];
        n += ev->from == s ? 1 : 0;
        n += ev->action == MOAT_ACTION_NOTIFY && ev->to == s ? 1 : 0;
    }
    return n;
}

static void polc_put_name(char *dst, const char *src)
{
    size_t len = strlen(src);
    if (len >= MOAT_NAME_MAX) {
        len = MOAT_NAME_MAX - 1;
    }
    memcpy(dst, src, len);
}

static struct moat_sinfo_resource *polc_res(struct moat_sinfo_resource *res, size_t *n,
                                            size_t cap, const char *name, uint32_t kind)
{
    if (*n >= cap) {
        return NULL;
    }
    struct moat_sinfo_resource *r = &res[(*n)++];
    polc_put_name(r->name, name);
    r->kind = kind;
    return r;
}

static vaddr_t polc_map_virt(const struct polc_subject *s, const struct polc_region *region)
{
    for (size_t k = 0; k < s->map_count; k++) {
        if (s->maps[k].region == region) {
            return s->maps[k].virt;
        }
    }
    return 0;
}

/* Builds in host memory; x86-64 and the host share little-endian layout of these types. */
void polc_sinfo_build(const struct polc_ctx *ctx, const struct polc_subject *s, uint8_t *out,
                      size_t out_size)
{
    const struct polc_system *sys = &ctx->sys;
    memset(out, 0, out_size);
    struct moat_sinfo *info = (struct moat_sinfo *)(void *)out;
    info->magic = MOAT_SINFO_MAGIC;
    info->version = MOAT_SINFO_VERSION;
    polc_put_name(info->subject_name, s->name);
    polc_put_name(info->system_name, sys->name);
    info->cpu = (uint32_t)s->cpu;
    info->subject_id = s->id;
    size_t cap = (out_size - sizeof(*info)) / sizeof(struct moat_sinfo_resource);
    struct moat_sinfo_resource *res = info->resources;
    size_t n = 0;
    struct moat_sinfo_resource *r;
    for (size_t i = 0; i < s->memory_count; i++) {
        const struct polc_memory *m = &s->memories[i];
        if ((r = polc_res(res, &n, cap, m->name, MOAT_RES_MEMORY)) != NULL) {
            r->flags = ((m->perm & POLC_W) != 0 ? MOAT_RES_WRITABLE : 0) |
                       ((m->perm & POLC_X) != 0 ? MOAT_RES_EXECUTABLE : 0);
            r->address = polc_map_virt(s, m->region);
            r->size = m->size;
        }
    }
    for (size_t i = 0; i < sys->channel_count; i++) {
        const struct polc_channel *ch = &sys->channels[i];
        bool writer;
        vaddr_t virt;
        if (!polc_maps_channel(ch, s, &writer, &virt)) {
            continue;
        }
        if ((r = polc_res(res, &n, cap, ch->name, MOAT_RES_CHANNEL)) != NULL) {
            r->flags = writer ? (MOAT_RES_WRITER | MOAT_RES_WRITABLE) : 0;
            r->address = virt;
            r->size = ch->size;
            r->element_size = ch->element_size;
            r->protocol = ch->protocol;
        }
    }
    for (size_t i = 0; i < sys->event_count; i++) {
        const struct polc_event *ev = &sys->events[i];
        if (ev->from == s && (r = polc_res(res, &n, cap, ev->name, MOAT_RES_EVENT_SEND)) != NULL) {
            r->id = ev->send_id;
        }
    }
    for (size_t i = 0; i < s->irq_count; i++) {
        if ((r = polc_res(res, &n, cap, s->irqs[i].name, MOAT_RES_IRQ)) != NULL) {
            r->id = s->irqs[i].event_id;
            r->line = (uint32_t)s->irqs[i].irq_line;
        }
    }
    for (size_t i = 0; i < s->timer_count; i++) {
        if ((r = polc_res(res, &n, cap, s->timers[i].name, MOAT_RES_EVENT_RECV)) != NULL) {
            r->id = s->timers[i].event_id;
        }
    }
    for (size_t i = 0; i < sys->event_count; i++) {
        const struct polc_event *ev = &sys->events[i];
        if (ev->action == MOAT_ACTION_NOTIFY && ev->to == s &&
            (r = polc_res(res, &n, cap, ev->name, MOAT_RES_EVENT_RECV)) != NULL) {
            r->id = ev->recv_id;
        }
    }
    for (size_t i = 0; i < s->ioport_count; i++) {
        if ((r = polc_res(res, &n, cap, s->ioports[i].name, MOAT_RES_IOPORT)) != NULL) {
            r->address = s->ioports[i].base;
            r->size = s->ioports[i].count;
        }
    }
    info->resource_count = (uint32_t)n;
}

void polc_io_bitmap_build(struct polc_ctx *ctx, struct polc_subject *s)
{
    if (s->ioport_count == 0) {
        s->io_bitmap = NULL;
        return;
    }
    s->io_bitmap = polc_alloc(&ctx->arena, MOAT_IO_BITMAP_SIZE);
    memset(s->io_bitmap, 0xff, MOAT_IO_BITMAP_SIZE);
    for (size_t i = 0; i < s->ioport_count; i++) {
        const struct polc_ioport *p = &s->ioports[i];
        for (uint64_t port = p->base; port < p->base + p->count && port <= 0xffff; port++) {
            s->io_bitmap[port / 8] = (uint8_t)(s->io_bitmap[port / 8] & ~(1u << (port % 8)));
        }
    }
}
