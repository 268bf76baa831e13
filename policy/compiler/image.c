/*
 * The bootable image: one ELF64 file holding the prebuilt kernel (its PT_LOAD and PT_NOTE
 * segments, entry point, Multiboot2 header and PVH note kept), the tables blob as the
 * file bytes of the kernel's tables segment, a PT_NOTE "Moat"/MOAT_NOTE_SYSTEM for
 * whoever boots it, then every policy region with content (subject segments, pristine
 * copies, page tables, sinfo pages) and every zero-filled region (p_filesz 0: stacks,
 * memories, channels, the audit and subject state regions), each PT_LOAD at its
 * physical address (p_paddr = p_vaddr). Physically adjacent regions share one PT_LOAD,
 * because GRUB wants the program headers inside the first 32 KiB of the file.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "polc.h"

#define POLC_MB2_MAGIC  0xe85250d6u
#define POLC_MB2_SEARCH 32768u

/*
 * QEMU 7.2's ELF loader looks for the PVH note in every PT_NOTE and steps from note to
 * note while each one's size fits p_filesz, without counting what it has passed: after
 * the last note of the system note segment it reads on beyond p_filesz. Zeros there
 * (the gap before the next segment's page) look like empty notes, and it walks off the
 * end of the mapped file (QEMU crashed in 1 of 4 boots of a zero-subject image). So a
 * note header that no segment needs follows the system note outside its p_filesz:
 * n_namesz this large ends that walk at once.
 */
#define POLC_NOTE_GUARD_SIZE   12u
#define POLC_NOTE_GUARD_NAMESZ 0x10000000u

struct polc_out_seg {
    uint32_t type;
    uint32_t flags;
    uint64_t old_offset; /* kernel segments: where the bytes are in the kernel file */
    bool tables;         /* the kernel's tables segment: its bytes are the blob */
    const uint8_t *data;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t vaddr;
    uint64_t paddr;
    uint64_t align;
    uint64_t offset; /* in the new file */
    struct polc_buf own; /* merged policy content */
};

static uint32_t polc_region_flags(const struct polc_region *r)
{
    return r->kind == POLC_REG_SEGMENT ? PF_R | PF_W | PF_X : PF_R | PF_W;
}

/* Finds an 8-aligned, checksummed Multiboot2 header in the first 32 KiB. */
static bool polc_find_mb2(const uint8_t *k, size_t size, uint64_t *offset)
{
    size_t limit = size < POLC_MB2_SEARCH ? size : POLC_MB2_SEARCH;
    for (size_t off = 0; off + 16 <= limit; off += 8) {
        uint32_t magic = (uint32_t)polc_le_get(k + off, 4);
        uint32_t arch = (uint32_t)polc_le_get(k + off + 4, 4);
        uint32_t len = (uint32_t)polc_le_get(k + off + 8, 4);
        uint32_t sum = (uint32_t)polc_le_get(k + off + 12, 4);
        if (magic == POLC_MB2_MAGIC && (uint32_t)(magic + arch + len + sum) == 0) {
            *offset = off;
            return true;
        }
    }
    return false;
}

static uint64_t polc_congruent(uint64_t cursor, uint64_t want)
{
    uint64_t delta = (want - cursor) & (MOAT_PAGE_SIZE - 1);
    return cursor + delta;
}

uint64_t polc_memory_end_mib(const struct polc_system *sys)
{
    uint64_t end = MOAT_KERNEL_PHYS_END;
    for (size_t i = 0; i < sys->region_count; i++) {
        const struct polc_region *r = sys->regions[i];
        if (r->allocated && r->size != 0 && r->phys + r->size > end) {
            end = r->phys + r->size;
        }
    }
    uint64_t mib = 1ULL << 20;
    return (end + mib - 1) / mib;
}

/* A "Moat" note's header and name, for a descriptor of desc_size bytes. */
static void polc_note_head(struct polc_buf *note, uint32_t desc_size, uint32_t type)
{
    uint8_t word[4];
    const uint32_t head[3] = {sizeof(MOAT_NOTE_NAME), desc_size, type};
    for (size_t i = 0; i < 3; i++) {
        polc_le_put(word, head[i], 4);
        polc_buf_append(note, word, 4);
    }
    polc_buf_append(note, MOAT_NOTE_NAME, sizeof(MOAT_NOTE_NAME));
    polc_buf_zero(note, (4 - note->len % 4) % 4);
}

/* The system note: { MOAT_NOTE_VERSION, cpu count, memory end in MiB }. */
static void polc_system_note(const struct polc_system *sys, struct polc_buf *note)
{
    uint8_t word[4];
    const uint32_t desc[3] = {MOAT_NOTE_VERSION, (uint32_t)sys->cpu_count,
                              (uint32_t)polc_memory_end_mib(sys)};
    polc_note_head(note, sizeof(desc), MOAT_NOTE_SYSTEM);
    for (size_t i = 0; i < 3; i++) {
        polc_le_put(word, desc[i], 4);
        polc_buf_append(note, word, 4);
    }
}

/* One MOAT_NOTE_DEVICE_CHANNEL note per device channel (layout.h), after the system note. */
static void polc_device_notes(const struct polc_system *sys, struct polc_buf *note)
{
    uint8_t field[8];
    char name[MOAT_NOTE_NAME_BYTES];
    for (size_t i = 0; i < sys->channel_count; i++) {
        const struct polc_channel *ch = &sys->channels[i];
        if (!ch->device) {
            continue;
        }
        const uint64_t desc[5] = {MOAT_NOTE_VERSION, ch->region->phys, ch->size,
                                  ch->element_size, ch->protocol};
        polc_note_head(note, sizeof(desc) + sizeof(name), MOAT_NOTE_DEVICE_CHANNEL);
        for (size_t k = 0; k < 5; k++) {
            polc_le_put(field, desc[k], 8);
            polc_buf_append(note, field, 8);
        }
        memset(name, 0, sizeof(name));
        strncpy(name, ch->name, sizeof(name) - 1);
        polc_buf_append(note, name, sizeof(name));
    }
}

bool polc_gen_image(struct polc_ctx *ctx, const uint8_t *k, size_t ksize,
                    const struct polc_buf *blob, struct polc_buf *out)
{
    struct polc_system *sys = &ctx->sys;
    /* The kernel passed polc_kernel_check: ELF64 x86-64, program headers in the file. */
    uint64_t phoff = polc_le_get(k + offsetof(Elf64_Ehdr, e_phoff), 8);
    uint64_t phnum = polc_le_get(k + offsetof(Elf64_Ehdr, e_phnum), 2);
    size_t cap = phnum + sys->region_count + 2;
    struct polc_out_seg *segs = calloc(cap, sizeof(*segs));
    if (segs == NULL) {
        abort();
    }
    size_t n = 0;
    bool ok = true;
    for (uint64_t i = 0; i < phnum; i++) {
        struct polc_phdr ph;
        polc_phdr_read(k + phoff + i * sizeof(Elf64_Phdr), &ph);
        uint32_t type = ph.type;
        if (type != PT_LOAD && type != PT_NOTE) {
            continue;
        }
        struct polc_out_seg *s = &segs[n++];
        s->type = type;
        s->flags = ph.flags;
        s->old_offset = ph.offset;
        s->vaddr = ph.vaddr;
        s->paddr = ph.paddr;
        s->filesz = ph.filesz;
        s->memsz = ph.memsz;
        s->align = ph.align;
        /* polc_kernel_check has bounded every segment by the file and the kernel's 16M. */
        s->data = k + s->old_offset;
        if (type == PT_LOAD && s->paddr == MOAT_TABLES_PHYS) {
            /* The reserved tables segment (checked empty by polc_kernel_check). */
            s->data = blob->data;
            s->filesz = blob->len;
            s->old_offset = s->vaddr; /* no old bytes: keep the offset congruent to vaddr */
            s->tables = true;
        }
    }
    size_t kernel_count = n;
    struct polc_out_seg *note = &segs[n++];
    note->type = PT_NOTE;
    note->flags = PF_R;
    note->align = 4;
    polc_system_note(sys, &note->own);
    polc_device_notes(sys, &note->own);
    note->data = note->own.data;
    note->filesz = note->own.len;
    note->memsz = 0;
    size_t policy_first = n;

    /* Policy regions in physical order, adjacent ones merged. */
    struct polc_region **sorted = polc_regions_by_phys(sys);
    struct polc_out_seg *cur = NULL;
    for (size_t i = 0; i < sys->region_count; i++) {
        const struct polc_region *r = sorted[i];
        if (r->size == 0) {
            continue;
        }
        bool adjacent = cur != NULL && cur->paddr + cur->memsz == r->phys;
        bool content = r->data_size != 0;
        /* Content joins only a content segment; zero-filled regions join any. */
        if (!adjacent || (content && cur->own.data == NULL)) {
            cur = &segs[n++];
            cur->type = PT_LOAD;
            cur->paddr = r->phys;
            cur->vaddr = r->phys;
            cur->align = MOAT_PAGE_SIZE;
        }
        if (content) {
            polc_buf_zero(&cur->own, cur->memsz - cur->own.len);
            polc_buf_append(&cur->own, r->data, r->data_size);
            cur->filesz = cur->own.len;
        }
        cur->memsz += r->size;
        cur->flags |= polc_region_flags(r);
    }
    free(sorted);

    /* File layout: header, program headers, kernel segments, policy segments. */
    uint64_t cursor = sizeof(Elf64_Ehdr) + n * sizeof(Elf64_Phdr);
    for (size_t i = 0; i < kernel_count; i++) {
        struct polc_out_seg *s = &segs[i];
        if (s->type != PT_LOAD) {
            continue;
        }
        s->offset = polc_congruent(cursor, s->old_offset);
        cursor = s->offset + s->filesz;
    }
    for (size_t i = 0; i < kernel_count; i++) {
        struct polc_out_seg *s = &segs[i];
        if (s->type != PT_NOTE) {
            continue;
        }
        /* A note inside a loaded segment stays there; otherwise it gets its own bytes. */
        bool inside = false;
        for (size_t j = 0; j < kernel_count && !inside; j++) {
            struct polc_out_seg *l = &segs[j];
            if (l->type == PT_LOAD && !l->tables && s->old_offset >= l->old_offset &&
                s->old_offset + s->filesz <= l->old_offset + l->filesz) {
                s->offset = l->offset + (s->old_offset - l->old_offset);
                inside = true;
            }
        }
        if (!inside) {
            s->offset = (cursor + 7) & ~7ULL;
            cursor = s->offset + s->filesz;
        }
    }
    note->offset = (cursor + 7) & ~7ULL;
    cursor = note->offset + note->filesz + POLC_NOTE_GUARD_SIZE;
    for (size_t i = policy_first; i < n; i++) {
        segs[i].offset = polc_congruent(cursor, segs[i].paddr);
        segs[i].data = segs[i].own.data;
        cursor = segs[i].offset + segs[i].filesz;
    }
    uint64_t mb2_old;
    if (polc_find_mb2(k, ksize, &mb2_old)) {
        bool placed = false;
        for (size_t j = 0; j < kernel_count; j++) {
            struct polc_out_seg *l = &segs[j];
            if (l->type == PT_LOAD && !l->tables && mb2_old >= l->old_offset &&
                mb2_old < l->old_offset + l->filesz) {
                uint64_t moved = l->offset + (mb2_old - l->old_offset);
                placed = true;
                if (moved + 16 > POLC_MB2_SEARCH) {
                    polc_error(ctx, 0,
                               "image: %zu program headers push the kernel's Multiboot2 header "
                               "beyond the first 32 KiB",
                               n);
                    ok = false;
                }
            }
        }
        if (!placed) {
            polc_error(ctx, 0, "kernel: the Multiboot2 header is not in a loadable segment");
            ok = false;
        }
    }
    if (ok) {
        polc_buf_zero(out, cursor);
        uint8_t *f = out->data;
        memcpy(f, k, sizeof(Elf64_Ehdr));
        polc_le_put(f + offsetof(Elf64_Ehdr, e_phoff), sizeof(Elf64_Ehdr), 8);
        polc_le_put(f + offsetof(Elf64_Ehdr, e_shoff), 0, 8);
        polc_le_put(f + offsetof(Elf64_Ehdr, e_phnum), n, 2);
        polc_le_put(f + offsetof(Elf64_Ehdr, e_shnum), 0, 2);
        polc_le_put(f + offsetof(Elf64_Ehdr, e_shstrndx), 0, 2);
        polc_le_put(f + offsetof(Elf64_Ehdr, e_shentsize), sizeof(Elf64_Shdr), 2);
        for (size_t i = 0; i < n; i++) {
            struct polc_out_seg *s = &segs[i];
            uint8_t *ph = f + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr);
            polc_le_put(ph + offsetof(Elf64_Phdr, p_type), s->type, 4);
            polc_le_put(ph + offsetof(Elf64_Phdr, p_flags), s->flags, 4);
            polc_le_put(ph + offsetof(Elf64_Phdr, p_offset), s->offset, 8);
            polc_le_put(ph + offsetof(Elf64_Phdr, p_vaddr), s->vaddr, 8);
            polc_le_put(ph + offsetof(Elf64_Phdr, p_paddr), s->paddr, 8);
            polc_le_put(ph + offsetof(Elf64_Phdr, p_filesz), s->filesz, 8);
            polc_le_put(ph + offsetof(Elf64_Phdr, p_memsz), s->memsz, 8);
            polc_le_put(ph + offsetof(Elf64_Phdr, p_align), s->align, 8);
            if (s->filesz != 0) {
                memcpy(f + s->offset, s->data, s->filesz);
            }
        }
        polc_le_put(f + note->offset + note->filesz, POLC_NOTE_GUARD_NAMESZ, 4);
    }
    for (size_t i = 0; i < n; i++) {
        polc_buf_free(&segs[i].own);
    }
    free(segs);
    return ok;
}
