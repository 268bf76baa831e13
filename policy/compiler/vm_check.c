/*
 * Checks of VM subjects that need no file: a VM has none of a native subject's parts
 * (image, stack, ports, irqs, timers), its guest RAM has a usable size, it says what it
 * boots, and every event to it names the interrupt vector to inject, one per vector.
 * polc_vm_load then reads what it boots (a bzImage and initrd, or a flat image) and
 * places it in guest RAM, refusing what does not fit.
 */
#include <string.h>

#include "polc.h"

bool polc_channel_by_kernel(const struct polc_channel *ch)
{
    return ch->kernel_log || ch->console_of != NULL;
}

/* What a native subject has and a VM may not. */
static void polc_check_vm_parts(struct polc_ctx *ctx, const struct polc_subject *s)
{
    const struct polc_vm *vm = s->vm;
    if (s->image_name != NULL) {
        polc_error(ctx, s->line,
                   "subject '%s' is a VM (<vm> at line %ld): it takes no image (it boots what "
                   "its <vm> names)",
                   s->name, vm->line);
    }
    if (s->has_stack_size) {
        polc_error(ctx, s->line, "subject '%s' is a VM (<vm> at line %ld): it has no stack-size",
                   s->name, vm->line);
    }
    for (size_t i = 0; i < s->ioport_count; i++) {
        polc_error(ctx, s->ioports[i].line,
                   "subject '%s' is a VM: %s '%s' is not offered to a VM (its port I/O reaches "
                   "only the kernel's emulated UART)",
                   s->name, polc_ioport_kind(&s->ioports[i]), s->ioports[i].name);
    }
    for (size_t i = 0; i < s->irq_count; i++) {
        polc_error(ctx, s->irqs[i].line,
                   "subject '%s' is a VM: irq '%s' is not offered to a VM (no device passthrough)",
                   s->name, s->irqs[i].name);
    }
    for (size_t i = 0; i < s->timer_count; i++) {
        polc_error(ctx, s->timers[i].line,
                   "subject '%s' is a VM: timer '%s' is not offered to a VM (it has its own "
                   "emulated local APIC timer)",
                   s->name, s->timers[i].name);
    }
}

static void polc_check_vm_memory(struct polc_ctx *ctx, const struct polc_subject *s)
{
    const struct polc_vm *vm = s->vm;
    char text[32];
    polc_format_size(text, sizeof(text), vm->ram_size);
    if (vm->ram_size == 0 || vm->ram_size % POLC_VM_RAM_ALIGN != 0) {
        polc_error(ctx, vm->line, "subject '%s': <vm> memory %s is not a nonzero multiple of 2M",
                   s->name, text);
    } else if (vm->ram_size > POLC_VM_GPA_END - MOAT_SINFO_SIZE - MOAT_PAGE_SIZE) {
        polc_error(ctx, vm->line,
                   "subject '%s': <vm> memory %s leaves no guest-physical room below 0x%llx "
                   "for its sinfo page",
                   s->name, text, (unsigned long long)POLC_VM_GPA_END);
    } else if (vm->ram_size > ctx->sys.memory_size) {
        polc_error(ctx, vm->line, "subject '%s': <vm> memory %s is larger than platform memory",
                   s->name, text);
    }
    if (vm->has_paddr && vm->paddr % MOAT_PAGE_SIZE != 0) {
        polc_error(ctx, vm->line, "subject '%s': <vm> paddr 0x%llx is not 4K-aligned", s->name,
                   (unsigned long long)vm->paddr);
    }
    if (vm->boot_count == 0) {
        polc_error(ctx, vm->line,
                   "subject '%s': <vm> says nothing to boot: give it one <linux> or <image>",
                   s->name);
    } else if (vm->boot_count > 1) {
        polc_error(ctx, vm->boot_line,
                   "subject '%s': <vm> has %zu boot elements; give exactly one <linux> or <image>",
                   s->name, vm->boot_count);
    }
    if (vm->boot_count == 1 && vm->boot == POLC_VM_BOOT_IMAGE && vm->load % MOAT_PAGE_SIZE != 0) {
        polc_error(ctx, vm->boot_line, "subject '%s': <image> load 0x%llx is not 4K-aligned",
                   s->name, (unsigned long long)vm->load);
    }
    if (vm->boot_count == 1 && vm->boot == POLC_VM_BOOT_LINUX &&
        (strstr(vm->cmdline, POLC_VM_TSC_PARAM) != NULL ||
         strstr(vm->cmdline, "moat.sinfo=") != NULL)) {
        polc_error(ctx, vm->boot_line,
                   "subject '%s': the command line sets tsc_early_khz= or moat.sinfo=, which "
                   "moat-polc adds itself",
                   s->name);
    }
}

/* A notify to a VM injects the vector it names (32..255, one event per vector), or without
 * one stays pending until the guest polls for it by vmmcall. */
static void polc_check_vm_vectors(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    for (size_t i = 0; i < sys->event_count; i++) {
        struct polc_event *ev = &sys->events[i];
        bool to_vm = ev->action == MOAT_ACTION_NOTIFY && ev->to != NULL && ev->to->vm != NULL;
        if (!to_vm) {
            if (ev->has_vector) {
                polc_error(ctx, ev->line,
                           "event '%s': vector is only for a notify to a VM subject%s", ev->name,
                           ev->to != NULL && ev->to->vm == NULL
                               ? polc_sprintf(&ctx->arena, " ('%s' is native)", ev->to->name)
                               : "");
            }
            continue;
        }
        struct polc_vm *vm = ev->to->vm;
        if (!ev->has_vector) {
            continue; /* polled by vmmcall (MOAT_KCALL_EVENT_POLL): vectors[id] stays 0 */
        }
        if (ev->vector < 32 || ev->vector > 255) {
            polc_error(ctx, ev->line,
                       "event '%s': vector %llu is not in 32..255 (0..31 are the CPU's "
                       "exceptions)",
                       ev->name, (unsigned long long)ev->vector);
            continue;
        }
        if (ev->recv_id >= MOAT_MAX_EVENTS) {
            continue; /* polc_check_events reported the count */
        }
        const struct polc_event *other = NULL;
        for (size_t j = 0; j < ev->to->notify_count; j++) {
            const struct polc_event *o = ev->to->notifies[j];
            if (o != ev && o < ev && o->has_vector && o->vector == ev->vector) {
                other = o;
                break;
            }
        }
        if (other != NULL) {
            polc_error(ctx, ev->line,
                       "event '%s': vector 0x%llx of VM '%s' is already injected for event "
                       "'%s' (line %ld); the guest could not tell them apart",
                       ev->name, (unsigned long long)ev->vector, ev->to->name, other->name,
                       other->line);
            continue;
        }
        vm->vectors[ev->recv_id] = (uint8_t)ev->vector;
    }
}

void polc_check_vms(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    uint32_t vm_count = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        if (s->vm == NULL) {
            if (s->image_name == NULL) {
                polc_error(ctx, s->line,
                           "subject '%s' has no image: a native subject needs image=\"FILE.elf\", "
                           "a VM a <vm> element",
                           s->name);
            }
            continue;
        }
        s->vm->index = vm_count++;
        if (vm_count == MOAT_MAX_VMS + 1) {
            polc_error(ctx, s->line, "too many VM subjects: '%s' is VM %u (at most %d)", s->name,
                       vm_count, MOAT_MAX_VMS);
        }
        polc_check_vm_parts(ctx, s);
        polc_check_vm_memory(ctx, s);
    }
    polc_check_vm_vectors(ctx);
}
