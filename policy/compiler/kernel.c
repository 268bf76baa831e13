/*
 * The prebuilt kernel moat-polc packs a system into: an ELF64 x86-64 file whose
 * PT_NOTE "Moat"/MOAT_NOTE_KERNEL names the tables layout it was built for, and whose
 * reserved tables segment (PT_LOAD at MOAT_TABLES_PHYS, MOAT_TABLES_CAPACITY bytes, no
 * file bytes) the blob goes into. A kernel for another layout, or one without the
 * segment (an old per-system kernel, an image already packed), is refused here.
 */
#include <elf.h>
#include <string.h>

#include "polc.h"

/* Finds the "Moat" note of `type` in the note bytes [p, p + size); 4-byte aligned. */
static const uint8_t *polc_find_note(const uint8_t *p, uint64_t size, uint32_t type,
                                     uint32_t *desc_size)
{
    uint64_t at = 0;
    while (at <= size && size - at >= 12) {
        uint64_t namesz = polc_le_get(p + at, 4);
        uint64_t descsz = polc_le_get(p + at + 4, 4);
        uint64_t ntype = polc_le_get(p + at + 8, 4);
        uint64_t name_at = at + 12;
        uint64_t desc_at = name_at + ((namesz + 3) & ~3ULL);
        uint64_t next = desc_at + ((descsz + 3) & ~3ULL);
        if (namesz > size || descsz > size || next > size) {
            return NULL;
        }
        if (ntype == type && namesz == sizeof(MOAT_NOTE_NAME) &&
            memcmp(p + name_at, MOAT_NOTE_NAME, sizeof(MOAT_NOTE_NAME)) == 0) {
            *desc_size = (uint32_t)descsz;
            return p + desc_at;
        }
        at = next;
    }
    return NULL;
}

bool polc_kernel_check(struct polc_ctx *ctx, const uint8_t *k, size_t ksize,
                       struct polc_kernel_info *info)
{
    memset(info, 0, sizeof(*info));
    if (ksize < sizeof(Elf64_Ehdr) || memcmp(k, ELFMAG, SELFMAG) != 0 ||
        k[EI_CLASS] != ELFCLASS64 || k[EI_DATA] != ELFDATA2LSB ||
        polc_le_get(k + offsetof(Elf64_Ehdr, e_machine), 2) != EM_X86_64) {
        polc_error(ctx, 0, "not an ELF64 x86-64 file");
        return false;
    }
    uint64_t phoff = polc_le_get(k + offsetof(Elf64_Ehdr, e_phoff), 8);
    uint64_t phnum = polc_le_get(k + offsetof(Elf64_Ehdr, e_phnum), 2);
    if (polc_le_get(k + offsetof(Elf64_Ehdr, e_phentsize), 2) != sizeof(Elf64_Phdr) ||
        phoff > ksize || phnum > (ksize - phoff) / sizeof(Elf64_Phdr)) {
        polc_error(ctx, 0, "truncated program headers");
        return false;
    }
    bool note_found = false;
    bool tables_found = false;
    bool ok = true;
    for (uint64_t i = 0; i < phnum; i++) {
        struct polc_phdr ph;
        polc_phdr_read(k + phoff + i * sizeof(Elf64_Phdr), &ph);
        if ((ph.type == PT_LOAD || ph.type == PT_NOTE) && (ph.offset > ksize || ph.filesz > ksize - ph.offset)) {
            polc_error(ctx, 0, "segment %llu lies beyond the end of the file",
                       (unsigned long long)i);
            ok = false;
            continue;
        }
        if (ph.type == PT_LOAD && (ph.paddr + ph.memsz > MOAT_KERNEL_PHYS_END || ph.paddr + ph.memsz < ph.paddr)) {
            polc_error(ctx, 0, "segment %llu (ph.paddr 0x%llx) reaches beyond the kernel's 16M",
                       (unsigned long long)i, (unsigned long long)ph.paddr);
            ok = false;
        }
        if (ph.type == PT_NOTE && !note_found) {
            uint32_t desc_size = 0;
            const uint8_t *d = polc_find_note(k + ph.offset, ph.filesz, MOAT_NOTE_KERNEL, &desc_size);
            if (d != NULL && desc_size >= 12) {
                note_found = true;
                info->note_version = (uint32_t)polc_le_get(d, 4);
                info->layout_hash = polc_le_get(d + 4, 4) | polc_le_get(d + 8, 4) << 32;
            }
        }
        if (ph.type == PT_LOAD && ph.paddr == MOAT_TABLES_PHYS) {
            tables_found = true;
            if (ph.filesz != 0) {
                polc_error(ctx, 0,
                           "its tables segment already holds %llu bytes: give the "
                           "prebuilt kernel (kernel.elf), not a system image",
                           (unsigned long long)ph.filesz);
                ok = false;
            } else if (ph.memsz != MOAT_TABLES_CAPACITY) {
                polc_error(ctx, 0,
                           "its tables segment is %llu bytes; this moat-polc writes "
                           "into %llu",
                           (unsigned long long)ph.memsz, (unsigned long long)MOAT_TABLES_CAPACITY);
                ok = false;
            }
        }
    }
    /* No two loaded segments may share memory: a segment inside the tables segment (or
     * a second one) would overwrite the blob at load, another segment the kernel. */
    for (uint64_t i = 0; i < phnum; i++) {
        struct polc_phdr a;
        polc_phdr_read(k + phoff + i * sizeof(Elf64_Phdr), &a);
        if (a.type != PT_LOAD) {
            continue;
        }
        if (a.filesz > a.memsz) {
            polc_error(ctx, 0, "segment %llu has more file bytes (%llu) than memory (%llu)",
                       (unsigned long long)i, (unsigned long long)a.filesz,
                       (unsigned long long)a.memsz);
            ok = false;
        }
        for (uint64_t j = i + 1; j < phnum; j++) {
            struct polc_phdr b;
            polc_phdr_read(k + phoff + j * sizeof(Elf64_Phdr), &b);
            if (b.type == PT_LOAD && a.memsz != 0 && b.memsz != 0 &&
                a.paddr < b.paddr + b.memsz && b.paddr < a.paddr + a.memsz) {
                polc_error(ctx, 0, "segments %llu and %llu overlap (paddr 0x%llx and 0x%llx)",
                           (unsigned long long)i, (unsigned long long)j,
                           (unsigned long long)a.paddr, (unsigned long long)b.paddr);
                ok = false;
            }
        }
    }
    if (!note_found) {
        polc_error(ctx, 0,
                   "no Moat kernel note (PT_NOTE \"%s\" type %d): not a prebuilt Moat "
                   "kernel",
                   MOAT_NOTE_NAME, MOAT_NOTE_KERNEL);
        return false;
    }
    if (info->note_version != MOAT_NOTE_VERSION ||
        info->layout_hash != (uint64_t)MOAT_TABLES_LAYOUT_HASH) {
        polc_error(ctx, 0,
                   "built for another tables layout (note version %u, layout hash "
                   "0x%016llx; this moat-polc writes version %d, layout hash 0x%016llx): use "
                   "the kernel of the same Moat build",
                   info->note_version, (unsigned long long)info->layout_hash, MOAT_NOTE_VERSION,
                   (unsigned long long)MOAT_TABLES_LAYOUT_HASH);
        return false;
    }
    if (!tables_found) {
        polc_error(ctx, 0,
                   "no tables segment (a PT_LOAD at paddr 0x%llx of %llu bytes, no "
                   "file bytes)",
                   (unsigned long long)MOAT_TABLES_PHYS,
                   (unsigned long long)MOAT_TABLES_CAPACITY);
        return false;
    }
    info->known = ok;
    info->file_hash = polc_fnv1a(k, ksize);
    info->file_size = ksize;
    return ok;
}
