/*
 * Helpers shared by the moat-polc end-to-end tests: run the command line in-process,
 * build paths, write temporary inputs, compare files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

const char *good_dir;
const char *elf_dir;
const char *work_dir;

struct run polc(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
                const char *a6, const char *a7, const char *a8)
{
    const char *args[] = {"moat-polc", a1, a2, a3, a4, a5, a6, a7, a8, NULL};
    int argc = 1;
    while (args[argc] != NULL) {
        argc++;
    }
    struct run r = {0};
    r.status = polc_main(argc, (char **)args, &r.out, &r.err);
    polc_buf_append(&r.out, "", 0);
    polc_buf_append(&r.err, "", 0);
    return r;
}

struct run polc_build(const char *policy, const char *out, const char *kernel,
                      const char *layout)
{
    const char *args[12] = {"moat-polc", "build", policy, "-I", elf_dir, "-o", out};
    int argc = 7;
    if (kernel != NULL) {
        args[argc++] = "--kernel";
        args[argc++] = kernel;
    }
    if (layout != NULL) {
        args[argc++] = "--layout";
        args[argc++] = layout;
    }
    struct run r = {0};
    r.status = polc_main(argc, (char **)args, &r.out, &r.err);
    polc_buf_append(&r.out, "", 0);
    polc_buf_append(&r.err, "", 0);
    return r;
}

void run_free(struct run *r)
{
    polc_buf_free(&r->out);
    polc_buf_free(&r->err);
}

/* Strings the tests build live until the end of the run. */
struct polc_arena test_arena;

const char *path_in(const char *dir, const char *name)
{
    return polc_sprintf(&test_arena, "%s/%s", dir, name);
}

const char *write_temp(const char *name, const void *data, size_t size)
{
    const char *path = path_in(work_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);
    return path;
}

bool same_file(const char *a, const char *b)
{
    uint8_t *x = NULL;
    uint8_t *y = NULL;
    size_t xs = 0;
    size_t ys = 0;
    bool ok = polc_read_file(a, &x, &xs) && polc_read_file(b, &y, &ys) && xs == ys &&
              memcmp(x, y, xs) == 0;
    free(x);
    free(y);
    return ok;
}
