/*
 * I/O port checks: every granted range lies in 0..0xffff and has one owner, and ports that
 * control the whole machine (reset, poweroff, NMI mask, PCI configuration, the timers the
 * kernel calibrates with) reach a subject only through an explicit <platform-device>
 * with a reason, which the layout report flags. The PIC ports stay the kernel's.
 * docs/policy.md lists the same table with the reason for each entry.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "polc.h"

static const struct polc_port_range polc_platform_ports[] = {
    {0x00, 0x1f, "the first ISA DMA controller", "it programs ISA DMA transfers to physical memory below 16 MiB, where the kernel "
     "lives (DMA without an IOMMU)", false},
    {0x81, 0x8f, "the ISA DMA page registers", "they set the physical page of every ISA DMA "
     "transfer (DMA without an IOMMU into the kernel's low 16 MiB)", false},
    {0xc0, 0xdf, "the second ISA DMA controller", "it programs ISA DMA transfers to physical memory below 16 MiB, where the kernel "
     "lives (DMA without an IOMMU)", false},
    {0x20, 0x21, "the master PIC", "the kernel masks it at boot; unmasked, it raises "
     "interrupts on kernel vectors", true},
    {0xa0, 0xa1, "the slave PIC", "the kernel masks it at boot; unmasked, it raises "
     "interrupts on kernel vectors", true},
    {0x4d0, 0x4d1, "the PIC edge/level registers", "they set how every legacy IRQ line "
     "triggers", true},
    {0x40, 0x43, "the PIT", "the machine's one interval timer, which the kernel calibrates "
     "its frame timer with at boot", false},
    {0x60, 0x60, "the keyboard controller's data port", "after command 0xd1 it writes the "
     "controller's output port: A20 and the CPU reset line", false},
    {0x61, 0x61, "system control port B", "it gates PIT channel 2 and masks the SERR and "
     "I/O check NMIs", false},
    {0x64, 0x64, "the keyboard controller's command port", "command 0xfe pulses the CPU "
     "reset line (the kernel's reboot)", false},
    {0x70, 0x71, "the CMOS/RTC", "bit 7 of 0x70 masks NMIs for every CPU, and the CMOS "
     "holds the firmware's settings", false},
    {0x92, 0x92, "system control port A", "bit 0 resets the machine and bit 1 gates A20",
     false},
    {0xb2, 0xb3, "the APM control ports", "a write to 0xb2 raises an SMI, which stops the "
     "CPU in firmware outside every frame", false},
    {0xf4, 0xf7, "QEMU's isa-debug-exit port", "a write ends the emulated machine with a "
     "chosen exit status (the kernel's poweroff status)", false},
    {0x510, 0x51b, "QEMU's fw_cfg interface", "its DMA address register 0x514 makes the "
     "emulator copy data to any physical address (DMA without an IOMMU)", false},
    {0x600, 0x67f, "the ACPI PM block of QEMU's q35 (ICH9)", "PM1a control 0x604 powers "
     "the machine off (the kernel's poweroff); it also holds the SMI enables and the TCO "
     "watchdog", false},
    {0xb000, 0xb03f, "the ACPI PM block of QEMU's i440fx (PIIX4) and Bochs", "PM1a "
     "control 0xb004 powers the machine off (the kernel's poweroff)", false},
    {0xcf8, 0xcff, "PCI configuration space", "it reprograms every PCI device, whose "
     "bus-master DMA reaches all memory without an IOMMU, and 0xcf9 resets the machine",
     false},
};

#define POLC_PLATFORM_PORT_COUNT (sizeof(polc_platform_ports) / sizeof(polc_platform_ports[0]))

const struct polc_port_range *polc_platform_port_next(uint64_t base, uint64_t count,
                                                      size_t *next)
{
    for (size_t i = *next; i < POLC_PLATFORM_PORT_COUNT; i++) {
        const struct polc_port_range *r = &polc_platform_ports[i];
        if (count != 0 && base <= r->last && r->first <= base + count - 1) {
            *next = i + 1;
            return r;
        }
    }
    *next = POLC_PLATFORM_PORT_COUNT;
    return NULL;
}

const char *polc_ioport_kind(const struct polc_ioport *port)
{
    return port->platform ? "platform-device" : "ioport";
}

/* "0x92" or "0xcf8-0xcff". */
static const char *polc_port_text(struct polc_ctx *ctx, uint64_t first, uint64_t last)
{
    if (first == last) {
        return polc_sprintf(&ctx->arena, "0x%llx", (unsigned long long)first);
    }
    return polc_sprintf(&ctx->arena, "0x%llx-0x%llx", (unsigned long long)first,
                        (unsigned long long)last);
}

static bool polc_port_range_ok(const struct polc_ioport *p)
{
    return p->count != 0 && p->base <= 0xffff && p->count <= 0x10000 - p->base;
}

/* Kernel-kept ranges are refused for both elements; the other platform ranges need a
 * <platform-device>, and a <platform-device> must cover at least one of them. */
static void polc_check_platform_ports(struct polc_ctx *ctx, const struct polc_subject *s,
                                      const struct polc_ioport *p)
{
    const char *kind = polc_ioport_kind(p);
    bool any = false;
    size_t next = 0;
    const struct polc_port_range *r;
    while ((r = polc_platform_port_next(p->base, p->count, &next)) != NULL) {
        if (r->kernel_keeps) {
            polc_error(ctx, p->line,
                       "subject '%s': %s '%s' includes ports of %s, which the kernel keeps",
                       s->name, kind, p->name, r->device);
        } else if (!p->platform) {
            polc_error(ctx, p->line,
                       "subject '%s': ioport '%s' includes %s, %s, which affects the whole "
                       "machine: %s; grant it only with <platform-device>",
                       s->name, p->name, polc_port_text(ctx, r->first, r->last), r->device,
                       r->why);
        }
        any = any || !r->kernel_keeps;
    }
    if (p->platform && !any) {
        polc_error(ctx, p->line,
                   "subject '%s': platform-device '%s' (%s) includes no port that affects the "
                   "whole machine; grant it with <ioport>",
                   s->name, p->name, polc_port_text(ctx, p->base, p->base + p->count - 1));
    }
}

/* One granted range in document order, and one pair of ranges that share a port. */
struct polc_port_grant {
    const struct polc_subject *subject;
    const struct polc_ioport *port;
    size_t order;
};

struct polc_port_clash {
    size_t later;
    size_t earlier;
};

static int polc_grant_cmp(const void *a, const void *b)
{
    const struct polc_port_grant *x = a;
    const struct polc_port_grant *y = b;
    if (x->port->base != y->port->base) {
        return x->port->base < y->port->base ? -1 : 1;
    }
    return x->order < y->order ? -1 : x->order > y->order ? 1 : 0;
}

static int polc_clash_cmp(const void *a, const void *b)
{
    const struct polc_port_clash *x = a;
    const struct polc_port_clash *y = b;
    if (x->later != y->later) {
        return x->later < y->later ? -1 : 1;
    }
    return x->earlier < y->earlier ? -1 : x->earlier > y->earlier ? 1 : 0;
}

/*
 * Every pair of valid ranges that share a port, sorted by (later, earlier) document
 * order: one sweep over the ranges sorted by first port, keeping those still open. A
 * policy without clashes costs a sort; each clash found costs one step.
 */
static struct polc_port_clash *polc_port_clashes(struct polc_ctx *ctx,
                                                 const struct polc_port_grant *grants,
                                                 size_t count, size_t *clash_count)
{
    struct polc_port_grant *sorted = polc_alloc(&ctx->arena, (count + 1) * sizeof(*sorted));
    memcpy(sorted, grants, count * sizeof(*sorted));
    qsort(sorted, count, sizeof(*sorted), polc_grant_cmp);
    size_t *open = polc_alloc(&ctx->arena, (count + 1) * sizeof(*open));
    size_t open_count = 0;
    size_t cap = 16;
    size_t n = 0;
    struct polc_port_clash *clashes = polc_alloc(&ctx->arena, cap * sizeof(*clashes));
    for (size_t i = 0; i < count; i++) {
        const struct polc_ioport *p = sorted[i].port;
        size_t kept = 0;
        for (size_t j = 0; j < open_count; j++) {
            const struct polc_ioport *q = sorted[open[j]].port;
            if (q->base + q->count - 1 < p->base) {
                continue; /* ended before this one starts: closed */
            }
            open[kept++] = open[j];
            if (n == cap) {
                struct polc_port_clash *more = polc_alloc(&ctx->arena, 2 * cap * sizeof(*more));
                memcpy(more, clashes, cap * sizeof(*more));
                clashes = more;
                cap *= 2;
            }
            size_t a = sorted[i].order;
            size_t b = sorted[open[j]].order;
            clashes[n++] = (struct polc_port_clash){a > b ? a : b, a > b ? b : a};
        }
        open_count = kept;
        open[open_count++] = i;
    }
    qsort(clashes, n, sizeof(*clashes), polc_clash_cmp);
    *clash_count = n;
    return clashes;
}

void polc_check_ioports(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    size_t total = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        total += sys->subjects[i].ioport_count;
    }
    /* Each port has one owner: the clashes among the valid ranges, found first. */
    struct polc_port_grant *by_order = polc_alloc(&ctx->arena, (total + 1) * sizeof(*by_order));
    struct polc_port_grant *valid = polc_alloc(&ctx->arena, (total + 1) * sizeof(*valid));
    size_t valid_count = 0;
    size_t order = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        const struct polc_subject *s = &sys->subjects[i];
        for (size_t j = 0; j < s->ioport_count; j++, order++) {
            by_order[order] = (struct polc_port_grant){s, &s->ioports[j], order};
            if (polc_port_range_ok(&s->ioports[j])) {
                valid[valid_count++] = by_order[order];
            }
        }
    }
    size_t clash_count = 0;
    const struct polc_port_clash *clash = polc_port_clashes(ctx, valid, valid_count, &clash_count);
    size_t next_clash = 0;
    order = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        for (size_t j = 0; j < s->ioport_count; j++, order++) {
            struct polc_ioport *p = &s->ioports[j];
            const char *kind = polc_ioport_kind(p);
            if (p->count == 0) {
                polc_error(ctx, p->line, "subject '%s': %s '%s' has a count of 0", s->name,
                           kind, p->name);
                continue;
            }
            if (!polc_port_range_ok(p)) {
                polc_error(ctx, p->line, "subject '%s': %s '%s' goes beyond the last port 0xffff",
                           s->name, kind, p->name);
                continue;
            }
            polc_check_platform_ports(ctx, s, p);
            uint64_t last = p->base + p->count - 1;
            for (; next_clash < clash_count && clash[next_clash].later == order; next_clash++) {
                const struct polc_port_grant *o = &by_order[clash[next_clash].earlier];
                polc_error(ctx, p->line,
                           "subject '%s': %s '%s' (0x%llx-0x%llx) overlaps %s '%s' of "
                           "subject '%s'",
                           s->name, kind, p->name, (unsigned long long)p->base,
                           (unsigned long long)last, polc_ioport_kind(o->port), o->port->name,
                           o->subject->name);
            }
        }
    }
}
