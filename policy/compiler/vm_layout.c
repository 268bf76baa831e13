/*
 * A VM's guest-physical layout: its guest RAM at 0 (read-write-execute), then, above it
 * and below POLC_VM_GPA_END, its sinfo page (read-only), memories and channel ends, each
 * where the policy pins it or placed upward with an unmapped guard page after each; and
 * the host-physical regions only the kernel sees: the VMCB page and the pristine copies
 * of what it boots, which the reset steps copy into zeroed guest RAM. The nested page
 * tables are built from these mappings like a native subject's page tables.
 */
#include <stdlib.h>
#include <string.h>

#include "moat/sinfo_format.h"
#include "polc.h"

struct polc_vm_pending {
    const char *what;
    long line;
    uint64_t size;
    unsigned perm;
    struct polc_region *region;
    vaddr_t *gpa;
};

static uint64_t polc_page_up(uint64_t v)
{
    return (v + MOAT_PAGE_SIZE - 1) & ~(MOAT_PAGE_SIZE - 1);
}

/* A pristine copy of bytes that go to guest-physical dst_gpa at boot and restart. */
static struct polc_region *polc_vm_pristine(struct polc_ctx *ctx, struct polc_subject *s,
                                            const char *name, const uint8_t *data,
                                            uint64_t size)
{
    struct polc_region *r = polc_new_region(ctx, POLC_REG_PRISTINE, s->name, name, s->vm->line,
                                            polc_page_up(size));
    r->data = data;
    r->data_size = data != NULL ? size : 0;
    return r;
}

/* Placements the policy pins: above guest RAM and below the interrupt-controller window. */
static void polc_vm_check_fixed(struct polc_ctx *ctx, struct polc_subject *s)
{
    const struct polc_vm *vm = s->vm;
    for (size_t i = 1; i < s->map_count; i++) {
        struct polc_mapping *m = &s->maps[i];
        uint64_t end;
        if (m->virt < vm->ram_size) {
            bool boot = m->virt < POLC_VM_BOOT_GPA + POLC_VM_BOOT_SIZE &&
                        m->virt + m->size > POLC_VM_BOOT_GPA;
            polc_error(ctx, m->line,
                       "subject '%s': %s at guest-physical 0x%llx is inside its guest RAM "
                       "(0x0-0x%llx)%s; a VM's resources go above its RAM, where its memory "
                       "map shows them reserved",
                       s->name, m->what, (unsigned long long)m->virt,
                       (unsigned long long)(vm->ram_size - 1),
                       boot ? polc_sprintf(&ctx->arena,
                                           ", on the boot-state area 0x%llx-0x%llx (ACPI "
                                           "tables, zero page, command line)",
                                           (unsigned long long)POLC_VM_BOOT_GPA,
                                           (unsigned long long)(POLC_VM_BOOT_GPA +
                                                                POLC_VM_BOOT_SIZE - 1))
                            : "");
            m->size = 0;
        } else if (polc_add_overflows(m->virt, m->size, &end) || end > POLC_VM_GPA_END) {
            polc_error(ctx, m->line,
                       "subject '%s': %s at guest-physical 0x%llx goes beyond 0x%llx (the "
                       "guest's interrupt-controller window and above stay unmapped)",
                       s->name, m->what, (unsigned long long)m->virt,
                       (unsigned long long)POLC_VM_GPA_END);
            m->size = 0;
        }
    }
}

void polc_vm_maps(struct polc_ctx *ctx, struct polc_subject *s)
{
    struct polc_vm *vm = s->vm;
    size_t cap = s->memory_count + s->end_count + 2;
    s->maps = polc_alloc(&ctx->arena, cap * sizeof(*s->maps));
    struct polc_vm_pending *pending = polc_alloc(&ctx->arena, cap * sizeof(*pending));
    size_t pending_count = 0;

    vm->ram = polc_new_region(ctx, POLC_REG_GUEST_RAM, s->name, "guest RAM", vm->line,
                              vm->ram_size);
    vm->ram->pinned = vm->has_paddr;
    vm->ram->phys = vm->paddr;
    polc_add_map(s, "guest RAM", vm->line, 0, vm->ram_size, POLC_R | POLC_W | POLC_X, vm->ram);
    vm->vmcb = polc_new_region(ctx, POLC_REG_VMCB, s->name, "VMCB", vm->line, MOAT_PAGE_SIZE);
    if (vm->boot == POLC_VM_BOOT_LINUX) {
        vm->pristine_kernel = polc_vm_pristine(ctx, s, "pristine kernel",
                                               vm->kernel + vm->hdr.setup_size, vm->kernel_bytes);
        if (vm->initrd != NULL) {
            vm->pristine_initrd =
                polc_vm_pristine(ctx, s, "pristine initrd", vm->initrd, vm->initrd_size);
        }
        /* Its content comes with polc_vm_boot_build, once the layout is known. */
        vm->pristine_boot = polc_vm_pristine(ctx, s, "pristine boot state", NULL,
                                             POLC_VM_BOOT_SIZE);
    } else {
        vm->pristine_kernel =
            polc_vm_pristine(ctx, s, "pristine image", vm->image, vm->image_size);
    }

    s->sinfo = polc_new_region(ctx, POLC_REG_SINFO, s->name, "sinfo", s->line, MOAT_SINFO_SIZE);
    pending[pending_count++] = (struct polc_vm_pending){"sinfo", vm->line, MOAT_SINFO_SIZE,
                                                        POLC_R, s->sinfo, &vm->sinfo_gpa};
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
                (struct polc_vm_pending){what, m->line, m->size, m->perm, m->region, &m->virt};
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
                (struct polc_vm_pending){what, e->line, ch->size, perm, ch->region, &e->virt};
        }
    }
    polc_vm_check_fixed(ctx, s);
    struct polc_fixed fixed = {polc_alloc(&ctx->arena, (s->map_count + 1) * sizeof(*fixed.maps)),
                               0, 0};
    for (size_t i = 0; i < s->map_count; i++) {
        fixed.maps[fixed.count++] = &s->maps[i];
    }
    qsort(fixed.maps, fixed.count, sizeof(*fixed.maps), polc_map_ptr_cmp);
    vaddr_t cursor = vm->ram_size + MOAT_PAGE_SIZE; /* a guard page after RAM */
    for (size_t i = 0; i < pending_count; i++) {
        struct polc_vm_pending *p = &pending[i];
        bool large = p->region != NULL && p->region->large && !p->region->pinned;
        vaddr_t at = polc_place(&fixed, &cursor, p->size, large);
        polc_add_map(s, p->what, p->line, at, p->size, p->perm, p->region);
        *p->gpa = at;
        if (at + p->size > POLC_VM_GPA_END) {
            polc_error(ctx, p->line,
                       "subject '%s': no guest-physical room left for %s below 0x%llx", s->name,
                       p->what, (unsigned long long)POLC_VM_GPA_END);
        }
    }
    polc_check_overlaps(ctx, s);
    if (vm->boot == POLC_VM_BOOT_IMAGE) {
        vm->boot_rsi = vm->sinfo_gpa;
    }
    /* RAM, the legacy hole and the RAM above it, then one reserved range per mapping. */
    if (vm->boot == POLC_VM_BOOT_LINUX && s->map_count + 2 > POLC_VM_E820_MAX) {
        polc_error(ctx, vm->line,
                   "subject '%s': its memory map needs %zu e820 entries; the zero page holds %u",
                   s->name, s->map_count + 2, POLC_VM_E820_MAX);
    }
}

size_t polc_vm_resets(const struct polc_subject *s, struct moat_reset *out)
{
    const struct polc_vm *vm = s->vm;
    struct moat_reset steps[4];
    size_t n = 0;
    steps[n++] = (struct moat_reset){vm->ram->phys, 0, vm->ram_size};
    steps[n++] = (struct moat_reset){vm->ram->phys + vm->kernel_gpa, vm->pristine_kernel->phys,
                                     vm->pristine_kernel->size};
    if (vm->pristine_initrd != NULL) {
        steps[n++] = (struct moat_reset){vm->ram->phys + vm->initrd_gpa,
                                         vm->pristine_initrd->phys, vm->pristine_initrd->size};
    }
    if (vm->pristine_boot != NULL) {
        steps[n++] = (struct moat_reset){vm->ram->phys + POLC_VM_BOOT_GPA,
                                         vm->pristine_boot->phys, POLC_VM_BOOT_SIZE};
    }
    size_t count = n + s->memory_count;
    if (out == NULL) {
        return count;
    }
    memcpy(out, steps, n * sizeof(*out));
    for (size_t i = 0; i < s->memory_count; i++) {
        out[n + i] = (struct moat_reset){s->memories[i].region->phys, 0, s->memories[i].size};
    }
    return count;
}

size_t polc_vm_e820(const struct polc_subject *s, struct polc_e820 *out, size_t cap)
{
    const struct polc_vm *vm = s->vm;
    size_t n = 0;
    struct polc_e820 fixed[3] = {
        {0, POLC_VM_LOW_RAM_END, POLC_E820_RAM},
        {POLC_VM_LOW_RAM_END, POLC_VM_HIGH_RAM - POLC_VM_LOW_RAM_END, POLC_E820_RESERVED},
        {POLC_VM_HIGH_RAM, vm->ram_size - POLC_VM_HIGH_RAM, POLC_E820_RAM},
    };
    for (size_t i = 0; i < 3 && n < cap; i++) {
        out[n++] = fixed[i];
    }
    /* The maps are sorted by guest-physical address; RAM is the first. */
    for (size_t i = 0; i < s->map_count && n < cap; i++) {
        const struct polc_mapping *m = &s->maps[i];
        if (m->region != vm->ram && m->size != 0) {
            out[n++] = (struct polc_e820){m->virt, m->size, POLC_E820_RESERVED};
        }
    }
    return n;
}
