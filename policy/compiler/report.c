/*
 * The layout report (layout.txt, `moat-polc layout`): what an integrator reads first.
 * The physical memory map in address order, then each subject's address space with
 * rights and backing, its events and resources, then channels and the schedule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polc.h"

static const char *polc_kind_name(enum polc_region_kind kind)
{
    switch (kind) {
    case POLC_REG_SEGMENT:
        return "image";
    case POLC_REG_PRISTINE:
        return "pristine";
    case POLC_REG_PAGETABLE:
        return "pagetable";
    case POLC_REG_SINFO:
        return "sinfo";
    case POLC_REG_STACK:
        return "stack";
    case POLC_REG_MEMORY:
        return "memory";
    case POLC_REG_CHANNEL:
        return "channel";
    case POLC_REG_AUDIT:
        return "audit";
    case POLC_REG_STATE:
        return "state";
    case POLC_REG_GUEST_RAM:
        return "guest-ram";
    case POLC_REG_VMCB:
        return "vmcb";
    }
    return "?";
}

static void polc_perm_text(char out[4], unsigned perm)
{
    out[0] = (perm & POLC_R) != 0 ? 'r' : '-';
    out[1] = (perm & POLC_W) != 0 ? 'w' : '-';
    out[2] = (perm & POLC_X) != 0 ? 'x' : '-';
    out[3] = 0;
}

static void polc_report_physical(const struct polc_system *sys, struct polc_buf *o)
{
    char size[32];
    polc_buf_printf(o, "Physical memory (%zu regions)\n", sys->region_count);
    polc_buf_printf(o, "  %-18s  %-18s  %8s  %-9s  %-16s  %s\n", "start", "end", "size", "kind",
                    "owner", "what");
    polc_format_size(size, sizeof(size), MOAT_KERNEL_PHYS_END);
    polc_buf_printf(o, "  0x%016llx  0x%016llx  %8s  %-9s  %-16s  %s\n", 0ULL,
                    (unsigned long long)(MOAT_KERNEL_PHYS_END - 1), size, "kernel", "kernel",
                    "reserved (trampoline at 0x200000)");
    struct polc_region **sorted = polc_regions_by_phys(sys);
    paddr_t used_end = MOAT_KERNEL_PHYS_END;
    for (size_t i = 0; i < sys->region_count; i++) {
        const struct polc_region *r = sorted[i];
        if (r->size == 0) {
            continue;
        }
        polc_format_size(size, sizeof(size), r->size);
        polc_buf_printf(o, "  0x%016llx  0x%016llx  %8s  %-9s  %-16s  %s%s\n",
                        (unsigned long long)r->phys, (unsigned long long)(r->phys + r->size - 1),
                        size, polc_kind_name(r->kind), r->owner, r->name,
                        r->pinned ? " (pinned)" : "");
        if (r->phys + r->size > used_end) {
            used_end = r->phys + r->size;
        }
    }
    free(sorted);
    polc_format_size(size, sizeof(size), sys->memory_size);
    polc_buf_printf(o, "  highest address used: 0x%llx (platform memory: %s)\n",
                    (unsigned long long)(used_end - 1), size);
    for (size_t i = 0; i < sys->channel_count; i++) {
        const struct polc_region *r = sys->channels[i].region;
        if (sys->channels[i].device) {
            polc_format_size(size, sizeof(size), r->size);
            polc_buf_printf(o, "  device memory, not RAM (the kernel never touches it): "
                               "0x%016llx-0x%016llx %s channel '%s'\n",
                            (unsigned long long)r->phys,
                            (unsigned long long)(r->phys + r->size - 1), size, r->owner);
        }
    }
    polc_buf_printf(o, "\n");
}

/* The whole-machine devices a port range includes: "the CMOS/RTC, system control port A". */
static void polc_report_devices(const struct polc_ioport *p, struct polc_buf *o)
{
    size_t next = 0;
    const char *sep = "";
    const struct polc_port_range *r;
    while ((r = polc_platform_port_next(p->base, p->count, &next)) != NULL) {
        polc_buf_printf(o, "%s%s", sep, r->device);
        sep = ", ";
    }
}

/* One row of what the reset steps copy into a VM's guest RAM. */
static void polc_report_vm_copy(struct polc_buf *o, const struct polc_vm *vm, uint64_t gpa,
                                const struct polc_region *pristine, const char *what)
{
    char size[32];
    polc_format_size(size, sizeof(size), pristine->size);
    polc_buf_printf(o,
                    "  0x%016llx  0x%016llx  %8s  %-4s  %-4s  0x%016llx  %s, copied from 0x%llx\n",
                    (unsigned long long)gpa, (unsigned long long)(gpa + pristine->size - 1), size,
                    "rwx", "vm", (unsigned long long)(vm->ram->phys + gpa), what,
                    (unsigned long long)pristine->phys);
}

/* A VM's boot and its guest-physical map header; the mappings follow as for any subject. */
static void polc_report_vm(const struct polc_subject *s, struct polc_buf *o)
{
    const struct polc_vm *vm = s->vm;
    char size[32];
    polc_format_size(size, sizeof(size), vm->ram_size);
    if (vm->boot == POLC_VM_BOOT_LINUX) {
        polc_buf_printf(o, "  VM: linux %s (boot protocol %u.%02u%s)%s%s, guest RAM %s\n",
                        vm->kernel_name, vm->hdr.version >> 8, vm->hdr.version & 0xffu,
                        vm->hdr.relocatable ? ", relocatable" : "",
                        vm->initrd_name != NULL ? ", initrd " : "",
                        vm->initrd_name != NULL ? vm->initrd_name : "", size);
    } else {
        polc_buf_printf(o, "  VM: image %s at 0x%llx, guest RAM %s\n", vm->file_name,
                        (unsigned long long)vm->load, size);
    }
    polc_buf_printf(o,
                    "  entry 0x%llx (32-bit protected mode, paging off), esi 0x%llx, nested page "
                    "tables 0x%llx (%llu pages), VMCB 0x%llx\n",
                    (unsigned long long)vm->entry_gpa, (unsigned long long)vm->boot_rsi,
                    (unsigned long long)s->pagetable->phys,
                    (unsigned long long)(s->pagetable->size / MOAT_PAGE_SIZE),
                    (unsigned long long)vm->vmcb->phys);
    if (vm->console != NULL) {
        polc_format_size(size, sizeof(size), vm->console->size);
        polc_buf_printf(o,
                        "  console: channel '%s', %s at 0x%llx, written by the kernel, read by "
                        "%s\n",
                        vm->console->name, size, (unsigned long long)vm->console->region->phys,
                        vm->console->readers[0].subject_name);
    }
    if (vm->pristine_boot != NULL) {
        polc_buf_printf(o, "  TSC kHz field at 0x%llx (in the pristine boot state)\n",
                        (unsigned long long)(vm->pristine_boot->phys + polc_vm_tsc_offset(s)));
    }
    polc_buf_printf(o, "  %-18s  %-18s  %8s  %-4s  %-4s  %-18s  %s\n", "guest-phys start",
                    "guest-phys end", "size", "perm", "mode", "host-physical", "what");
    polc_report_vm_copy(o, vm, vm->kernel_gpa, vm->pristine_kernel,
                        vm->boot == POLC_VM_BOOT_LINUX ? "kernel (protected-mode part)" : "image");
    if (vm->pristine_initrd != NULL) {
        polc_report_vm_copy(o, vm, vm->initrd_gpa, vm->pristine_initrd, "initrd");
    }
    if (vm->pristine_boot != NULL) {
        polc_report_vm_copy(o, vm, POLC_VM_BOOT_GPA, vm->pristine_boot,
                            "boot state: ACPI tables, zero page at 0xf0000, command line at "
                            "0xf1000");
    }
}

static void polc_report_subject(const struct polc_subject *s, struct polc_buf *o)
{
    char size[32];
    char perm[4];
    polc_buf_printf(o, "Subject '%s' (id %u, cpu %llu, on-fault %s)\n", s->name, s->id,
                    (unsigned long long)s->cpu, s->on_fault == MOAT_FAULT_RESTART ? "restart" : "stop");
    if (s->vm != NULL) {
        polc_report_vm(s, o);
    } else {
        polc_buf_printf(o, "  image %s, entry 0x%llx, CR3 0x%llx (%llu page-table pages)\n",
                        s->image_name, (unsigned long long)s->image.entry,
                        (unsigned long long)s->pagetable->phys,
                        (unsigned long long)(s->pagetable->size / MOAT_PAGE_SIZE));
        polc_buf_printf(o, "  %-18s  %-18s  %8s  %-4s  %-4s  %-18s  %s\n", "virtual start",
                        "virtual end", "size", "perm", "mode", "physical", "what");
    }
    for (size_t i = 0; i < s->map_count; i++) {
        const struct polc_mapping *m = &s->maps[i];
        polc_format_size(size, sizeof(size), m->size);
        polc_perm_text(perm, m->perm);
        paddr_t phys = m->region != NULL ? m->region->phys : m->fixed_phys;
        bool large = polc_map_large(m) && m->size >= POLC_LARGE_PAGE;
        polc_buf_printf(o, "  0x%016llx  0x%016llx  %8s  %-4s  %-4s  0x%016llx  %s%s\n",
                        (unsigned long long)m->virt, (unsigned long long)(m->virt + m->size - 1),
                        size, perm, s->vm != NULL ? "npt" : m->user ? "user" : "sup",
                        (unsigned long long)phys, m->what,
                        large ? " (2M pages)" : "");
    }
    for (size_t i = 0; i < s->send_count; i++) {
        const struct polc_event *ev = s->sends[i];
        {
            polc_buf_printf(o, "  sends event %u '%s': %s", ev->send_id, ev->name,
                            polc_action_name(ev->action));
            if (ev->to != NULL) {
                polc_buf_printf(o, " %s", ev->to->name);
            }
            if (ev->action == MOAT_ACTION_NOTIFY) {
                polc_buf_printf(o, " (its event %u)", ev->recv_id);
            }
            if (ev->plan_name != NULL) {
                polc_buf_printf(o, " plan %s", ev->plan_name);
            }
            if (ev->irq != NULL) {
                polc_buf_printf(o, " irq line %llu", (unsigned long long)ev->irq->irq_line);
            }
            polc_buf_printf(o, "\n");
        }
    }
    for (size_t i = 0; i < s->irq_count; i++) {
        polc_buf_printf(o, "  receives event %u '%s': irq line %llu\n", s->irqs[i].event_id,
                        s->irqs[i].name, (unsigned long long)s->irqs[i].irq_line);
    }
    for (size_t i = 0; i < s->timer_count; i++) {
        polc_buf_printf(o, "  receives event %u '%s': timer\n", s->timers[i].event_id,
                        s->timers[i].name);
    }
    for (size_t i = 0; i < s->notify_count; i++) {
        const struct polc_event *ev = s->notifies[i];
        polc_buf_printf(o, "  receives event %u '%s': from %s", ev->recv_id, ev->name,
                        ev->from->name);
        if (s->vm != NULL && ev->has_vector) {
            polc_buf_printf(o, ", injected as vector 0x%llx", (unsigned long long)ev->vector);
        } else if (s->vm != NULL) {
            polc_buf_printf(o, ", polled by vmmcall (no vector)");
        }
        polc_buf_printf(o, "\n");
    }
    for (size_t i = 0; i < s->ioport_count; i++) {
        const struct polc_ioport *p = &s->ioports[i];
        polc_buf_printf(o, "  %s '%s': 0x%llx-0x%llx", polc_ioport_kind(p), p->name,
                        (unsigned long long)p->base,
                        (unsigned long long)(p->base + p->count - 1));
        if (p->platform) {
            polc_buf_printf(o, " -- CAN AFFECT THE WHOLE MACHINE (");
            polc_report_devices(p, o);
            polc_buf_printf(o, "); reason: %s", p->reason);
        }
        polc_buf_printf(o, "\n");
    }
    polc_buf_printf(o, "\n");
}

/* Every <platform-device> of the system, first thing after the platform line. */
static void polc_report_platform_grants(const struct polc_system *sys, struct polc_buf *o)
{
    size_t count = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        for (size_t j = 0; j < sys->subjects[i].ioport_count; j++) {
            count += sys->subjects[i].ioports[j].platform ? 1 : 0;
        }
    }
    if (count == 0) {
        polc_buf_printf(o, "Grants that can affect the whole machine: none\n\n");
        return;
    }
    polc_buf_printf(o, "Grants that can affect the whole machine: %zu platform-device%s\n", count,
                    count == 1 ? "" : "s");
    for (size_t i = 0; i < sys->subject_count; i++) {
        const struct polc_subject *s = &sys->subjects[i];
        for (size_t j = 0; j < s->ioport_count; j++) {
            const struct polc_ioport *p = &s->ioports[j];
            if (!p->platform) {
                continue;
            }
            polc_buf_printf(o, "  subject '%s', '%s' 0x%llx-0x%llx: ", s->name, p->name,
                            (unsigned long long)p->base,
                            (unsigned long long)(p->base + p->count - 1));
            polc_report_devices(p, o);
            polc_buf_printf(o, "; reason: %s\n", p->reason);
        }
    }
    polc_buf_printf(o, "\n");
}

/* 100000 -> "100us": the largest unit that divides the value. */
static void polc_format_ns(char *out, size_t out_size, uint64_t ns)
{
    if (ns != 0 && ns % 1000000 == 0) {
        snprintf(out, out_size, "%llums", (unsigned long long)(ns / 1000000));
    } else if (ns != 0 && ns % 1000 == 0) {
        snprintf(out, out_size, "%lluus", (unsigned long long)(ns / 1000));
    } else {
        snprintf(out, out_size, "%lluns", (unsigned long long)ns);
    }
}

/* The kernel build the image was packed against, the blob and the state region. */
static void polc_report_kernel(const struct polc_system *sys, const struct polc_kernel_info *k,
                               struct polc_buf *o)
{
    char size[32];
    if (k == NULL || !k->known) {
        polc_buf_printf(o, "Kernel: none (layout only; `moat-polc build` packs one)\n");
    } else {
        polc_buf_printf(o,
                        "Kernel: %llu bytes, FNV-1a 0x%016llx, note version %u, tables layout "
                        "0x%016llx\n",
                        (unsigned long long)k->file_size, (unsigned long long)k->file_hash,
                        k->note_version, (unsigned long long)k->layout_hash);
    }
    if (k != NULL && k->blob_size != 0) {
        polc_format_size(size, sizeof(size), MOAT_TABLES_CAPACITY);
        polc_buf_printf(o, "Tables blob: %llu bytes at 0x%llx (capacity %s)\n",
                        (unsigned long long)k->blob_size, (unsigned long long)MOAT_TABLES_PHYS,
                        size);
    }
    polc_format_size(size, sizeof(size), sys->state->size);
    polc_buf_printf(o, "Subject state: %s at 0x%llx (%zu slots of %llu bytes, never mapped)\n\n",
                    size, (unsigned long long)sys->state->phys, sys->subject_count,
                    (unsigned long long)MOAT_SUBJECT_STATE_SIZE);
}

void polc_gen_report(const struct polc_ctx *ctx, const struct polc_kernel_info *kernel,
                     struct polc_buf *o)
{
    char tick[32];
    const struct polc_system *sys = &ctx->sys;
    char size[32];
    const char *base = strrchr(ctx->file, '/');
    base = base != NULL ? base + 1 : ctx->file;
    polc_format_size(size, sizeof(size), sys->memory_size);
    polc_buf_printf(o, "Moat layout report: system '%s' (%s)\n", sys->name, base);
    polc_format_ns(tick, sizeof(tick), sys->tick_ns);
    polc_buf_printf(o, "Platform: %llu CPUs, memory %s, tick %s, %zu subjects, %zu channels, "
                    "%zu events, %zu plans\n\n",
                    (unsigned long long)sys->cpu_count, size, tick,
                    sys->subject_count, sys->channel_count, sys->event_count, sys->plan_count);
    polc_report_kernel(sys, kernel, o);
    polc_report_platform_grants(sys, o);
    polc_report_physical(sys, o);
    for (size_t i = 0; i < sys->subject_count; i++) {
        polc_report_subject(&sys->subjects[i], o);
    }
    if (sys->channel_count != 0) {
        polc_buf_printf(o, "Channels\n");
        for (size_t i = 0; i < sys->channel_count; i++) {
            const struct polc_channel *ch = &sys->channels[i];
            polc_format_size(size, sizeof(size), ch->size);
            polc_buf_printf(o, "  '%s': %s at 0x%llx%s, element %llu bytes, protocol 0x%llx, %s ->",
                            ch->name, size, (unsigned long long)ch->region->phys,
                            ch->device ? " (device memory)" : "",
                            (unsigned long long)ch->element_size,
                            (unsigned long long)ch->protocol,
                            polc_channel_by_kernel(ch) ? "kernel"
                            : ch->writer_count == 0   ? "outside"
                                                      : ch->writers[0].subject_name);
            for (size_t j = 0; j < ch->reader_count; j++) {
                polc_buf_printf(o, " %s", ch->readers[j].subject_name);
            }
            polc_buf_printf(o, "%s\n", ch->reader_count == 0 ? " outside" : "");
        }
        polc_buf_printf(o, "\n");
    }
    polc_buf_printf(o, "Schedule (initial plan '%s')\n", sys->plans[sys->initial_plan].name);
    for (size_t p = 0; p < sys->plan_count; p++) {
        const struct polc_plan *plan = &sys->plans[p];
        polc_format_ns(tick, sizeof(tick), plan->major_ticks * sys->tick_ns);
        polc_buf_printf(o, "  plan %zu '%s': major frame %llu ticks = %s\n", p, plan->name,
                        (unsigned long long)plan->major_ticks, tick);
        for (size_t c = 0; c < plan->cpu_count; c++) {
            const struct polc_plan_cpu *cpu = &plan->cpus[c];
            polc_buf_printf(o, "    cpu %llu:", (unsigned long long)cpu->id);
            for (size_t f = 0; f < cpu->frame_count; f++) {
                const struct polc_frame *fr = &cpu->frames[f];
                polc_buf_printf(o, " %s(%llu)", fr->subject != NULL ? fr->subject->name : "idle",
                                (unsigned long long)fr->ticks);
            }
            polc_buf_printf(o, "\n");
        }
    }
}
