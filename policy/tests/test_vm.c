/*
 * VM subjects in the system image moat-polc writes for good/vm.xml, read back the way
 * the kernel and the guest would: the blob's subject and vm records, the nested page
 * tables walked from their root (exactly the intended guest-physical ranges, with the
 * intended rights, nothing else), the reset steps and pristine copies, the zero page
 * (setup header, boot-loader fields, e820 map), the command line with its TSC field,
 * and the ACPI tables with their checksums.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "moat/sinfo_format.h"
#include "test_util.h"

#define NPT_P   0x1ULL
#define NPT_RW  0x2ULL
#define NPT_US  0x4ULL
#define NPT_PS  0x80ULL
#define NPT_NX  (1ULL << 63)
#define NPT_ADDR 0x000ffffffffff000ULL

struct vm_image {
    uint8_t *bytes;
    size_t size;
    uint8_t *blob; /* 8-aligned copy of the tables blob */
    const struct moat_tables_header *h;
};

/* Copies n bytes of physical memory as a boot loader would have loaded them. */
static void phys_read(const struct vm_image *img, paddr_t addr, void *out, size_t n)
{
    const uint8_t *f = img->bytes;
    uint64_t phoff = polc_le_get(f + offsetof(Elf64_Ehdr, e_phoff), 8);
    uint64_t phnum = polc_le_get(f + offsetof(Elf64_Ehdr, e_phnum), 2);
    for (uint64_t i = 0; i < phnum; i++) {
        struct polc_phdr ph;
        polc_phdr_read(f + phoff + i * sizeof(Elf64_Phdr), &ph);
        if (ph.type != PT_LOAD || addr < ph.paddr || addr + n > ph.paddr + ph.memsz) {
            continue;
        }
        uint8_t *o = out;
        for (size_t k = 0; k < n; k++) {
            uint64_t at = addr + k - ph.paddr;
            o[k] = at < ph.filesz ? f[ph.offset + at] : 0;
        }
        return;
    }
    fail_msg("physical 0x%llx+%zu is not in one segment of the image", (unsigned long long)addr, n);
}

static uint64_t phys_u64(const struct vm_image *img, paddr_t addr, size_t n)
{
    uint8_t b[8] = {0};
    phys_read(img, addr, b, n);
    return polc_le_get(b, n);
}

static int vm_setup(void **state)
{
    struct vm_image *img = calloc(1, sizeof(*img));
    const char *out = path_in(work_dir, "image-vm.elf");
    struct run r =
        polc_build(path_in(good_dir, "vm.xml"), out, path_in(elf_dir, "kernel.elf"), NULL);
    if (r.status != 0) {
        fprintf(stderr, "%s", (const char *)r.err.data);
        return -1;
    }
    run_free(&r);
    if (!polc_read_file(out, &img->bytes, &img->size)) {
        return -1;
    }
    struct moat_tables_header head;
    uint8_t *raw = malloc(sizeof(head));
    phys_read(img, MOAT_TABLES_PHYS, raw, sizeof(head));
    memcpy(&head, raw, sizeof(head));
    free(raw);
    img->blob = aligned_alloc(8, (head.size + 7) & ~7ULL);
    phys_read(img, MOAT_TABLES_PHYS, img->blob, head.size);
    img->h = (const struct moat_tables_header *)(void *)img->blob;
    *state = img;
    return 0;
}

static int vm_teardown(void **state)
{
    struct vm_image *img = *state;
    free(img->bytes);
    free(img->blob);
    free(img);
    return 0;
}

static const void *array_at(const struct vm_image *img, struct moat_tables_array a, size_t size,
                            size_t i)
{
    assert_true(i < a.count);
    return img->blob + a.offset + i * size;
}

static const struct moat_subject *subject(const struct vm_image *img, const char *name)
{
    for (uint32_t i = 0; i < img->h->subjects.count; i++) {
        const struct moat_subject *s = array_at(img, img->h->subjects, sizeof(*s), i);
        if (strcmp((const char *)img->blob + img->h->strings.offset + s->name, name) == 0) {
            return s;
        }
    }
    fail_msg("no subject '%s'", name);
    return NULL;
}

static const struct moat_vm *vm_of(const struct vm_image *img, const struct moat_subject *s)
{
    assert_int_equal(s->kind, MOAT_SUBJECT_VM);
    return array_at(img, img->h->vms, sizeof(struct moat_vm), s->vm);
}

static const struct moat_reset *reset(const struct vm_image *img, const struct moat_subject *s,
                                      uint32_t i)
{
    assert_true(i < s->reset_count);
    return array_at(img, img->h->resets, sizeof(struct moat_reset), s->reset_first + i);
}

/* The reset step that copies into guest-physical gpa (the pristine copy it names). */
static const struct moat_reset *copy_to(const struct vm_image *img, const struct moat_subject *s,
                                        uint64_t gpa)
{
    paddr_t ram = reset(img, s, 0)->dst;
    for (uint32_t i = 1; i < s->reset_count; i++) {
        const struct moat_reset *r = reset(img, s, i);
        if (r->src != 0 && r->dst == ram + gpa) {
            return r;
        }
    }
    fail_msg("no reset step copies to guest-physical 0x%llx", (unsigned long long)gpa);
    return NULL;
}

/* A resource of the subject's sinfo page (its addresses are guest-physical for a VM). */
static struct moat_sinfo_resource sinfo_res(const struct vm_image *img,
                                            const struct moat_subject *s, const char *name)
{
    struct moat_sinfo info;
    phys_read(img, s->sinfo_phys, &info, sizeof(info));
    assert_int_equal(info.magic, MOAT_SINFO_MAGIC);
    for (uint32_t i = 0; i < info.resource_count; i++) {
        struct moat_sinfo_resource r;
        phys_read(img, s->sinfo_phys + sizeof(info) + i * sizeof(r), &r, sizeof(r));
        if (strcmp(r.name, name) == 0) {
            return r;
        }
    }
    fail_msg("no resource '%s' in the sinfo page", name);
    struct moat_sinfo_resource none = {0};
    return none;
}

/* ---- the nested page tables ---- */

struct leaf {
    uint64_t gpa;
    uint64_t hpa;
    uint64_t size;
    unsigned perm; /* POLC_R/W/X */
};

struct leaves {
    struct leaf l[64];
    size_t n;
};

/* Adds a leaf, merging it into the previous one when it continues it. */
static void leaf_add(struct leaves *out, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
    struct leaf *p = out->n != 0 ? &out->l[out->n - 1] : NULL;
    if (p != NULL && p->gpa + p->size == gpa && p->hpa + p->size == hpa && p->perm == perm) {
        p->size += size;
        return;
    }
    assert_true(out->n < 64);
    out->l[out->n++] = (struct leaf){gpa, hpa, size, perm};
}

/* Walks every present entry the way the CPU's nested walk would; checks the bits an
 * entry must have (present, user as nested paging requires, no reserved address bits). */
static void npt_walk(const struct vm_image *img, paddr_t table, int level, uint64_t base,
                     struct leaves *out)
{
    for (unsigned i = 0; i < 512; i++) {
        uint64_t e = phys_u64(img, table + i * 8u, 8);
        if ((e & NPT_P) == 0) {
            assert_int_equal(e, 0);
            continue;
        }
        assert_true((e & NPT_US) != 0);
        uint64_t span = 1ULL << (12 + 9 * level);
        uint64_t gpa = base + i * span;
        bool leaf = level == 0 || (level == 1 && (e & NPT_PS) != 0);
        if (!leaf) {
            assert_true((e & NPT_PS) == 0);
            assert_true((e & NPT_RW) != 0 && (e & NPT_NX) == 0); /* rights live in leaves */
            npt_walk(img, e & NPT_ADDR, level - 1, gpa, out);
            continue;
        }
        unsigned perm =
            POLC_R | ((e & NPT_RW) != 0 ? POLC_W : 0) | ((e & NPT_NX) == 0 ? POLC_X : 0);
        /* A 2 MiB leaf's address bits below 2 MiB are reserved (or PAT): all zero. */
        assert_int_equal((e & NPT_ADDR) % span, 0);
        leaf_add(out, gpa, e & NPT_ADDR, span, perm);
    }
}

static struct leaves npt_of(const struct vm_image *img, const struct moat_subject *s)
{
    struct leaves out = {.n = 0};
    npt_walk(img, s->pml4, 3, 0, &out);
    return out;
}

static void expect_leaf(const struct leaves *got, size_t i, uint64_t gpa, uint64_t hpa,
                        uint64_t size, unsigned perm)
{
    assert_true(i < got->n);
    const struct leaf *l = &got->l[i];
    if (l->gpa != gpa || l->hpa != hpa || l->size != size || l->perm != perm) {
        fail_msg("mapping %zu: gpa 0x%llx hpa 0x%llx size 0x%llx perm %u; wanted gpa 0x%llx "
                 "hpa 0x%llx size 0x%llx perm %u",
                 i, (unsigned long long)l->gpa, (unsigned long long)l->hpa,
                 (unsigned long long)l->size, l->perm, (unsigned long long)gpa,
                 (unsigned long long)hpa, (unsigned long long)size, perm);
    }
}

/* The physical address the native writer 'control' maps a channel at (its page tables). */
static paddr_t native_phys(const struct vm_image *img, const struct moat_subject *s, vaddr_t va)
{
    paddr_t t = s->pml4;
    for (int level = 3; level >= 0; level--) {
        uint64_t e = phys_u64(img, t + ((va >> (12 + 9 * level)) & 511) * 8u, 8);
        assert_true((e & NPT_P) != 0);
        t = e & NPT_ADDR;
    }
    return t;
}

static void nested_tables_map_exactly_the_linux_vms_ranges(void **state)
{
    struct vm_image *img = *state;
    const struct moat_subject *linux_vm = subject(img, "linux");
    const struct moat_subject *control = subject(img, "control");
    const struct moat_vm *vm = vm_of(img, linux_vm);
    paddr_t ram = reset(img, linux_vm, 0)->dst;
    struct moat_sinfo_resource shared = sinfo_res(img, linux_vm, "shared");
    struct moat_sinfo_resource commands = sinfo_res(img, linux_vm, "commands");
    struct moat_sinfo_resource results = sinfo_res(img, linux_vm, "results");
    paddr_t commands_phys = native_phys(img, control, sinfo_res(img, control, "commands").address);
    paddr_t results_phys = native_phys(img, control, sinfo_res(img, control, "results").address);
    struct leaves got = npt_of(img, linux_vm);
    assert_int_equal(got.n, 5);
    expect_leaf(&got, 0, 0, ram, vm->ram_size, POLC_R | POLC_W | POLC_X);
    expect_leaf(&got, 1, linux_vm->sinfo_virt, linux_vm->sinfo_phys, 0x4000, POLC_R);
    expect_leaf(&got, 2, shared.address, reset(img, linux_vm, linux_vm->reset_count - 1)->dst,
                0x2000, POLC_R | POLC_W);
    /* A reader's channel read-only, the writer's read-write; neither executable. */
    expect_leaf(&got, 3, commands.address, commands_phys, 0x2000, POLC_R);
    expect_leaf(&got, 4, results.address, results_phys, 0x1000, POLC_R | POLC_W);
    assert_int_equal(results.address, 0x8000000);
    /* All of it above guest RAM, as the e820 map says. */
    assert_true(linux_vm->sinfo_virt >= vm->ram_size);
}

static void nested_tables_of_the_image_vm_map_its_ram_sinfo_and_reader_channel(void **state)
{
    struct vm_image *img = *state;
    const struct moat_subject *tiny = subject(img, "tiny");
    const struct moat_vm *vm = vm_of(img, tiny);
    struct leaves got = npt_of(img, tiny);
    assert_int_equal(got.n, 3);
    expect_leaf(&got, 0, 0, 0x10000000, 4u << 20, POLC_R | POLC_W | POLC_X);
    expect_leaf(&got, 1, tiny->sinfo_virt, tiny->sinfo_phys, 0x4000, POLC_R);
    const struct moat_subject *control = subject(img, "control");
    expect_leaf(&got, 2, 0x800000,
                native_phys(img, control, sinfo_res(img, control, "commands").address), 0x2000,
                POLC_R);
    /* The flat image: entry as given, esi = its sinfo page, the bytes copied from a
     * pristine copy at boot and restart. */
    assert_int_equal(tiny->entry, 0x100010);
    assert_int_equal(vm->boot_rsi, tiny->sinfo_virt);
    assert_int_equal(tiny->sinfo_virt, vm->ram_size + 0x1000); /* after a guard page */
    assert_int_equal(vm->tsc_khz_patch, 0);
    const struct moat_reset *copy = copy_to(img, tiny, 0x100000);
    uint8_t *file = NULL;
    size_t file_size = 0;
    assert_true(polc_read_file(path_in(elf_dir, "tiny.bin"), &file, &file_size));
    uint8_t *pristine = malloc(copy->size);
    phys_read(img, copy->src, pristine, copy->size);
    assert_memory_equal(pristine, file, file_size);
    free(pristine);
    free(file);
}

/* Nothing the kernel keeps (VMCB pages, pristine copies, page tables, consoles) is in any
 * VM's nested tables. */
static void no_vm_maps_a_vmcb_a_pristine_copy_or_a_console(void **state)
{
    struct vm_image *img = *state;
    for (uint32_t i = 0; i < img->h->subjects.count; i++) {
        const struct moat_subject *s = array_at(img, img->h->subjects, sizeof(*s), i);
        if (s->kind != MOAT_SUBJECT_VM) {
            continue;
        }
        struct leaves got = npt_of(img, s);
        for (uint32_t j = 0; j < img->h->subjects.count; j++) {
            const struct moat_subject *o = array_at(img, img->h->subjects, sizeof(*o), j);
            for (size_t k = 0; k < got.n; k++) {
                const struct leaf *l = &got.l[k];
                assert_false(o->pml4 >= l->hpa && o->pml4 < l->hpa + l->size);
                if (o->kind == MOAT_SUBJECT_VM) {
                    const struct moat_vm *v = vm_of(img, o);
                    assert_false(v->vmcb >= l->hpa && v->vmcb < l->hpa + l->size);
                    assert_false(v->console_phys < l->hpa + l->size &&
                                 l->hpa < v->console_phys + v->console_size);
                    for (uint32_t r = 1; r < o->reset_count; r++) {
                        const struct moat_reset *st = reset(img, o, r);
                        assert_false(st->src != 0 && st->src < l->hpa + l->size &&
                                     l->hpa < st->src + st->size);
                    }
                }
            }
        }
    }
}

static void vm_records_say_how_the_kernel_enters_and_restarts_it(void **state)
{
    struct vm_image *img = *state;
    const struct moat_subject *s = subject(img, "linux");
    const struct moat_vm *vm = vm_of(img, s);
    assert_int_equal(s->entry, 0x1000000); /* the stand-in's pref_address */
    assert_int_equal(s->stack_top, 0);
    assert_int_equal(s->io_bitmap, MOAT_TABLES_NONE);
    assert_int_equal(vm->boot_rsi, 0xf0000);
    assert_int_equal(vm->ram_size, 64u << 20);
    assert_int_equal(vm->vectors[0], 0x40);
    assert_int_equal(vm->vectors[1], 0x41);
    assert_int_equal(vm->vectors[2], 0); /* 'poke' has no vector: the guest polls for it */
    struct moat_sinfo_resource poke = sinfo_res(img, s, "poke");
    assert_int_equal(poke.kind, MOAT_RES_EVENT_RECV);
    assert_int_equal(poke.id, 2);
    assert_int_equal(poke.line, 0); /* no vector */
    assert_int_equal(vm->vmcb % MOAT_PAGE_SIZE, 0);
    /* The console: the log server's read-only channel "linux.log", written by the kernel. */
    const struct moat_subject *log = subject(img, "log-server");
    struct moat_sinfo_resource console = sinfo_res(img, log, "linux.log");
    assert_int_equal(console.flags & MOAT_RES_WRITER, 0);
    assert_int_equal(native_phys(img, log, console.address), vm->console_phys);
    assert_int_equal(vm->console_size, console.size);
    /* Reset steps: zero the whole guest RAM first, then copy, then zero its memory. */
    const struct moat_reset *zero = reset(img, s, 0);
    assert_int_equal(zero->src, 0);
    assert_int_equal(zero->size, vm->ram_size);
    assert_int_equal(s->reset_count, 5);
    assert_int_equal(reset(img, s, 4)->src, 0);
    assert_int_equal(reset(img, s, 4)->size, 0x2000); /* the whole memory */
    /* The kernel copy is the bzImage after its setup sectors. */
    uint8_t *bz = NULL;
    size_t bz_size = 0;
    assert_true(polc_read_file(path_in(elf_dir, "good.bzImage"), &bz, &bz_size));
    size_t setup = (bz[0x1f1] + 1u) * 512u;
    const struct moat_reset *kernel = copy_to(img, s, 0x1000000);
    assert_int_equal(kernel->size, (bz_size - setup + 0xfff) & ~0xfffULL);
    uint8_t *pristine = malloc(kernel->size);
    phys_read(img, kernel->src, pristine, kernel->size);
    assert_memory_equal(pristine, bz + setup, bz_size - setup);
    free(pristine);
    free(bz);
    /* The sinfo page names the incoming events with their vectors. */
    assert_int_equal(sinfo_res(img, s, "kick").line, 0x40);
    assert_int_equal(sinfo_res(img, s, "kick2").line, 0x41);
}

/* ---- the boot state: zero page, command line, ACPI ---- */

/* The pristine boot-state area, as the guest sees it at 0xe0000 after the reset steps. */
static uint8_t *boot_area(const struct vm_image *img, const struct moat_subject *s)
{
    const struct moat_reset *r = copy_to(img, s, 0xe0000);
    assert_int_equal(r->size, 0x20000);
    uint8_t *area = malloc(r->size);
    phys_read(img, r->src, area, r->size);
    return area;
}

static uint8_t *gpa_in_area(uint8_t *area, uint64_t gpa, uint64_t len)
{
    assert_true(gpa >= 0xe0000 && gpa + len <= 0x100000);
    return area + (gpa - 0xe0000);
}

static void zero_page_holds_the_setup_header_and_what_a_loader_fills_in(void **state)
{
    struct vm_image *img = *state;
    const struct moat_subject *s = subject(img, "linux");
    const struct moat_vm *vm = vm_of(img, s);
    uint8_t *area = boot_area(img, s);
    uint8_t *zp = gpa_in_area(area, vm->boot_rsi, 4096);
    uint8_t *bz = NULL;
    size_t bz_size = 0;
    assert_true(polc_read_file(path_in(elf_dir, "good.bzImage"), &bz, &bz_size));
    /* The header up to type_of_loader, and from cmdline_size on, is the kernel's own. */
    assert_memory_equal(zp + 0x1f1, bz + 0x1f1, 0x210 - 0x1f1);
    assert_memory_equal(zp + 0x238, bz + 0x238, 0x26c - 0x238);
    assert_int_equal(zp[0x210], 0xff);                              /* type_of_loader */
    assert_int_equal(polc_le_get(zp + 0x214, 4), s->entry);         /* code32_start */
    assert_int_equal(polc_le_get(zp + 0x228, 4), 0xf1000);          /* cmd_line_ptr */
    assert_int_equal(polc_le_get(zp + 0x070, 8), 0xe0000);          /* acpi_rsdp_addr */
    uint64_t initrd_gpa = polc_le_get(zp + 0x218, 4);
    uint8_t *initrd = NULL;
    size_t initrd_size = 0;
    assert_true(polc_read_file(path_in(elf_dir, "initrd.img"), &initrd, &initrd_size));
    assert_int_equal(polc_le_get(zp + 0x21c, 4), initrd_size);
    assert_int_equal(initrd_gpa % 4096, 0);
    assert_true(initrd_gpa + initrd_size <= vm->ram_size);
    assert_true(initrd_gpa >= s->entry + polc_le_get(bz + 0x260, 4)); /* above init_size */
    const struct moat_reset *copy = copy_to(img, s, initrd_gpa);
    uint8_t *pristine = malloc(copy->size);
    phys_read(img, copy->src, pristine, copy->size);
    assert_memory_equal(pristine, initrd, initrd_size);
    assert_int_equal(zp[0x1ef], 0); /* sentinel: untouched, so the kernel keeps the fields */
    free(pristine);
    free(initrd);
    free(bz);
    free(area);
}

static void command_line_carries_the_tsc_field_the_kernel_patches(void **state)
{
    struct vm_image *img = *state;
    const struct moat_subject *s = subject(img, "linux");
    const struct moat_vm *vm = vm_of(img, s);
    uint8_t *area = boot_area(img, s);
    const char *cmdline = (const char *)gpa_in_area(area, 0xf1000, 4096);
    char want[256];
    snprintf(want, sizeof(want),
             "console=ttyS0 quiet noapic pci=off tsc=reliable tsc_early_khz=%10s "
             "moat.sinfo=0x%08llx",
             "",
             (unsigned long long)s->sinfo_virt);
    assert_string_equal(cmdline, want);
    /* The patch address is inside that pristine copy, on the ten characters after '='. */
    const struct moat_reset *r = copy_to(img, s, 0xe0000);
    assert_true(vm->tsc_khz_patch >= r->src &&
                vm->tsc_khz_patch + MOAT_VM_TSC_DIGITS <= r->src + r->size);
    const char *field = (const char *)area + (vm->tsc_khz_patch - r->src);
    const char *param = "tsc_early_khz=";
    assert_memory_equal(field - strlen(param), param, strlen(param));
    assert_memory_equal(field, "          ", MOAT_VM_TSC_DIGITS);
    assert_int_equal(field[MOAT_VM_TSC_DIGITS], ' ');
    free(area);
}

static void e820_map_shows_ram_and_every_vm_resource_reserved(void **state)
{
    struct vm_image *img = *state;
    const struct moat_subject *s = subject(img, "linux");
    const struct moat_vm *vm = vm_of(img, s);
    uint8_t *area = boot_area(img, s);
    uint8_t *zp = gpa_in_area(area, vm->boot_rsi, 4096);
    struct leaves npt = npt_of(img, s);
    unsigned n = zp[0x1e8];
    assert_int_equal(n, 3 + npt.n - 1);
    static const uint64_t fixed[3][3] = {
        {0, 0xa0000, 1}, {0xa0000, 0x60000, 2}, {0x100000, (64u << 20) - 0x100000, 1}};
    uint64_t prev_end = 0;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = zp + 0x2d0 + i * 20u;
        uint64_t addr = polc_le_get(e, 8);
        uint64_t size = polc_le_get(e + 8, 8);
        uint32_t type = (uint32_t)polc_le_get(e + 16, 4);
        assert_true(addr >= prev_end && size != 0); /* sorted, disjoint */
        prev_end = addr + size;
        if (i < 3) {
            assert_int_equal(addr, fixed[i][0]);
            assert_int_equal(size, fixed[i][1]);
            assert_int_equal(type, fixed[i][2]);
        } else {
            /* Each mapping above RAM, reserved, exactly its range. */
            assert_int_equal(type, 2);
            assert_int_equal(addr, npt.l[i - 2].gpa);
            assert_int_equal(size, npt.l[i - 2].size);
        }
    }
    const uint8_t *after = zp + 0x2d0 + n * 20u; /* nothing after the last entry */
    assert_int_equal(polc_le_get(after, 8) | polc_le_get(after + 8, 8), 0);
    free(area);
}

static uint8_t acpi_sum(const uint8_t *t, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum = (uint8_t)(sum + t[i]);
    }
    return sum;
}

static bool contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++) {
        if (memcmp(hay + i, needle, m) == 0) {
            return true;
        }
    }
    return false;
}

/* A table the guest reaches through a pointer: signature, length inside the area, sum 0. */
static const uint8_t *acpi_table(uint8_t *area, uint64_t gpa, const char *signature)
{
    const uint8_t *t = gpa_in_area(area, gpa, 36);
    assert_memory_equal(t, signature, 4);
    uint32_t len = (uint32_t)polc_le_get(t + 4, 4);
    gpa_in_area(area, gpa, len);
    if (acpi_sum(t, len) != 0) {
        fail_msg("ACPI table %s: checksum does not make it sum to 0", signature);
    }
    return t;
}

static void acpi_tables_describe_a_hw_reduced_platform_with_valid_checksums(void **state)
{
    struct vm_image *img = *state;
    const struct moat_subject *s = subject(img, "linux");
    uint8_t *area = boot_area(img, s);
    const uint8_t *rsdp = gpa_in_area(area, 0xe0000, 36);
    assert_memory_equal(rsdp, "RSD PTR ", 8);
    assert_int_equal(rsdp[15], 2);
    assert_int_equal(acpi_sum(rsdp, 20), 0);
    assert_int_equal(acpi_sum(rsdp, polc_le_get(rsdp + 20, 4)), 0);
    const uint8_t *xsdt = acpi_table(area, polc_le_get(rsdp + 24, 8), "XSDT");
    assert_int_equal(polc_le_get(xsdt + 4, 4), 36 + 16);
    const uint8_t *fadt = acpi_table(area, polc_le_get(xsdt + 36, 8), "FACP");
    const uint8_t *madt = acpi_table(area, polc_le_get(xsdt + 44, 8), "APIC");
    assert_int_equal(polc_le_get(fadt + 4, 4), 276);
    /* HW_REDUCED_ACPI, physical APIC destination mode, no fixed buttons, WBINVD; no
     * legacy devices, no 8042, no VGA, no MSI, no CMOS RTC. */
    assert_int_equal(polc_le_get(fadt + 112, 4), (1u << 20) | (1u << 19) | 0x31u);
    assert_int_equal(polc_le_get(fadt + 109, 2), 0x2c);
    assert_int_equal(polc_le_get(fadt + 46, 2), 0);               /* no SCI */
    const uint8_t *dsdt = acpi_table(area, polc_le_get(fadt + 140, 8), "DSDT");
    assert_int_equal(polc_le_get(fadt + 40, 4), polc_le_get(fadt + 140, 8));
    /* COM1 (PNP0501, EISA id 0x0105d041) whose only resource is its 8 ports: no IRQ. */
    uint32_t dsdt_len = (uint32_t)polc_le_get(dsdt + 4, 4);
    static const uint8_t hid[] = {'_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01};
    static const uint8_t crs[] = {'_', 'C', 'R', 'S', 0x11, 0x0d, 0x0a, 0x0a, 0x47, 0x01,
                                  0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x79, 0x00};
    assert_true(contains(dsdt, dsdt_len, hid, sizeof(hid)));
    assert_true(contains(dsdt, dsdt_len, crs, sizeof(crs)));
    /* The MADT: no PC-AT PIC pair, exactly one enabled local APIC (id 0), no I/O APIC. */
    assert_int_equal(polc_le_get(madt + 36, 4), 0xfee00000u);
    assert_int_equal(polc_le_get(madt + 40, 4), 0);
    uint32_t len = (uint32_t)polc_le_get(madt + 4, 4);
    unsigned lapics = 0;
    for (uint32_t at = 44; at < len; at += madt[at + 1]) {
        assert_true(madt[at + 1] >= 2);
        assert_int_equal(madt[at], 0);
        assert_int_equal(madt[at + 1], 8);
        assert_int_equal(madt[at + 3], 0);
        assert_int_equal(polc_le_get(madt + at + 4, 4) & 1u, 1);
        lapics++;
    }
    assert_int_equal(lapics, 1);
    free(area);
}

static void vm_build_is_deterministic(void **state)
{
    (void)state;
    const char *a = path_in(work_dir, "vm-a.elf");
    const char *b = path_in(work_dir, "vm-b.elf");
    const char *la = path_in(work_dir, "vm-a.txt");
    const char *lb = path_in(work_dir, "vm-b.txt");
    struct run r1 = polc_build(path_in(good_dir, "vm.xml"), a, path_in(elf_dir, "kernel.elf"), la);
    struct run r2 = polc_build(path_in(good_dir, "vm.xml"), b, path_in(elf_dir, "kernel.elf"), lb);
    assert_int_equal(r1.status, 0);
    assert_int_equal(r2.status, 0);
    assert_true(same_file(a, b));
    assert_true(same_file(la, lb));
    run_free(&r1);
    run_free(&r2);
}

int test_vm_run(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nested_tables_map_exactly_the_linux_vms_ranges),
        cmocka_unit_test(nested_tables_of_the_image_vm_map_its_ram_sinfo_and_reader_channel),
        cmocka_unit_test(no_vm_maps_a_vmcb_a_pristine_copy_or_a_console),
        cmocka_unit_test(vm_records_say_how_the_kernel_enters_and_restarts_it),
        cmocka_unit_test(zero_page_holds_the_setup_header_and_what_a_loader_fills_in),
        cmocka_unit_test(command_line_carries_the_tsc_field_the_kernel_patches),
        cmocka_unit_test(e820_map_shows_ram_and_every_vm_resource_reserved),
        cmocka_unit_test(acpi_tables_describe_a_hw_reduced_platform_with_valid_checksums),
        cmocka_unit_test(vm_build_is_deterministic),
    };
    return cmocka_run_group_tests_name("VM subjects", tests, vm_setup, vm_teardown);
}
