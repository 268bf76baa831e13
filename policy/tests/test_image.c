/*
 * The system image moat-polc writes: the kernel stays bootable (entry, first segment,
 * Multiboot2 header, PVH note), its tables segment holds the sealed blob, the system
 * note says what machine it needs, every region sits at its physical address, and the page
 * tables, sinfo pages and pristine copies in it say what the policy says, read back the
 * way the CPU and a boot loader would.
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

struct image {
    uint8_t *bytes;
    size_t size;
    struct polc_ctx ctx;
    uint8_t *xml;
};

static const uint8_t *phdr(const struct image *img, size_t i)
{
    return img->bytes + polc_le_get(img->bytes + offsetof(Elf64_Ehdr, e_phoff), 8) + i * sizeof(Elf64_Phdr);
}

static size_t phnum(const struct image *img)
{
    return (size_t)polc_le_get(img->bytes + offsetof(Elf64_Ehdr, e_phnum), 2);
}

/* Reads 8 bytes of physical memory as the boot loader would have loaded them. */
static uint64_t phys64(const struct image *img, paddr_t addr)
{
    for (size_t i = 0; i < phnum(img); i++) {
        const uint8_t *ph = phdr(img, i);
        uint64_t pa = polc_le_get(ph + offsetof(Elf64_Phdr, p_paddr), 8);
        uint64_t filesz = polc_le_get(ph + offsetof(Elf64_Phdr, p_filesz), 8);
        uint64_t memsz = polc_le_get(ph + offsetof(Elf64_Phdr, p_memsz), 8);
        if (polc_le_get(ph, 4) != PT_LOAD || addr < pa || addr >= pa + memsz) {
            continue;
        }
        if (addr + 8 > pa + filesz) {
            return 0;
        }
        return polc_le_get(img->bytes + polc_le_get(ph + offsetof(Elf64_Phdr, p_offset), 8) + (addr - pa), 8);
    }
    fail_msg("physical address 0x%llx is not in the image", (unsigned long long)addr);
    return 0;
}

static int image_build(void **state, const char *name)
{
    struct image *img = calloc(1, sizeof(*img));
    const char *out = path_in(work_dir, polc_sprintf(&test_arena, "image-%s.elf", name));
    const char *policy = path_in(good_dir, name);
    struct run r = polc_build(policy, out, path_in(elf_dir, "kernel.elf"), NULL);
    if (r.status != 0) {
        fprintf(stderr, "%s", (const char *)r.err.data);
        return -1;
    }
    run_free(&r);
    if (!polc_read_file(out, &img->bytes, &img->size)) {
        return -1;
    }
    /* The same inputs give the same layout: recompute it to know where things are. */
    size_t xml_size = 0;
    if (!polc_read_file(policy, &img->xml, &xml_size)) {
        return -1;
    }
    static const char *dirs[1];
    dirs[0] = elf_dir;
    polc_ctx_init(&img->ctx, policy, dirs, 1);
    if (!polc_compile(&img->ctx, img->xml, xml_size)) {
        return -1;
    }
    *state = img;
    return 0;
}

static int image_setup(void **state)
{
    return image_build(state, "pipeline.xml");
}

static int large_setup(void **state)
{
    return image_build(state, "large.xml");
}

static int image_teardown(void **state)
{
    struct image *img = *state;
    polc_ctx_free(&img->ctx);
    free(img->bytes);
    free(img->xml);
    free(img);
    return 0;
}

static void image_keeps_the_kernel_bootable(void **state)
{
    struct image *img = *state;
    uint8_t *kernel = NULL;
    size_t ksize = 0;
    assert_true(polc_read_file(path_in(elf_dir, "kernel.elf"), &kernel, &ksize));
    assert_int_equal(polc_le_get(img->bytes + offsetof(Elf64_Ehdr, e_entry), 8), 0x100000);
    /* The kernel's first segment comes first, and its Multiboot2 header stays early. */
    const uint8_t *first = phdr(img, 0);
    assert_int_equal(polc_le_get(first, 4), PT_LOAD);
    assert_int_equal(polc_le_get(first + offsetof(Elf64_Phdr, p_paddr), 8), 0x100000);
    uint64_t off = polc_le_get(first + offsetof(Elf64_Phdr, p_offset), 8);
    assert_true(off + 24 <= 32768);
    assert_int_equal(polc_le_get(img->bytes + off, 4), 0xe85250d6u);
    bool note = false;
    for (size_t i = 0; i < phnum(img); i++) {
        const uint8_t *ph = phdr(img, i);
        const uint8_t *bytes = img->bytes + polc_le_get(ph + offsetof(Elf64_Phdr, p_offset), 8);
        if (polc_le_get(ph, 4) == PT_NOTE) {
            assert_int_equal(polc_le_get(ph + offsetof(Elf64_Phdr, p_align), 8), 4);
            note = note || memcmp(bytes + 12, "Xen", 4) == 0;
        }
        if (polc_le_get(ph, 4) == PT_LOAD && polc_le_get(ph + offsetof(Elf64_Phdr, p_paddr), 8) >= MOAT_ALLOC_PHYS_BASE) {
            assert_int_equal(polc_le_get(ph + offsetof(Elf64_Phdr, p_vaddr), 8),
                             polc_le_get(ph + offsetof(Elf64_Phdr, p_paddr), 8));
        }
    }
    assert_true(note);
    /* Trampoline text bytes copied to its physical address. */
    assert_int_equal(phys64(img, MOAT_TRAMPOLINE_TEXT_PHYS) & 0xff, 0xc3);
    free(kernel);
}

#define PTE_P  0x1ULL
#define PTE_RW 0x2ULL
#define PTE_US 0x4ULL
#define PTE_PS 0x80ULL
#define PTE_NX (1ULL << 63)

/* Walks a subject's page tables in the image; returns the leaf entry (0: unmapped). */
static uint64_t walk(const struct image *img, const struct polc_subject *s, vaddr_t va)
{
    paddr_t table = s->pagetable->phys;
    for (int level = 3; level >= 0; level--) {
        uint64_t e = phys64(img, table + ((va >> (12 + 9 * level)) & 511) * 8);
        if ((e & PTE_P) == 0) {
            return 0;
        }
        if (level == 0 || (level == 1 && (e & PTE_PS) != 0)) {
            return e;
        }
        table = e & 0x000ffffffffff000ULL;
    }
    return 0;
}

static const struct polc_mapping *find_map(const struct polc_subject *s, const char *what)
{
    for (size_t i = 0; i < s->map_count; i++) {
        if (strcmp(s->maps[i].what, what) == 0) {
            return &s->maps[i];
        }
    }
    fail_msg("no mapping %s", what);
    return NULL;
}

static void page_tables_enforce_the_policy(void **state)
{
    struct image *img = *state;
    struct polc_system *sys = &img->ctx.sys;
    struct polc_subject *producer = polc_find_subject(sys, "producer");
    struct polc_subject *filter = polc_find_subject(sys, "filter");
    uint64_t text = walk(img, producer, 0x400000);
    assert_true((text & PTE_US) && !(text & PTE_RW) && !(text & PTE_NX));
    assert_int_equal(text & 0x000ffffffffff000ULL, producer->image.segments[0].region->phys);
    uint64_t data = walk(img, producer, 0x401000);
    assert_true((data & PTE_US) && (data & PTE_RW) && (data & PTE_NX));
    uint64_t sinfo = walk(img, producer, MOAT_SINFO_VIRT);
    assert_true((sinfo & PTE_US) && !(sinfo & PTE_RW) && (sinfo & PTE_NX));
    /* The channel: writable for its writer, read-only for its reader, same frame. */
    const struct polc_mapping *w = find_map(producer, "channel 'samples'");
    const struct polc_mapping *r = find_map(filter, "channel 'samples'");
    uint64_t we = walk(img, producer, w->virt + 0x1000);
    uint64_t re = walk(img, filter, r->virt + 0x1000);
    assert_true((we & PTE_RW) && (we & PTE_NX));
    assert_true(!(re & PTE_RW) && (re & PTE_NX));
    assert_int_equal(we & 0x000ffffffffff000ULL, re & 0x000ffffffffff000ULL);
    /* The trampoline is there, supervisor-only; nothing at page 0 or past the mappings. */
    uint64_t tt = walk(img, filter, MOAT_TRAMPOLINE_VIRT);
    assert_true((tt & PTE_P) && !(tt & PTE_US) && !(tt & PTE_NX));
    assert_int_equal(tt & 0x000ffffffffff000ULL, MOAT_TRAMPOLINE_TEXT_PHYS);
    uint64_t td = walk(img, filter, MOAT_TRAMPOLINE_DATA_VIRT);
    assert_true((td & PTE_RW) && !(td & PTE_US) && (td & PTE_NX));
    assert_int_equal(walk(img, filter, 0), 0);
    assert_int_equal(walk(img, filter, MOAT_TRAMPOLINE_DATA_VIRT + MOAT_TRAMPOLINE_DATA_SIZE), 0);
    /* Another subject's memory is not mapped in filter. */
    assert_int_equal(walk(img, filter, find_map(producer, "memory 'scratch'")->virt + 0x10000), 0);
}

/* Every page of the trampoline data: mapped (supervisor, NX, at its own physical page)
 * exactly when it is in the subject's own CPU slice (writable: its stacks) or in the
 * shared part (read-only). */
static void check_trampoline_data(const struct image *img, const struct polc_subject *s)
{
    vaddr_t slice = MOAT_TRAMPOLINE_DATA_VIRT + s->cpu * MOAT_TRAMPOLINE_CPU_STRIDE;
    vaddr_t shared = MOAT_TRAMPOLINE_DATA_VIRT + MOAT_TRAMPOLINE_SHARED_OFFSET;
    size_t mapped = 0;
    for (uint64_t off = 0; off < MOAT_TRAMPOLINE_DATA_SIZE; off += MOAT_PAGE_SIZE) {
        vaddr_t va = MOAT_TRAMPOLINE_DATA_VIRT + off;
        bool in_slice = va >= slice && va < slice + MOAT_TRAMPOLINE_CPU_STRIDE;
        bool in_shared = va >= shared && va < shared + MOAT_TRAMPOLINE_SHARED_SIZE;
        bool own = in_slice || in_shared;
        uint64_t e = walk(img, s, va);
        if (!own) {
            if (e != 0) {
                fail_msg("subject '%s' (cpu %llu) maps trampoline data offset 0x%llx",
                         s->name, (unsigned long long)s->cpu, (unsigned long long)off);
            }
            continue;
        }
        assert_true((e & PTE_P) && !(e & PTE_US) && (e & PTE_NX));
        assert_true(((e & PTE_RW) != 0) == in_slice);
        assert_int_equal(e & 0x000ffffffffff000ULL, MOAT_TRAMPOLINE_DATA_PHYS + off);
        mapped++;
    }
    assert_int_equal(mapped, (MOAT_TRAMPOLINE_CPU_STRIDE + MOAT_TRAMPOLINE_SHARED_SIZE) /
                                 MOAT_PAGE_SIZE);
}

/* Another CPU's entry stack (its subjects' register frames) is never in the tables. */
static void page_tables_map_only_the_own_cpu_trampoline_slice(void **state)
{
    struct image *img = *state;
    struct polc_system *sys = &img->ctx.sys;
    assert_int_equal(sys->cpu_count, 2);
    struct polc_subject *producer = polc_find_subject(sys, "producer");
    struct polc_subject *logger = polc_find_subject(sys, "logger");
    assert_int_equal(producer->cpu, 0);
    assert_int_equal(logger->cpu, 1);
    for (size_t i = 0; i < sys->subject_count; i++) {
        check_trampoline_data(img, &sys->subjects[i]);
    }
    /* Spelled out: slice 1 is not in a CPU-0 subject's tables, slice 0 not in a CPU-1 one. */
    assert_int_equal(walk(img, producer, MOAT_TRAMPOLINE_DATA_VIRT + MOAT_TRAMPOLINE_CPU_STRIDE), 0);
    assert_int_not_equal(walk(img, logger, MOAT_TRAMPOLINE_DATA_VIRT + MOAT_TRAMPOLINE_CPU_STRIDE), 0);
    assert_int_equal(walk(img, logger, MOAT_TRAMPOLINE_DATA_VIRT), 0);
    assert_int_not_equal(walk(img, producer, MOAT_TRAMPOLINE_DATA_VIRT), 0);
}

/* A subject's sinfo page as the boot loader loaded it. */
static void read_sinfo(const struct image *img, const struct polc_subject *s,
                       uint8_t raw[MOAT_SINFO_SIZE], struct moat_sinfo *info)
{
    for (size_t i = 0; i < MOAT_SINFO_SIZE; i += 8) {
        uint64_t v = phys64(img, s->sinfo->phys + i);
        memcpy(raw + i, &v, 8);
    }
    memcpy(info, raw, sizeof(*info));
}

/* A <platform-device> is found like an <ioport>: by name, as an ioport resource. */
static void sinfo_lists_a_platform_device_as_ioport(void **state)
{
    struct image *img = *state;
    struct polc_subject *control = polc_find_subject(&img->ctx.sys, "control");
    struct moat_sinfo info;
    uint8_t raw[MOAT_SINFO_SIZE];
    read_sinfo(img, control, raw, &info);
    bool found = false;
    for (uint32_t i = 0; i < info.resource_count; i++) {
        struct moat_sinfo_resource res;
        memcpy(&res, raw + sizeof(info) + i * sizeof(res), sizeof(res));
        if (strcmp(res.name, "rtc") == 0) {
            found = res.kind == MOAT_RES_IOPORT && res.address == 0x70 && res.size == 2;
        }
    }
    assert_true(found);
}

static void sinfo_lists_resources_by_name(void **state)
{
    struct image *img = *state;
    struct polc_subject *filter = polc_find_subject(&img->ctx.sys, "filter");
    struct moat_sinfo info;
    uint8_t raw[MOAT_SINFO_SIZE];
    read_sinfo(img, filter, raw, &info);
    assert_int_equal(info.magic, MOAT_SINFO_MAGIC);
    assert_int_equal(info.version, MOAT_SINFO_VERSION);
    assert_string_equal(info.subject_name, "filter");
    assert_string_equal(info.system_name, "pipeline");
    assert_int_equal(info.subject_id, 1);
    bool channel = false;
    bool event = false;
    bool memory = false;
    for (uint32_t i = 0; i < info.resource_count; i++) {
        struct moat_sinfo_resource res;
        memcpy(&res, raw + sizeof(info) + i * sizeof(res), sizeof(res));
        if (strcmp(res.name, "samples") == 0) {
            channel = res.kind == MOAT_RES_CHANNEL && res.flags == 0 && res.element_size == 64 &&
                      res.address == find_map(filter, "channel 'samples'")->virt;
        } else if (strcmp(res.name, "samples_ready") == 0) {
            event = res.kind == MOAT_RES_EVENT_RECV && res.id == 0;
        } else if (strcmp(res.name, "table") == 0) {
            memory = res.kind == MOAT_RES_MEMORY && res.address == 0x20000000 && res.size == 0x2000;
        }
    }
    assert_true(channel);
    assert_true(event);
    assert_true(memory);
}

static void pristine_copies_match_the_segments(void **state)
{
    struct image *img = *state;
    struct polc_subject *producer = polc_find_subject(&img->ctx.sys, "producer");
    const struct polc_segment *data = &producer->image.segments[1];
    assert_non_null(data->pristine);
    for (uint64_t off = 0; off < data->size; off += 8) {
        assert_int_equal(phys64(img, data->region->phys + off), phys64(img, data->pristine->phys + off));
    }
    assert_int_equal(phys64(img, data->region->phys) & 0xff, 0x11);
}

/* The program header of the tables segment (PT_LOAD at MOAT_TABLES_PHYS). */
static const uint8_t *tables_phdr(const struct image *img)
{
    for (size_t i = 0; i < phnum(img); i++) {
        const uint8_t *ph = phdr(img, i);
        if (polc_le_get(ph, 4) == PT_LOAD && polc_le_get(ph + offsetof(Elf64_Phdr, p_paddr), 8) == MOAT_TABLES_PHYS) {
            return ph;
        }
    }
    fail_msg("no tables segment");
    return NULL;
}

/* The kernel's empty tables segment now carries the blob, whole and sealed. */
static void tables_segment_holds_the_sealed_blob(void **state)
{
    struct image *img = *state;
    const uint8_t *ph = tables_phdr(img);
    uint64_t filesz = polc_le_get(ph + offsetof(Elf64_Phdr, p_filesz), 8);
    const uint8_t *blob = img->bytes + polc_le_get(ph + offsetof(Elf64_Phdr, p_offset), 8);
    assert_int_equal(polc_le_get(ph + offsetof(Elf64_Phdr, p_memsz), 8), MOAT_TABLES_CAPACITY);
    assert_true(filesz >= sizeof(struct moat_tables_header));
    struct moat_tables_header h;
    memcpy(&h, blob, sizeof(h));
    assert_int_equal(h.magic, MOAT_TABLES_MAGIC);
    assert_int_equal(h.size, filesz);
    assert_int_equal(h.checksum, moat_tables_checksum(blob, filesz));
    /* The size the layout checked against the capacity is the size written. */
    struct polc_region **sorted = polc_regions_by_phys(&img->ctx.sys);
    size_t ranges = polc_merged_regions(&img->ctx.sys, sorted, NULL);
    free(sorted);
    assert_int_equal(polc_blob_size(&img->ctx.sys, ranges), filesz);
    /* The page tables the blob names are the ones in the image. */
    struct polc_subject *filter = polc_find_subject(&img->ctx.sys, "filter");
    struct moat_subject rec;
    memcpy(&rec, blob + h.subjects.offset + filter->id * sizeof(rec), sizeof(rec));
    assert_int_equal(rec.pml4, filter->pagetable->phys);
    assert_int_equal(rec.sinfo_phys, filter->sinfo->phys);
}

/* moat-run reads the machine an image needs from its system note. */
static void system_note_gives_cpus_and_memory(void **state)
{
    struct image *img = *state;
    bool found = false;
    for (size_t i = 0; i < phnum(img); i++) {
        const uint8_t *ph = phdr(img, i);
        const uint8_t *n = img->bytes + polc_le_get(ph + offsetof(Elf64_Phdr, p_offset), 8);
        if (polc_le_get(ph, 4) != PT_NOTE || polc_le_get(n + 8, 4) != MOAT_NOTE_SYSTEM ||
            memcmp(n + 12, "Moat", 5) != 0) {
            continue;
        }
        found = true;
        assert_int_equal(polc_le_get(n, 4), 5);
        assert_int_equal(polc_le_get(n + 4, 4), 12);
        assert_int_equal(polc_le_get(n + 20, 4), MOAT_NOTE_VERSION);
        assert_int_equal(polc_le_get(n + 24, 4), 2);
        /* Every region below the end: the pinned 'log' channel ends at 128M + 8K. */
        assert_int_equal(polc_le_get(n + 28, 4), 129);
        assert_int_equal(polc_le_get(n + 28, 4), polc_memory_end_mib(&img->ctx.sys));
    }
    assert_true(found);
}

/* QEMU's PVH note search (7.2) steps from note to note while each note's size alone
 * fits p_filesz, reading on past the segment: it must stop right after the system note,
 * inside the file, not walk on through the zeros that follow it. */
static void qemu_note_walk_stops_after_the_system_note(void **state)
{
    struct image *img = *state;
    for (size_t i = 0; i < phnum(img); i++) {
        const uint8_t *ph = phdr(img, i);
        uint64_t at = polc_le_get(ph + offsetof(Elf64_Phdr, p_offset), 8);
        uint64_t filesz = polc_le_get(ph + offsetof(Elf64_Phdr, p_filesz), 8);
        if (polc_le_get(ph, 4) != PT_NOTE || polc_le_get(img->bytes + at + 8, 4) != MOAT_NOTE_SYSTEM) {
            continue;
        }
        unsigned steps = 0;
        for (;;) {
            assert_true(at + 12 <= img->size);
            const uint8_t *n = img->bytes + at;
            if (polc_le_get(n + 8, 4) == 18) { /* XEN_ELFNOTE_PHYS32_ENTRY */
                fail_msg("a PVH note where none is");
            }
            uint64_t entry = 12 + ((polc_le_get(n, 4) + 3) & ~3ULL) + ((polc_le_get(n + 4, 4) + 3) & ~3ULL);
            if (entry > filesz) {
                break;
            }
            at += entry;
            steps++;
        }
        assert_int_equal(steps, 1);
        return;
    }
    fail_msg("no system note");
}

/* Every region lies inside one PT_LOAD at its own physical address, and its content is
 * in the file bytes there (a boot loader loads each region where the policy put it). */
static void every_region_is_loaded_at_its_physical_address(void **state)
{
    struct image *img = *state;
    const struct polc_system *sys = &img->ctx.sys;
    size_t checked = 0;
    for (size_t r = 0; r < sys->region_count; r++) {
        const struct polc_region *reg = sys->regions[r];
        if (reg->size == 0) {
            continue;
        }
        size_t holders = 0;
        for (size_t i = 0; i < phnum(img); i++) {
            const uint8_t *ph = phdr(img, i);
            uint64_t pa = polc_le_get(ph + offsetof(Elf64_Phdr, p_paddr), 8);
            uint64_t memsz = polc_le_get(ph + offsetof(Elf64_Phdr, p_memsz), 8);
            if (polc_le_get(ph, 4) != PT_LOAD || reg->phys < pa || reg->phys >= pa + memsz) {
                continue;
            }
            holders++;
            assert_true(reg->phys + reg->size <= pa + memsz);
            assert_int_equal(polc_le_get(ph + offsetof(Elf64_Phdr, p_vaddr), 8), pa);
            if (reg->data != NULL && reg->data_size != 0) {
                uint64_t at = reg->phys - pa;
                assert_true(at + reg->data_size <= polc_le_get(ph + offsetof(Elf64_Phdr, p_filesz), 8));
                assert_memory_equal(img->bytes + polc_le_get(ph + offsetof(Elf64_Phdr, p_offset), 8) + at,
                                    reg->data, reg->data_size);
                checked++;
            }
        }
        if (holders != 1) {
            fail_msg("region %s %s at 0x%llx: in %zu PT_LOADs", reg->owner, reg->name,
                     (unsigned long long)reg->phys, holders);
        }
    }
    assert_true(checked > 0);
}

/* The system note's memory end counts a region's size, rounded up to whole MiB. */
static void memory_end_counts_the_last_region_whole(void **state)
{
    (void)state;
    struct polc_region high = {.size = 0x200000, .phys = 0x8000000, .allocated = true};
    struct polc_region low = {.size = 0x1000, .phys = 0x2000000, .allocated = true};
    struct polc_region *regions[] = {&low, &high};
    struct polc_system sys;
    memset(&sys, 0, sizeof(sys));
    sys.regions = regions;
    sys.region_count = 2;
    assert_int_equal(polc_memory_end_mib(&sys), 130);
    high.size = 0x200001;
    assert_int_equal(polc_memory_end_mib(&sys), 131);
    /* Nothing above the kernel: its 16M. */
    sys.region_count = 0;
    assert_int_equal(polc_memory_end_mib(&sys), MOAT_KERNEL_PHYS_END >> 20);
}

static paddr_t frame_of(uint64_t entry, vaddr_t va)
{
    uint64_t addr = entry & 0x000ffffffffff000ULL;
    return (entry & PTE_PS) != 0 ? (addr & ~(POLC_LARGE_PAGE - 1)) + (va & (POLC_LARGE_PAGE - 1))
                                 : addr;
}

static void whole_2m_ranges_use_2m_pages(void **state)
{
    struct image *img = *state;
    struct polc_subject *big = polc_find_subject(&img->ctx.sys, "big");
    struct polc_subject *peer = polc_find_subject(&img->ctx.sys, "peer");
    const struct polc_mapping *heap = find_map(big, "memory 'heap'");
    uint64_t e = walk(img, big, heap->virt + 0x201000);
    assert_true((e & PTE_PS) && (e & PTE_US) && (e & PTE_RW) && (e & PTE_NX));
    assert_int_equal(frame_of(e, heap->virt + 0x201000), heap->region->phys + 0x201000);
    /* Pinned at congruent addresses: a large page; a vaddr off the 2M grid: 4K pages. */
    assert_true(walk(img, big, 0x200000000) & PTE_PS);
    uint64_t odd = walk(img, big, 0x300001000);
    assert_true((odd & PTE_P) && !(odd & PTE_PS));
    assert_true(walk(img, big, MOAT_STACK_TOP - 0x1000) & PTE_PS);
    /* One channel, a 2M page for its writer and 4K pages for its reader: same frames. */
    const struct polc_mapping *w = find_map(big, "channel 'bulk'");
    uint64_t we = walk(img, big, w->virt + 0x5000);
    uint64_t re = walk(img, peer, 0x400001000 + 0x5000);
    assert_true((we & PTE_PS) && (we & PTE_RW));
    assert_true(!(re & PTE_PS) && !(re & PTE_RW));
    assert_int_equal(frame_of(we, w->virt + 0x5000), frame_of(re, 0x400001000 + 0x5000));
    /* Image segments and the trampoline keep 4K pages. */
    assert_false(walk(img, big, 0x400000) & PTE_PS);
    assert_false(walk(img, big, MOAT_TRAMPOLINE_VIRT) & PTE_PS);
}

/* Compiles a policy in-process and returns its tables blob (the caller frees both). */
static struct moat_tables_header *blob_of(struct polc_ctx *ctx, const char *policy,
                                          struct polc_buf *blob, uint8_t **xml)
{
    static const char *dirs[1];
    dirs[0] = elf_dir;
    size_t xml_size = 0;
    assert_true(polc_read_file(policy, xml, &xml_size));
    polc_ctx_init(ctx, policy, dirs, 1);
    assert_true(polc_compile(ctx, *xml, xml_size));
    polc_generate(ctx);
    assert_true(polc_gen_blob(ctx, blob));
    /* The layout's capacity check uses the size computed from the counts: the same (the
     * callers' names make the strings 1 byte past a multiple of 8, so no byte hides). */
    struct polc_region **sorted = polc_regions_by_phys(&ctx->sys);
    size_t ranges = polc_merged_regions(&ctx->sys, sorted, NULL);
    free(sorted);
    assert_int_equal(polc_blob_size(&ctx->sys, ranges), blob->len);
    return (struct moat_tables_header *)(void *)blob->data;
}

/* The blob's kernel log, IRQ and timer fields say what the policy says, and a system
 * without a kernel log names no reader. */
static void blob_routes_klog_irqs_and_timers(void **state)
{
    (void)state;
    static const char xml[] =
        "<system name=\"routes12\"><platform cpus=\"2\" memory=\"256M\"/><subjects>"
        "<subject name=\"a\" cpu=\"0\" image=\"good.elf\"><timer name=\"t0\"/>"
        "<timer name=\"t1\"/></subject>"
        "<subject name=\"srv\" cpu=\"1\" image=\"good.elf\"><timer name=\"t\"/>"
        "<irq name=\"rx\" line=\"5\"/><irq name=\"tx\" line=\"6\"/></subject></subjects>"
        "<channels><kernel-log reader=\"srv\"/></channels>"
        "<scheduling tick=\"1ms\"><plan name=\"p\">"
        "<cpu id=\"0\"><frame subject=\"a\" ticks=\"1\"/></cpu>"
        "<cpu id=\"1\"><frame subject=\"srv\" ticks=\"1\"/></cpu></plan></scheduling></system>";
    struct polc_ctx ctx;
    struct polc_buf blob = {0};
    uint8_t *text = NULL;
    const struct moat_tables_header *h =
        blob_of(&ctx, write_temp("routes.xml", xml, sizeof(xml) - 1), &blob, &text);
    struct polc_system *sys = &ctx.sys;
    const struct polc_subject *srv = polc_find_subject(sys, "srv");
    assert_int_equal(h->klog_reader, srv->id);
    size_t logs = 0;
    for (size_t i = 0; i < sys->channel_count; i++) {
        const struct polc_channel *ch = &sys->channels[i];
        if (ch->kernel_log) {
            assert_int_not_equal(ch->region->phys, 0);
            assert_int_equal(h->klog_phys[ch->kernel_cpu], ch->region->phys);
            logs++;
        }
    }
    assert_int_equal(logs, 2);
    /* The IRQs' events (ids 0 and 1: a dropped field shows on the second). */
    assert_int_equal(h->irqs.count, 2);
    const struct moat_irq_route *irq = (const void *)(blob.data + h->irqs.offset);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(irq[i].line, 5 + i);
        assert_int_equal(irq[i].event, srv->irqs[i].event_id);
        assert_int_equal(irq[i].subject, srv->id);
    }
    assert_int_equal(srv->irqs[1].event_id, 1);
    const struct polc_subject *a = polc_find_subject(sys, "a");
    const struct moat_subject *rec = (const void *)(blob.data + h->subjects.offset);
    assert_int_equal(rec[a->id].timer_events,
                     (1ULL << a->timers[0].event_id) | (1ULL << a->timers[1].event_id));
    assert_int_equal(rec[srv->id].timer_events, 1ULL << srv->timers[0].event_id);
    polc_buf_free(&blob);
    polc_ctx_free(&ctx);
    free(text);

    h = blob_of(&ctx, path_in(good_dir, "pipeline.xml"), &blob, &text);
    assert_int_equal(h->klog_reader, MOAT_SUBJECT_IDLE);
    assert_int_equal(h->klog_size, 0);
    polc_buf_free(&blob);
    polc_ctx_free(&ctx);
    free(text);
}

int test_image_run(void)
{
    const struct CMUnitTest blob_tests[] = {
        cmocka_unit_test(blob_routes_klog_irqs_and_timers),
        cmocka_unit_test(memory_end_counts_the_last_region_whole),
    };
    const struct CMUnitTest image_tests[] = {
        cmocka_unit_test(image_keeps_the_kernel_bootable),
        cmocka_unit_test(tables_segment_holds_the_sealed_blob),
        cmocka_unit_test(system_note_gives_cpus_and_memory),
        cmocka_unit_test(qemu_note_walk_stops_after_the_system_note),
        cmocka_unit_test(page_tables_enforce_the_policy),
        cmocka_unit_test(page_tables_map_only_the_own_cpu_trampoline_slice),
        cmocka_unit_test(sinfo_lists_resources_by_name),
        cmocka_unit_test(sinfo_lists_a_platform_device_as_ioport),
        cmocka_unit_test(pristine_copies_match_the_segments),
        cmocka_unit_test(every_region_is_loaded_at_its_physical_address),
    };
    int failed = cmocka_run_group_tests_name("system image", image_tests, image_setup, image_teardown);
    const struct CMUnitTest large_tests[] = {
        cmocka_unit_test(whole_2m_ranges_use_2m_pages),
    };
    failed += cmocka_run_group_tests_name("2 MiB pages", large_tests, large_setup, image_teardown);
    failed += cmocka_run_group_tests_name("blob and memory end", blob_tests, NULL, NULL);
    return failed;
}
