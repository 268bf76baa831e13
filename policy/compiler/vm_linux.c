/*
 * What a VM boots, read and placed in guest RAM: a Linux bzImage (its setup header
 * checked against the 32-bit boot protocol, docs: Documentation/x86/boot.rst), an
 * optional initrd at the top of the RAM the kernel allows, and the command line; or a
 * flat binary at its load address. Every refusal says which file and why, against the
 * policy line that names it.
 */
#include <stdlib.h>
#include <string.h>

#include "polc.h"

/* Setup-header fields (offsets in the bzImage file and in the zero page alike). */
#define BZ_SETUP_SECTS      0x1f1u
#define BZ_BOOT_FLAG        0x1feu
#define BZ_JUMP_END         0x201u /* the jump's displacement: the header ends at 0x202 + it */
#define BZ_MAGIC            0x202u
#define BZ_VERSION          0x206u
#define BZ_LOADFLAGS        0x211u
#define BZ_CODE32_START     0x214u
#define BZ_INITRD_ADDR_MAX  0x22cu
#define BZ_KERNEL_ALIGNMENT 0x230u
#define BZ_RELOCATABLE      0x234u
#define BZ_CMDLINE_SIZE     0x238u
#define BZ_PREF_ADDRESS     0x258u
#define BZ_INIT_SIZE        0x260u
#define BZ_HEADER_MIN_END   0x264u /* through init_size */
#define BZ_LOADED_HIGH      0x01u
#define BZ_MIN_VERSION      0x020cu /* 2.12: xloadflags, with pref_address and init_size */
#define BZ_DEFAULT_SECTS    4u
#define BZ_SECTOR           512u

static uint64_t polc_page_up(uint64_t v)
{
    return (v + MOAT_PAGE_SIZE - 1) & ~(MOAT_PAGE_SIZE - 1);
}

bool polc_bzimage_parse(struct polc_ctx *ctx, const struct polc_subject *s, const uint8_t *k,
                        size_t size, struct polc_bzimage *out)
{
    const struct polc_vm *vm = s->vm;
    const char *name = vm->kernel_name;
    long line = vm->boot_line;
    memset(out, 0, sizeof(*out));
    if (size < BZ_HEADER_MIN_END) {
        polc_error(ctx, line,
                   "subject '%s': kernel '%s' is not a bzImage: %zu bytes are too few for a "
                   "setup header (0x%x)",
                   s->name, name, size, BZ_HEADER_MIN_END);
        return false;
    }
    if (polc_le_get(k + BZ_BOOT_FLAG, 2) != 0xaa55) {
        polc_error(ctx, line,
                   "subject '%s': kernel '%s' is not a bzImage: no boot flag 0xaa55 at 0x%x",
                   s->name, name, BZ_BOOT_FLAG);
        return false;
    }
    if (memcmp(k + BZ_MAGIC, "HdrS", 4) != 0) {
        polc_error(ctx, line,
                   "subject '%s': kernel '%s' is not a bzImage: no \"HdrS\" setup header at 0x%x",
                   s->name, name, BZ_MAGIC);
        return false;
    }
    out->version = (uint16_t)polc_le_get(k + BZ_VERSION, 2);
    if (out->version < BZ_MIN_VERSION) {
        polc_error(ctx, line,
                   "subject '%s': kernel '%s' speaks boot protocol %u.%02u; moat-polc needs 2.12 "
                   "or later (pref_address, init_size, xloadflags)",
                   s->name, name, out->version >> 8, out->version & 0xffu);
        return false;
    }
    if ((k[BZ_LOADFLAGS] & BZ_LOADED_HIGH) == 0) {
        polc_error(ctx, line,
                   "subject '%s': kernel '%s' is a zImage (loadflags without LOADED_HIGH); only a "
                   "bzImage, loaded at 1M or above, boots",
                   s->name, name);
        return false;
    }
    out->header_end = 0x202u + k[BZ_JUMP_END];
    if (out->header_end < BZ_HEADER_MIN_END || out->header_end > size) {
        polc_error(ctx, line,
                   "subject '%s': kernel '%s' has a setup header ending at 0x%llx, outside "
                   "0x%x..its size %zu",
                   s->name, name, (unsigned long long)out->header_end, BZ_HEADER_MIN_END, size);
        return false;
    }
    unsigned sects = k[BZ_SETUP_SECTS] != 0 ? k[BZ_SETUP_SECTS] : BZ_DEFAULT_SECTS;
    out->setup_size = (uint64_t)(sects + 1u) * BZ_SECTOR;
    if (out->setup_size >= size || out->setup_size < out->header_end) {
        polc_error(ctx, line,
                   "subject '%s': kernel '%s' has %u setup sectors (%llu bytes), which leave no "
                   "protected-mode kernel in its %zu bytes",
                   s->name, name, sects, (unsigned long long)out->setup_size, size);
        return false;
    }
    out->relocatable = k[BZ_RELOCATABLE] != 0;
    out->alignment = polc_le_get(k + BZ_KERNEL_ALIGNMENT, 4);
    out->pref_address = polc_le_get(k + BZ_PREF_ADDRESS, 8);
    out->init_size = polc_le_get(k + BZ_INIT_SIZE, 4);
    out->initrd_max = polc_le_get(k + BZ_INITRD_ADDR_MAX, 4);
    out->cmdline_max = polc_le_get(k + BZ_CMDLINE_SIZE, 4);
    if (out->init_size == 0) {
        polc_error(ctx, line, "subject '%s': kernel '%s' has init_size 0", s->name, name);
        return false;
    }
    if (out->relocatable) {
        bool pow2 = out->alignment != 0 && (out->alignment & (out->alignment - 1)) == 0;
        if (!pow2 || out->pref_address % out->alignment != 0 ||
            out->pref_address < POLC_VM_HIGH_RAM || out->pref_address >= POLC_VM_GPA_END) {
            polc_error(ctx, line,
                       "subject '%s': kernel '%s' is relocatable with pref_address 0x%llx and "
                       "kernel_alignment 0x%llx: it needs a power-of-two alignment and an "
                       "aligned pref_address in [1M, 0x%llx)",
                       s->name, name, (unsigned long long)out->pref_address,
                       (unsigned long long)out->alignment, (unsigned long long)POLC_VM_GPA_END);
            return false;
        }
    } else if (polc_le_get(k + BZ_CODE32_START, 4) != POLC_VM_HIGH_RAM) {
        polc_error(ctx, line,
                   "subject '%s': kernel '%s' is not relocatable and its code32_start 0x%llx is "
                   "not 1M, where a bzImage loads",
                   s->name, name, (unsigned long long)polc_le_get(k + BZ_CODE32_START, 4));
        return false;
    }
    return true;
}

/* Reads a file the <vm> names into the arena; false after reporting. */
static bool polc_vm_file(struct polc_ctx *ctx, const struct polc_subject *s, const char *what,
                         const char *name, const uint8_t **data, size_t *size)
{
    const char *path = polc_find_file(ctx, name);
    uint8_t *bytes = NULL;
    if (path == NULL) {
        polc_error(ctx, s->vm->boot_line, "subject '%s': %s '%s' not found (looked in %s)",
                   s->name, what, name, polc_looked_in(ctx));
        return false;
    }
    if (!polc_read_file(path, &bytes, size)) {
        polc_error(ctx, s->vm->boot_line, "subject '%s': cannot read %s '%s'", s->name, what,
                   name);
        return false;
    }
    uint8_t *copy = polc_alloc(&ctx->arena, *size + 1);
    if (*size != 0) {
        memcpy(copy, bytes, *size);
    }
    free(bytes);
    *data = copy;
    if (*size == 0) {
        polc_error(ctx, s->vm->boot_line, "subject '%s': %s '%s' is empty", s->name, what, name);
        return false;
    }
    return true;
}

static void polc_vm_load_linux(struct polc_ctx *ctx, struct polc_subject *s)
{
    struct polc_vm *vm = s->vm;
    char ram[32];
    polc_format_size(ram, sizeof(ram), vm->ram_size);
    if (!polc_vm_file(ctx, s, "kernel", vm->kernel_name, &vm->kernel, &vm->kernel_size) ||
        !polc_bzimage_parse(ctx, s, vm->kernel, vm->kernel_size, &vm->hdr)) {
        return;
    }
    const struct polc_bzimage *h = &vm->hdr;
    vm->kernel_gpa = h->relocatable ? h->pref_address : POLC_VM_HIGH_RAM;
    vm->kernel_bytes = vm->kernel_size - h->setup_size;
    vm->entry_gpa = vm->kernel_gpa;
    vm->boot_rsi = POLC_VM_BOOT_GPA + POLC_VM_ZERO_PAGE;
    /* It decompresses into [run, run + init_size); a non-relocatable one runs at pref_address,
     * which only this bounds (the sum below would wrap for one near 2^64). */
    if (!h->relocatable &&
        (h->pref_address < POLC_VM_HIGH_RAM || h->pref_address >= vm->ram_size)) {
        polc_error(ctx, vm->boot_line,
                   "subject '%s': kernel '%s' is not relocatable and runs at its pref_address "
                   "0x%llx, outside guest memory [1M, %s)",
                   s->name, vm->kernel_name, (unsigned long long)h->pref_address, ram);
        return;
    }
    uint64_t run = h->relocatable ? vm->kernel_gpa : h->pref_address;
    uint64_t end = run + h->init_size;
    if (vm->kernel_gpa + polc_page_up(vm->kernel_bytes) > end) {
        end = vm->kernel_gpa + polc_page_up(vm->kernel_bytes);
    }
    if (run < POLC_VM_HIGH_RAM || end > vm->ram_size) {
        polc_error(ctx, vm->boot_line,
                   "subject '%s': guest memory %s is too small for kernel '%s': it is loaded at "
                   "0x%llx and needs guest RAM up to 0x%llx (init_size 0x%llx from 0x%llx)",
                   s->name, ram, vm->kernel_name, (unsigned long long)vm->kernel_gpa,
                   (unsigned long long)end, (unsigned long long)h->init_size,
                   (unsigned long long)run);
        return;
    }
    char *line = polc_alloc(&ctx->arena, POLC_VM_CMDLINE_MAX + 1);
    vm->cmdline_len = polc_vm_cmdline(vm, line, POLC_VM_CMDLINE_MAX + 1, NULL);
    uint64_t cmdline_max = h->cmdline_max < POLC_VM_CMDLINE_MAX ? h->cmdline_max
                                                                : POLC_VM_CMDLINE_MAX;
    if (vm->cmdline_len > cmdline_max) {
        polc_error(ctx, vm->boot_line,
                   "subject '%s': the command line is %llu bytes with the fields moat-polc adds; "
                   "kernel '%s' takes at most %llu",
                   s->name, (unsigned long long)vm->cmdline_len, vm->kernel_name,
                   (unsigned long long)cmdline_max);
        return;
    }
    if (vm->initrd_name != NULL) {
        if (!polc_vm_file(ctx, s, "initrd", vm->initrd_name, &vm->initrd, &vm->initrd_size)) {
            return;
        }
        /* At the top of the RAM the kernel may read it from, as boot loaders do. */
        uint64_t top = vm->ram_size;
        if (h->initrd_max + 1 < top) {
            top = (h->initrd_max + 1) & ~(MOAT_PAGE_SIZE - 1);
        }
        uint64_t need = polc_page_up(vm->initrd_size);
        if (need > top || top - need < end) {
            polc_error(ctx, vm->boot_line,
                       "subject '%s': initrd '%s' (%zu bytes) does not fit in guest RAM between "
                       "the kernel's end 0x%llx and 0x%llx (guest memory %s, initrd_addr_max "
                       "0x%llx)",
                       s->name, vm->initrd_name, vm->initrd_size, (unsigned long long)end,
                       (unsigned long long)top, ram, (unsigned long long)h->initrd_max);
            return;
        }
        vm->initrd_gpa = top - need;
    }
    vm->loaded = true;
}

static void polc_vm_load_image(struct polc_ctx *ctx, struct polc_subject *s)
{
    struct polc_vm *vm = s->vm;
    if (!polc_vm_file(ctx, s, "image", vm->file_name, &vm->image, &vm->image_size)) {
        return;
    }
    char ram[32];
    polc_format_size(ram, sizeof(ram), vm->ram_size);
    uint64_t end;
    if (polc_add_overflows(vm->load, polc_page_up(vm->image_size), &end) || end > vm->ram_size) {
        polc_error(ctx, vm->boot_line,
                   "subject '%s': image '%s' (%zu bytes at 0x%llx) does not fit in guest memory %s",
                   s->name, vm->file_name, vm->image_size, (unsigned long long)vm->load, ram);
        return;
    }
    vm->entry_gpa = vm->has_entry ? vm->entry : vm->load;
    if (vm->entry_gpa < vm->load || vm->entry_gpa >= vm->load + vm->image_size) {
        polc_error(ctx, vm->boot_line,
                   "subject '%s': image entry 0x%llx is outside image '%s' (0x%llx-0x%llx)",
                   s->name, (unsigned long long)vm->entry_gpa, vm->file_name,
                   (unsigned long long)vm->load,
                   (unsigned long long)(vm->load + vm->image_size - 1));
        return;
    }
    vm->kernel_gpa = vm->load;
    vm->kernel_bytes = vm->image_size;
    vm->loaded = true;
}

void polc_vm_load(struct polc_ctx *ctx, struct polc_subject *s)
{
    if (s->vm->boot == POLC_VM_BOOT_LINUX) {
        polc_vm_load_linux(ctx, s);
    } else if (s->vm->boot == POLC_VM_BOOT_IMAGE) {
        polc_vm_load_image(ctx, s);
    }
}
