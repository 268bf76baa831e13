/*
 * Writes the ELF files the policy tests use: a good subject image, deliberately broken
 * ones (one defect each), and stand-in prebuilt kernels (Multiboot2 header, PVH-style
 * note, the Moat kernel note, trampoline segments, the empty tables segment) for image
 * tests: a good one, one built for another tables layout, one without the tables
 * segment, one whose tables segment is too small, one with a segment beyond 16M, one with
 * a segment inside the tables segment, one with two tables segments, one whose segment has
 * more file bytes than memory. Usage: mkelf OUTDIR
 */
#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moat/abi/layout.h"
#include "moat/abi/tables.h"

struct seg {
    uint32_t type;
    uint32_t flags;
    uint64_t vaddr;
    uint64_t paddr;
    uint64_t filesz;
    uint64_t memsz;
    uint8_t fill;
};

struct elf_spec {
    const char *name;
    uint16_t type;
    uint16_t machine;
    uint8_t klass;
    uint8_t endian;
    uint64_t entry;
    size_t seg_count;
    struct seg segs[6];
    size_t truncate_to; /* 0: whole file */
    bool kernel;
    uint64_t layout_hash; /* kernels: what their MOAT_NOTE_KERNEL says */
};

static void put(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static int write_elf(const char *dir, const struct elf_spec *spec)
{
    uint8_t *file = calloc(1, 1 << 20);
    if (file == NULL) {
        return 1;
    }
    size_t phoff = sizeof(Elf64_Ehdr);
    size_t cursor = phoff + spec->seg_count * sizeof(Elf64_Phdr);
    memcpy(file, ELFMAG, SELFMAG);
    file[EI_CLASS] = spec->klass;
    file[EI_DATA] = spec->endian;
    file[EI_VERSION] = EV_CURRENT;
    put(file + offsetof(Elf64_Ehdr, e_type), spec->type, 2);
    put(file + offsetof(Elf64_Ehdr, e_machine), spec->machine, 2);
    put(file + offsetof(Elf64_Ehdr, e_version), EV_CURRENT, 4);
    put(file + offsetof(Elf64_Ehdr, e_entry), spec->entry, 8);
    put(file + offsetof(Elf64_Ehdr, e_phoff), phoff, 8);
    put(file + offsetof(Elf64_Ehdr, e_ehsize), sizeof(Elf64_Ehdr), 2);
    put(file + offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf64_Phdr), 2);
    put(file + offsetof(Elf64_Ehdr, e_phnum), spec->seg_count, 2);
    size_t note_offset = 0;
    for (size_t i = 0; i < spec->seg_count; i++) {
        const struct seg *s = &spec->segs[i];
        uint8_t *ph = file + phoff + i * sizeof(Elf64_Phdr);
        size_t offset;
        if (s->type == PT_NOTE) {
            offset = note_offset;
        } else {
            offset = cursor + ((s->vaddr - cursor) & 0xfff);
            memset(file + offset, s->fill, s->filesz);
            cursor = offset + s->filesz;
        }
        if (spec->kernel && i == 0) {
            /* Multiboot2 header (magic, arch 0, length 24, checksum, end tag). */
            uint32_t magic = 0xe85250d6u;
            uint32_t len = 24;
            put(file + offset, magic, 4);
            put(file + offset + 4, 0, 4);
            put(file + offset + 8, len, 4);
            put(file + offset + 12, (uint32_t)(0u - (magic + len)), 4);
            memset(file + offset + 16, 0, 8);
            /* A Xen-style note: namesz 4, descsz 4, type 18 (PVH entry), "Xen", entry. */
            note_offset = offset + 32;
            put(file + note_offset, 4, 4);
            put(file + note_offset + 4, 4, 4);
            put(file + note_offset + 8, 18, 4);
            memcpy(file + note_offset + 12, "Xen", 4);
            put(file + note_offset + 16, 0x100040, 4);
            /* The Moat kernel note: "Moat", type 1, { version, layout hash lo, hi }. */
            uint8_t *moat = file + note_offset + 20;
            put(moat, sizeof(MOAT_NOTE_NAME), 4);
            put(moat + 4, 12, 4);
            put(moat + 8, MOAT_NOTE_KERNEL, 4);
            memcpy(moat + 12, MOAT_NOTE_NAME, sizeof(MOAT_NOTE_NAME));
            put(moat + 20, MOAT_NOTE_VERSION, 4);
            put(moat + 24, spec->layout_hash & 0xffffffffu, 4);
            put(moat + 28, spec->layout_hash >> 32, 4);
        }
        put(ph + offsetof(Elf64_Phdr, p_type), s->type, 4);
        put(ph + offsetof(Elf64_Phdr, p_flags), s->flags, 4);
        put(ph + offsetof(Elf64_Phdr, p_offset), offset, 8);
        put(ph + offsetof(Elf64_Phdr, p_vaddr), s->vaddr, 8);
        put(ph + offsetof(Elf64_Phdr, p_paddr), s->paddr != 0 ? s->paddr : s->vaddr, 8);
        put(ph + offsetof(Elf64_Phdr, p_filesz), s->filesz, 8);
        put(ph + offsetof(Elf64_Phdr, p_memsz), s->memsz, 8);
        put(ph + offsetof(Elf64_Phdr, p_align), s->type == PT_NOTE ? 4 : 0x1000, 8);
    }
    size_t size = spec->truncate_to != 0 ? spec->truncate_to : cursor;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, spec->name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(file, 1, size, f) != size || fclose(f) != 0) {
        perror(path);
        free(file);
        return 1;
    }
    free(file);
    return 0;
}

#define RX (PF_R | PF_X)
#define RW (PF_R | PF_W)
#define TEXT {PT_LOAD, RX, 0x400000, 0, 0x100, 0x1000, 0xcc}
#define DATA {PT_LOAD, RW, 0x401000, 0, 0x10, 0x3000, 0x11}
#define GOOD(n) n, ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x400000

static const struct elf_spec specs[] = {
    {GOOD("good.elf"), 2, {TEXT, DATA}, 0, false, 0},
    {"bad-class32.elf", ET_EXEC, EM_X86_64, ELFCLASS32, ELFDATA2LSB, 0x400000, 2, {TEXT, DATA}, 0, false, 0},
    {"bad-bigendian.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2MSB, 0x400000, 2, {TEXT, DATA}, 0, false, 0},
    {"bad-machine.elf", ET_EXEC, EM_386, ELFCLASS64, ELFDATA2LSB, 0x400000, 2, {TEXT, DATA}, 0, false, 0},
    {"bad-type.elf", ET_DYN, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x400000, 2, {TEXT, DATA}, 0, false, 0},
    {GOOD("bad-truncated.elf"), 2, {TEXT, DATA}, 0x1010, false, 0},
    {GOOD("bad-phdrs.elf"), 2, {TEXT, DATA}, 100, false, 0},
    {GOOD("bad-wx.elf"), 2, {{PT_LOAD, PF_R | PF_W | PF_X, 0x400000, 0, 0x100, 0x1000, 0xcc}, DATA}, 0, false, 0},
    {GOOD("bad-noload.elf"), 0, {TEXT}, 0, false, 0},
    {"bad-entry.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x401000, 2, {TEXT, DATA}, 0, false, 0},
    {GOOD("bad-memsz.elf"), 2, {TEXT, {PT_LOAD, RW, 0x401000, 0, 0x100, 0x10, 0x11}}, 0, false, 0},
    {GOOD("bad-sharedpage.elf"), 2, {TEXT, {PT_LOAD, RW, 0x400800, 0, 0x10, 0x100, 0x11}}, 0, false, 0},
    {GOOD("bad-dynamic.elf"), 3, {TEXT, DATA, {PT_INTERP, PF_R, 0x402000, 0, 0x10, 0x10, 0}}, 0, false, 0},
    {GOOD("bad-kernelhalf.elf"), 2, {TEXT, {PT_LOAD, RW, 0xffff800000000000, 0, 0x10, 0x1000, 0x11}}, 0, false, 0},
    {"bad-stack.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x7fffffdf8000, 1,
     {{PT_LOAD, RX, 0x7fffffdf8000, 0, 0x100, 0x1000, 0xcc}}, 0, false, 0},
    {"bad-toppage.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x7ffffffff000, 1,
     {{PT_LOAD, RX, 0x7ffffffff000, 0, 0x100, 0x1000, 0xcc}}, 0, false, 0},
#define KERNEL_SEGS                                                        \
    {PT_LOAD, RX, 0x100000, 0x100000, 0x2000, 0x3000, 0x90},               \
    {PT_NOTE, PF_R, 0x100020, 0x100020, 52, 52, 0},                        \
    {PT_LOAD, RX, 0xffffff8000000000, 0x200000, 0x1000, 0x4000, 0xc3},     \
    {PT_LOAD, RW, 0xffffff8000004000, 0x204000, 0x100, 0x40000, 0x00}
#define TABLES_SEG {PT_LOAD, PF_R, 0xffffff8000400000, MOAT_TABLES_PHYS, 0, MOAT_TABLES_CAPACITY, 0}
    {"kernel.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x100000, 5,
     {KERNEL_SEGS, TABLES_SEG}, 0, true, MOAT_TABLES_LAYOUT_HASH},
    {"kernel-otherlayout.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x100000, 5,
     {KERNEL_SEGS, TABLES_SEG}, 0, true, MOAT_TABLES_LAYOUT_HASH ^ 0x100},
    {"kernel-high.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x100000, 6,
     {KERNEL_SEGS, TABLES_SEG, {PT_LOAD, RW, 0x1000000, 0x1000000, 0, 0x1000, 0}}, 0, true,
     MOAT_TABLES_LAYOUT_HASH},
    {"kernel-smalltables.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x100000, 5,
     {KERNEL_SEGS, {PT_LOAD, PF_R, 0xffffff8000400000, MOAT_TABLES_PHYS, 0, MOAT_TABLES_CAPACITY / 2, 0}},
     0, true, MOAT_TABLES_LAYOUT_HASH},
    {"kernel-intables.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x100000, 6,
     {KERNEL_SEGS, TABLES_SEG, {PT_LOAD, RW, 0x800000, 0x800000, 0x100, 0x1000, 0x55}}, 0, true,
     MOAT_TABLES_LAYOUT_HASH},
    {"kernel-twotables.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x100000, 6,
     {KERNEL_SEGS, TABLES_SEG, TABLES_SEG}, 0, true, MOAT_TABLES_LAYOUT_HASH},
    {"kernel-filesz.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x100000, 6,
     {KERNEL_SEGS, TABLES_SEG, {PT_LOAD, RW, 0x300000, 0x300000, 0x200, 0x100, 0x55}}, 0, true,
     MOAT_TABLES_LAYOUT_HASH},
    {"kernel-notables.elf", ET_EXEC, EM_X86_64, ELFCLASS64, ELFDATA2LSB, 0x100000, 4,
     {KERNEL_SEGS}, 0, true, MOAT_TABLES_LAYOUT_HASH},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mkelf OUTDIR\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        if (write_elf(argv[1], &specs[i]) != 0) {
            return 1;
        }
    }
    return 0;
}
