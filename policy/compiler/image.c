/*
 * The bootable image: one ELF64 file holding the kernel (its PT_LOAD and PT_NOTE
 * segments, entry point, Multiboot2 header and PVH note kept) followed by every policy
 * region with content (subject segments, pristine copies, page tables, sinfo pages) and
 * every zero-filled region (p_filesz 0), each PT_LOAD at its physical address
 * (p_paddr = p_vaddr). Physically adjacent regions share one PT_LOAD, because GRUB
 * wants the program headers inside the first 32 KiB of the file.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "polc.h"

#define POLC_MB2_MAGIC  0xe85250d6u
#define POLC_MB2_SEARCH 32768u

struct polc_out_seg {
    uint32_t type;
    uint32_t flags;
    uint64_t old_offset; /* kernel segments: where the bytes are in the kernel file */
    const uint8_t *data;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t vaddr;
    uint64_t paddr;
    uint64_t align;
    uint64_t offset; /* in the new file */
    struct polc_buf own; /* merged policy content */
};

static uint64_t polc_rd(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--) {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

static void polc_wr(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t polc_region_flags(const struct polc_region *r)
{
    return r->kind == POLC_REG_SEGMENT ? PF_R | PF_W | PF_X : PF_R | PF_W;
}

/* Finds an 8-aligned, checksummed Multiboot2 header in the first 32 KiB. */
static bool polc_find_mb2(const uint8_t *k, size_t size, uint64_t *offset)
{
    size_t limit = size < POLC_MB2_SEARCH ? size : POLC_MB2_SEARCH;
    for (size_t off = 0; off + 16 <= limit; off += 8) {
        uint32_t magic = (uint32_t)polc_rd(k + off, 4);
        uint32_t arch = (uint32_t)polc_rd(k + off + 4, 4);
        uint32_t len = (uint32_t)polc_rd(k + off + 8, 4);
        uint32_t sum = (uint32_t)polc_rd(k + off + 12, 4);
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

bool polc_gen_image(struct polc_ctx *ctx, const uint8_t *k, size_t ksize, struct polc_buf *out)
{
    struct polc_system *sys = &ctx->sys;
    if (ksize < sizeof(Elf64_Ehdr) || memcmp(k, ELFMAG, SELFMAG) != 0 ||
        k[EI_CLASS] != ELFCLASS64 || k[EI_DATA] != ELFDATA2LSB ||
        polc_rd(k + offsetof(Elf64_Ehdr, e_machine), 2) != EM_X86_64) {
        polc_error(ctx, 0, "kernel: not an ELF64 x86-64 file");
        return false;
    }
    uint64_t phoff = polc_rd(k + offsetof(Elf64_Ehdr, e_phoff), 8);
    uint64_t phnum = polc_rd(k + offsetof(Elf64_Ehdr, e_phnum), 2);
    if (polc_rd(k + offsetof(Elf64_Ehdr, e_phentsize), 2) != sizeof(Elf64_Phdr) ||
        phoff > ksize || phnum > (ksize - phoff) / sizeof(Elf64_Phdr)) {
        polc_error(ctx, 0, "kernel: truncated program headers");
        return false;
    }
    size_t cap = phnum + sys->region_count + 1;
    struct polc_out_seg *segs = calloc(cap, sizeof(*segs));
    if (segs == NULL) {
        abort();
    }
    size_t n = 0;
    bool ok = true;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = k + phoff + i * sizeof(Elf64_Phdr);
        uint32_t type = (uint32_t)polc_rd(ph + offsetof(Elf64_Phdr, p_type), 4);
        if (type != PT_LOAD && type != PT_NOTE) {
            continue;
        }
        struct polc_out_seg *s = &segs[n++];
        s->type = type;
        s->flags = (uint32_t)polc_rd(ph + offsetof(Elf64_Phdr, p_flags), 4);
        s->old_offset = polc_rd(ph + offsetof(Elf64_Phdr, p_offset), 8);
        s->vaddr = polc_rd(ph + offsetof(Elf64_Phdr, p_vaddr), 8);
        s->paddr = polc_rd(ph + offsetof(Elf64_Phdr, p_paddr), 8);
        s->filesz = polc_rd(ph + offsetof(Elf64_Phdr, p_filesz), 8);
        s->memsz = polc_rd(ph + offsetof(Elf64_Phdr, p_memsz), 8);
        s->align = polc_rd(ph + offsetof(Elf64_Phdr, p_align), 8);
        if (s->old_offset > ksize || s->filesz > ksize - s->old_offset) {
            polc_error(ctx, 0, "kernel: segment %llu lies beyond the end of the file",
                       (unsigned long long)i);
            ok = false;
            continue;
        }
        s->data = k + s->old_offset;
        if (type == PT_LOAD && (s->paddr + s->memsz > MOAT_KERNEL_PHYS_END || s->paddr + s->memsz < s->paddr)) {
            polc_error(ctx, 0, "kernel: segment %llu (paddr 0x%llx) reaches beyond the kernel's 16M",
                       (unsigned long long)i, (unsigned long long)s->paddr);
            ok = false;
        }
    }
    size_t kernel_count = n;

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
            if (l->type == PT_LOAD && s->old_offset >= l->old_offset &&
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
    for (size_t i = kernel_count; i < n; i++) {
        segs[i].offset = polc_congruent(cursor, segs[i].paddr);
        segs[i].data = segs[i].own.data;
        cursor = segs[i].offset + segs[i].filesz;
    }
    uint64_t mb2_old;
    if (polc_find_mb2(k, ksize, &mb2_old)) {
        bool placed = false;
        for (size_t j = 0; j < kernel_count; j++) {
            struct polc_out_seg *l = &segs[j];
            if (l->type == PT_LOAD && mb2_old >= l->old_offset && mb2_old < l->old_offset + l->filesz) {
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
        polc_wr(f + offsetof(Elf64_Ehdr, e_phoff), sizeof(Elf64_Ehdr), 8);
        polc_wr(f + offsetof(Elf64_Ehdr, e_shoff), 0, 8);
        polc_wr(f + offsetof(Elf64_Ehdr, e_phnum), n, 2);
        polc_wr(f + offsetof(Elf64_Ehdr, e_shnum), 0, 2);
        polc_wr(f + offsetof(Elf64_Ehdr, e_shstrndx), 0, 2);
        polc_wr(f + offsetof(Elf64_Ehdr, e_shentsize), sizeof(Elf64_Shdr), 2);
        for (size_t i = 0; i < n; i++) {
            struct polc_out_seg *s = &segs[i];
            uint8_t *ph = f + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr);
            polc_wr(ph + offsetof(Elf64_Phdr, p_type), s->type, 4);
            polc_wr(ph + offsetof(Elf64_Phdr, p_flags), s->flags, 4);
            polc_wr(ph + offsetof(Elf64_Phdr, p_offset), s->offset, 8);
            polc_wr(ph + offsetof(Elf64_Phdr, p_vaddr), s->vaddr, 8);
            polc_wr(ph + offsetof(Elf64_Phdr, p_paddr), s->paddr, 8);
            polc_wr(ph + offsetof(Elf64_Phdr, p_filesz), s->filesz, 8);
            polc_wr(ph + offsetof(Elf64_Phdr, p_memsz), s->memsz, 8);
            polc_wr(ph + offsetof(Elf64_Phdr, p_align), s->align, 8);
            if (s->filesz != 0) {
                memcpy(f + s->offset, s->data, s->filesz);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        polc_buf_free(&segs[i].own);
    }
    free(segs);
    return ok;
}
