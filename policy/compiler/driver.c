/*
 * The driver: runs the stages in order and implements the command line
 * (check | build | layout). Errors are collected for the whole run; outputs are written
 * only when there is none, and a file whose content did not change is left untouched
 * so build systems do not rebuild what depends on it. build packs a prebuilt kernel:
 * no compiler or linker runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "draw.h"
#include "polc.h"

#ifndef POLC_VERSION
#define POLC_VERSION "unknown"
#endif
/* The installed kernel relative to the folder of the moat-polc executable (meson). */
#ifndef POLC_KERNEL_RELPATH
#define POLC_KERNEL_RELPATH "../lib/moat-sdk/kernel/kernel.elf"
#endif

void polc_ctx_init(struct polc_ctx *ctx, const char *file, const char *const *include_dirs,
                   size_t include_dir_count)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->file = file;
    ctx->include_dirs = include_dirs;
    ctx->include_dir_count = include_dir_count;
    const char *slash = strrchr(file, '/');
    if (slash == NULL) {
        ctx->policy_dir = ".";
    } else {
        size_t len = (size_t)(slash - file);
        char *dir = polc_alloc(&ctx->arena, len + 2);
        memcpy(dir, file, len == 0 ? 1 : len);
        ctx->policy_dir = dir;
    }
}

void polc_ctx_free(struct polc_ctx *ctx)
{
    polc_buf_free(&ctx->messages);
    polc_arena_free(&ctx->arena);
}

bool polc_check_policy(struct polc_ctx *ctx, const uint8_t *xml, size_t xml_size)
{
    if (!polc_parse(ctx, xml, xml_size)) {
        return false;
    }
    polc_check_names(ctx);
    polc_check_channels(ctx);
    polc_check_events(ctx);
    polc_check_schedule(ctx);
    polc_check_devices(ctx);
    polc_check_memories(ctx);
    polc_check_vms(ctx);
    return true;
}

bool polc_compile(struct polc_ctx *ctx, const uint8_t *xml, size_t xml_size)
{
    if (!polc_check_policy(ctx, xml, xml_size)) {
        return false;
    }
    polc_load_images(ctx);
    /* The layout needs consistent sizes and resolved references. */
    if (ctx->error_count != 0) {
        return false;
    }
    polc_layout_virtual(ctx);
    if (ctx->error_count != 0) {
        return false;
    }
    polc_layout_physical(ctx);
    return ctx->error_count == 0;
}

/* Fills the content of page tables and sinfo pages, the I/O bitmaps and the VMs' boot state. */
void polc_generate(struct polc_ctx *ctx)
{
    struct polc_system *sys = &ctx->sys;
    for (size_t i = 0; i < sys->subject_count; i++) {
        struct polc_subject *s = &sys->subjects[i];
        uint8_t *pt = polc_alloc(&ctx->arena, s->pagetable->size);
        polc_pagetable_build(s, pt);
        s->pagetable->data = pt;
        s->pagetable->data_size = s->pagetable->size;
        uint8_t *info = polc_alloc(&ctx->arena, s->sinfo->size);
        polc_sinfo_build(ctx, s, info, s->sinfo->size);
        s->sinfo->data = info;
        s->sinfo->data_size = s->sinfo->size;
        polc_io_bitmap_build(ctx, s);
        if (s->vm != NULL && s->vm->pristine_boot != NULL) {
            uint8_t *boot = polc_alloc(&ctx->arena, POLC_VM_BOOT_SIZE);
            polc_vm_boot_build(ctx, s, boot);
            s->vm->pristine_boot->data = boot;
            s->vm->pristine_boot->data_size = POLC_VM_BOOT_SIZE;
        }
    }
}

/* Creates the folders above path that are missing (mkdir -p of its folder). */
static void polc_make_parent(const char *path)
{
    size_t len = strlen(path);
    char *dir = malloc(len + 1);
    if (dir == NULL) {
        return;
    }
    memcpy(dir, path, len + 1);
    for (char *p = dir + 1; *p != 0; p++) {
        if (*p == '/') {
            *p = 0;
            (void)mkdir(dir, 0777);
            *p = '/';
        }
    }
    free(dir);
}

/* Writes path (creating its folder) unless it already holds exactly these bytes. */
static bool polc_write_if_changed(const char *path, const struct polc_buf *content,
                                  struct polc_buf *err)
{
    uint8_t *old = NULL;
    size_t old_size = 0;
    if (polc_read_file(path, &old, &old_size)) {
        bool same = old_size == content->len &&
                    (old_size == 0 || memcmp(old, content->data, old_size) == 0);
        free(old);
        if (same) {
            return true;
        }
    }
    polc_make_parent(path);
    struct polc_buf tmp = {0};
    polc_buf_printf(&tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen((const char *)tmp.data, "wb");
    bool ok = f != NULL;
    if (ok && content->len != 0) {
        ok = fwrite(content->data, 1, content->len, f) == content->len;
    }
    if (f != NULL) {
        ok = fclose(f) == 0 && ok;
    }
    if (ok) {
        ok = rename((const char *)tmp.data, path) == 0;
    }
    if (!ok) {
        polc_buf_printf(err, "moat-polc: cannot write %s: %s\n", path, strerror(errno));
        remove((const char *)tmp.data);
    }
    polc_buf_free(&tmp);
    return ok;
}

static const char polc_usage[] =
    "usage: moat-polc check  SYSTEM.xml [-I DIR]... [--no-images]\n"
    "       moat-polc build  SYSTEM.xml [-I DIR]... -o SYSTEM.elf [--kernel KERNEL.elf]\n"
    "                        [--layout LAYOUT.txt]\n"
    "       moat-polc layout SYSTEM.xml [-I DIR]...\n"
    "       moat-polc draw   SYSTEM.xml [--schedule OUT.svg] [--flows OUT.svg]\n"
    "check validates the policy (with --no-images only what needs no subject image: the\n"
    "schema and the semantic checks, before the subjects are built); build writes the bootable image SYSTEM.elf: the prebuilt\n"
    "kernel (default: the installed one, " POLC_KERNEL_RELPATH "\n"
    "relative to moat-polc's folder) with the policy's tables, page tables, sinfo pages\n"
    "and subjects, and with --layout the layout report; layout prints the layout report;\n"
    "draw writes pictures of the system. -I adds a folder to search for subject images;\n"
    "--version prints the version.\n"
    "Exit status: 0 valid, 1 policy errors, 2 usage, I/O or kernel errors.\n";

/* The installed kernel, found from moat-polc's own path (the SDK is relocatable). */
static const char *polc_default_kernel(struct polc_ctx *ctx)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        return NULL;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash == NULL) {
        return NULL;
    }
    *slash = 0;
    return polc_sprintf(&ctx->arena, "%s/%s", self, POLC_KERNEL_RELPATH);
}

/* Reads and checks the kernel; messages name the kernel file. */
static bool polc_load_kernel(const char *path, uint8_t **bytes, size_t *size,
                             struct polc_kernel_info *info, struct polc_buf *err)
{
    if (!polc_read_file(path, bytes, size)) {
        polc_buf_printf(err, "moat-polc: cannot read kernel %s: %s\n", path, strerror(errno));
        return false;
    }
    struct polc_ctx kctx;
    polc_ctx_init(&kctx, path, NULL, 0);
    bool ok = polc_kernel_check(&kctx, *bytes, *size, info);
    polc_buf_append(err, kctx.messages.data, kctx.messages.len);
    polc_ctx_free(&kctx);
    return ok;
}

int polc_main(int argc, char **argv, struct polc_buf *out, struct polc_buf *err)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        polc_buf_printf(argc < 2 ? err : out, "%s", polc_usage);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        polc_buf_printf(out, "moat-polc %s\n", POLC_VERSION);
        return 0;
    }
    const char *command = argv[1];
    if (strcmp(command, "draw") == 0) {
        return polc_draw_main(argc, argv, out, err);
    }
    if (strcmp(command, "check") != 0 && strcmp(command, "build") != 0 &&
        strcmp(command, "layout") != 0) {
        polc_buf_printf(err, "moat-polc: unknown command '%s'\n%s", command, polc_usage);
        return 2;
    }
    const char *policy = NULL;
    const char *output = NULL;
    const char *kernel = NULL;
    const char *layout = NULL;
    const char **includes = calloc((size_t)argc, sizeof(*includes));
    if (includes == NULL) {
        return 2;
    }
    size_t include_count = 0;
    bool no_images = false;
    int status = 2;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-I") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "--kernel") == 0 ||
            strcmp(a, "--layout") == 0) {
            if (i + 1 >= argc) {
                polc_buf_printf(err, "moat-polc: %s needs an argument\n", a);
                goto out;
            }
            const char *value = argv[++i];
            if (strcmp(a, "-I") == 0) {
                includes[include_count++] = value;
            } else if (strcmp(a, "-o") == 0) {
                output = value;
            } else if (strcmp(a, "--kernel") == 0) {
                kernel = value;
            } else {
                layout = value;
            }
        } else if (strncmp(a, "-I", 2) == 0) {
            includes[include_count++] = a + 2;
        } else if (strcmp(a, "--no-images") == 0 && strcmp(command, "check") == 0) {
            no_images = true;
        } else if (a[0] == '-') {
            polc_buf_printf(err, "moat-polc: unknown option '%s'\n%s", a, polc_usage);
            goto out;
        } else if (policy == NULL) {
            policy = a;
        } else {
            polc_buf_printf(err, "moat-polc: more than one policy file given\n");
            goto out;
        }
    }
    if (policy == NULL) {
        polc_buf_printf(err, "moat-polc: no policy file given\n%s", polc_usage);
        goto out;
    }
    bool build = strcmp(command, "build") == 0;
    if (build && output == NULL) {
        polc_buf_printf(err, "moat-polc: build needs -o SYSTEM.elf\n");
        goto out;
    }
    if (!build && (output != NULL || kernel != NULL || layout != NULL)) {
        polc_buf_printf(err, "moat-polc: -o, --kernel and --layout are only for build\n");
        goto out;
    }
    uint8_t *xml = NULL;
    size_t xml_size = 0;
    if (!polc_read_file(policy, &xml, &xml_size)) {
        polc_buf_printf(err, "moat-polc: cannot read %s: %s\n", policy, strerror(errno));
        goto out;
    }
    struct polc_ctx ctx;
    polc_ctx_init(&ctx, policy, includes, include_count);
    /* Without the images there are no segment sizes: no layout either. */
    bool ok = no_images ? polc_check_policy(&ctx, xml, xml_size) && ctx.error_count == 0
                        : polc_compile(&ctx, xml, xml_size);
    free(xml);
    struct polc_kernel_info info;
    memset(&info, 0, sizeof(info));
    uint8_t *kernel_bytes = NULL;
    size_t kernel_size = 0;
    bool kernel_ok = true;
    if (build) {
        if (kernel == NULL) {
            kernel = polc_default_kernel(&ctx);
        }
        kernel_ok = kernel != NULL && polc_load_kernel(kernel, &kernel_bytes, &kernel_size,
                                                       &info, err);
        if (kernel == NULL) {
            polc_buf_printf(err, "moat-polc: cannot find the installed kernel; give --kernel\n");
        }
    }
    struct polc_buf blob = {0};
    struct polc_buf report = {0};
    struct polc_buf image = {0};
    if (ok && strcmp(command, "check") != 0) {
        polc_generate(&ctx);
        ok = polc_gen_blob(&ctx, &blob);
        info.blob_size = blob.len;
        if (ok && build && kernel_ok) {
            ok = polc_gen_image(&ctx, kernel_bytes, kernel_size, &blob, &image);
        }
        if (ok) {
            polc_gen_report(&ctx, &info, &report);
        }
    }
    polc_buf_append(err, ctx.messages.data, ctx.messages.len);
    if (!ok) {
        polc_buf_printf(err, "%s: %u error%s\n", policy, ctx.error_count,
                        ctx.error_count == 1 ? "" : "s");
        status = 1;
    } else if (!kernel_ok) {
        status = 2;
    } else if (strcmp(command, "layout") == 0) {
        polc_buf_append(out, report.data, report.len);
        status = 0;
    } else if (build) {
        status = 0;
        if (!polc_write_if_changed(output, &image, err) ||
            (layout != NULL && !polc_write_if_changed(layout, &report, err))) {
            status = 2;
        }
    } else {
        status = 0;
    }
    polc_buf_free(&blob);
    polc_buf_free(&report);
    polc_buf_free(&image);
    free(kernel_bytes);
    polc_ctx_free(&ctx);
out:
    free(includes);
    return status;
}
