/*
 * Subject images: finds each subject's ELF file (policy folder, then -I folders), checks
 * that it is a static ELF64 x86-64 executable whose loadable segments are sane (inside
 * the file, page-disjoint, never writable and executable, entry in executable code),
 * and records the segments for the layout stage.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "polc.h"

uint64_t polc_le_get(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--) {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

void polc_le_put(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

void polc_phdr_read(const uint8_t *ph, struct polc_phdr *out)
{
    out->type = (uint32_t)polc_le_get(ph + offsetof(Elf64_Phdr, p_type), 4);
    out->flags = (uint32_t)polc_le_get(ph + offsetof(Elf64_Phdr, p_flags), 4);
    out->offset = polc_le_get(ph + offsetof(Elf64_Phdr, p_offset), 8);
    out->vaddr = polc_le_get(ph + offsetof(Elf64_Phdr, p_vaddr), 8);
    out->paddr = polc_le_get(ph + offsetof(Elf64_Phdr, p_paddr), 8);
    out->filesz = polc_le_get(ph + offsetof(Elf64_Phdr, p_filesz), 8);
    out->memsz = polc_le_get(ph + offsetof(Elf64_Phdr, p_memsz), 8);
    out->align = polc_le_get(ph + offsetof(Elf64_Phdr, p_align), 8);
}

static bool polc_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *polc_join(struct polc_ctx *ctx, const char *dir, const char *name)
{
    return polc_sprintf(&ctx->arena, "%s/%s", dir, name);
}

const char *polc_find_file(struct polc_ctx *ctx, const char *name)
{
    if (name[0] == '/') {
        return polc_is_file(name) ? name : NULL;
    }
    const char *path = polc_join(ctx, ctx->policy_dir, name);
    if (polc_is_file(path)) {
        return path;
    }
    for (size_t i = 0; i < ctx->include_dir_count; i++) {
        path = polc_join(ctx, ctx->include_dirs[i], name);
        if (polc_is_file(path)) {
            return path;
        }
    }
    return NULL;
}

bool polc_elf_load(struct polc_ctx *ctx, struct polc_subject *s, const char *path)
{
    const char *img = s->image_name;
    uint8_t *bytes = NULL;
    size_t size = 0;
    if (!polc_read_file(path, &bytes, &size)) {
        polc_error(ctx, s->line, "subject '%s': cannot read image '%s'", s->name, img);
        return false;
    }
    /* The arena owns the bytes from here on: copy them in. */
    uint8_t *data = polc_alloc(&ctx->arena, size + 1);
    memcpy(data, bytes, size);
    free(bytes);
    struct polc_image *image = &s->image;
    image->path = path;
    image->bytes = data;
    image->byte_count = size;

    if (size < sizeof(Elf64_Ehdr) || memcmp(data, ELFMAG, SELFMAG) != 0) {
        polc_error(ctx, s->line, "subject '%s': image '%s' is not an ELF file", s->name, img);
        return false;
    }
    if (data[EI_CLASS] != ELFCLASS64) {
        polc_error(ctx, s->line, "subject '%s': image '%s' is not a 64-bit ELF file", s->name,
                   img);
        return false;
    }
    if (data[EI_DATA] != ELFDATA2LSB) {
        polc_error(ctx, s->line, "subject '%s': image '%s' is not little-endian", s->name, img);
        return false;
    }
    uint64_t machine = polc_le_get(data + offsetof(Elf64_Ehdr, e_machine), 2);
    if (machine != EM_X86_64) {
        polc_error(ctx, s->line, "subject '%s': image '%s' is not for x86-64 (e_machine %llu)",
                   s->name, img, (unsigned long long)machine);
        return false;
    }
    uint64_t type = polc_le_get(data + offsetof(Elf64_Ehdr, e_type), 2);
    if (type != ET_EXEC) {
        polc_error(ctx, s->line,
                   "subject '%s': image '%s' is not a static executable (ELF type %llu)",
                   s->name, img, (unsigned long long)type);
        return false;
    }
    uint64_t phoff = polc_le_get(data + offsetof(Elf64_Ehdr, e_phoff), 8);
    uint64_t phentsize = polc_le_get(data + offsetof(Elf64_Ehdr, e_phentsize), 2);
    uint64_t phnum = polc_le_get(data + offsetof(Elf64_Ehdr, e_phnum), 2);
    image->entry = polc_le_get(data + offsetof(Elf64_Ehdr, e_entry), 8);
    if (phentsize != sizeof(Elf64_Phdr) || phoff > size ||
        phnum > (size - phoff) / sizeof(Elf64_Phdr)) {
        polc_error(ctx, s->line, "subject '%s': image '%s' is truncated (program headers)",
                   s->name, img);
        return false;
    }
    image->segments = polc_alloc(&ctx->arena, (phnum + 1) * sizeof(*image->segments));
    bool ok = true;
    bool entry_ok = false;
    for (uint64_t i = 0; i < phnum; i++) {
        struct polc_phdr ph;
        polc_phdr_read(data + phoff + i * sizeof(Elf64_Phdr), &ph);
        if (ph.type == PT_DYNAMIC || ph.type == PT_INTERP) {
            polc_error(ctx, s->line, "subject '%s': image '%s' is dynamically linked", s->name,
                       img);
            return false;
        }
        if (ph.type != PT_LOAD || ph.memsz == 0) {
            continue;
        }
        if (ph.offset > size || ph.filesz > size - ph.offset) {
            polc_error(ctx, s->line,
                       "subject '%s': image '%s' is truncated (segment %llu ends beyond the file)",
                       s->name, img, (unsigned long long)i);
            ok = false;
            continue;
        }
        if (ph.memsz < ph.filesz) {
            polc_error(ctx, s->line,
                       "subject '%s': image '%s' segment %llu has p_memsz below p_filesz",
                       s->name, img, (unsigned long long)i);
            ok = false;
            continue;
        }
        unsigned perm = ((ph.flags & PF_R) != 0 ? POLC_R : 0) | ((ph.flags & PF_W) != 0 ? POLC_W : 0) |
                        ((ph.flags & PF_X) != 0 ? POLC_X : 0);
        if ((perm & POLC_W) != 0 && (perm & POLC_X) != 0) {
            polc_error(ctx, s->line,
                       "subject '%s': image '%s' segment %llu is both writable and executable "
                       "(W^X)",
                       s->name, img, (unsigned long long)i);
            ok = false;
            continue;
        }
        uint64_t end;
        if (polc_add_overflows(ph.vaddr, ph.memsz, &end) || end > MOAT_USER_VIRT_END) {
            polc_error(ctx, s->line,
                       "subject '%s': image '%s' segment %llu is outside the user half "
                       "(below 0x%llx)",
                       s->name, img, (unsigned long long)i,
                       (unsigned long long)MOAT_USER_VIRT_END);
            ok = false;
            continue;
        }
        struct polc_segment *seg = &image->segments[image->segment_count++];
        seg->vaddr = ph.vaddr & ~(MOAT_PAGE_SIZE - 1);
        seg->offset_in_page = ph.vaddr - seg->vaddr;
        seg->size = ((end + MOAT_PAGE_SIZE - 1) & ~(MOAT_PAGE_SIZE - 1)) - seg->vaddr;
        seg->file_data = data + ph.offset;
        seg->file_size = ph.filesz;
        seg->perm = perm | POLC_R;
        if ((perm & POLC_X) != 0 && image->entry >= ph.vaddr && image->entry < end) {
            entry_ok = true;
        }
    }
    if (!ok) {
        return false;
    }
    if (image->segment_count == 0) {
        polc_error(ctx, s->line, "subject '%s': image '%s' has no loadable segment", s->name,
                   img);
        return false;
    }
    for (size_t i = 0; i < image->segment_count; i++) {
        for (size_t j = 0; j < i; j++) {
            struct polc_segment *a = &image->segments[i];
            struct polc_segment *b = &image->segments[j];
            if (a->vaddr < b->vaddr + b->size && b->vaddr < a->vaddr + a->size) {
                polc_error(ctx, s->line,
                           "subject '%s': image '%s' has segments sharing the page at 0x%llx",
                           s->name, img,
                           (unsigned long long)(a->vaddr > b->vaddr ? a->vaddr : b->vaddr));
                return false;
            }
        }
    }
    if (!entry_ok) {
        polc_error(ctx, s->line,
                   "subject '%s': image '%s' entry point 0x%llx is not in an executable segment",
                   s->name, img, (unsigned long long)image->entry);
        return false;
    }
    return true;
}

const char *polc_looked_in(struct polc_ctx *ctx)
{
    struct polc_buf where = {0};
    polc_buf_printf(&where, "%s", ctx->policy_dir);
    for (size_t j = 0; j < ctx->include_dir_count; j++) {
        polc_buf_printf(&where, ", %s", ctx->include_dirs[j]);
    }
    const char *text = polc_strdup(&ctx->arena, (const char *)where.data);
    polc_buf_free(&where);
    return text;
}

void polc_load_images(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    size_t missing = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        if (s->vm != NULL) {
            polc_vm_load(ctx, s);
            continue;
        }
        if (s->image_name == NULL) {
            continue; /* polc_check_vms reported it */
        }
        const char *path = polc_find_file(ctx, s->image_name);
        if (path == NULL) {
            polc_error(ctx, s->line, "subject '%s': image '%s' not found (looked in %s)",
                       s->name, s->image_name, polc_looked_in(ctx));
            missing++;
            continue;
        }
        s->image_ok = polc_elf_load(ctx, s, path);
    }
    /* A policy written before its subjects: say how to check it alone. */
    if (missing != 0) {
        polc_buf_printf(&ctx->messages,
                        "%s: note: %zu subject image%s not found; `moat-polc check %s "
                        "--no-images` checks the policy without them\n",
                        ctx->file, missing, missing == 1 ? "" : "s", ctx->file);
    }
}
