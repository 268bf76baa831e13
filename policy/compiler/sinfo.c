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

/* Whether end i is the subject's first end of its channel (a channel is one resource). */
static bool polc_first_end(const struct polc_subject *s, size_t i)
{
    return i == 0 || s->ends[i - 1].channel != s->ends[i].channel;
}

size_t polc_sinfo_resource_count(const struct polc_subject *s, const struct polc_system *sys)
{
    (void)sys;
    size_t n = s->memory_count + s->irq_count + s->timer_count + s->ioport_count;
    for (size_t i = 0; i < s->end_count; i++) {
        n += polc_first_end(s, i) ? 1 : 0;
    }
    return n + s->send_count + s->notify_count;
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
            r->address = m->virt;
            r->size = m->size;
        }
    }
    for (size_t i = 0; i < s->end_count; i++) {
        const struct polc_channel *ch = s->ends[i].channel;
        if (!polc_first_end(s, i)) {
            continue;
        }
        if ((r = polc_res(res, &n, cap, ch->name, MOAT_RES_CHANNEL)) != NULL) {
            r->flags = s->ends[i].writer ? (MOAT_RES_WRITER | MOAT_RES_WRITABLE) : 0;
            r->address = s->ends[i].endpoint->virt;
            r->size = ch->size;
            r->element_size = ch->element_size;
            r->protocol = ch->protocol;
        }
    }
    for (size_t i = 0; i < s->send_count; i++) {
        const struct polc_event *ev = s->sends[i];
        if ((r = polc_res(res, &n, cap, ev->name, MOAT_RES_EVENT_SEND)) != NULL) {
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
    for (size_t i = 0; i < s->notify_count; i++) {
        const struct polc_event *ev = s->notifies[i];
        if ((r = polc_res(res, &n, cap, ev->name, MOAT_RES_EVENT_RECV)) != NULL) {
            r->id = ev->recv_id;
            /* A VM sees the event as the interrupt vector injected for it. */
            if (s->vm != NULL && ev->recv_id < MOAT_MAX_EVENTS) {
                r->line = s->vm->vectors[ev->recv_id];
            }
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
