/*
 * `moat-polc draw SYSTEM.xml [--schedule OUT.svg] [--flows OUT.svg]`: checks the policy
 * (every check that needs no subject image) and writes the drawings asked for. Exit
 * status as for the other commands: 0 written, 1 policy errors (nothing written), 2
 * usage or I/O errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

static const char polc_draw_usage[] =
    "usage: moat-polc draw SYSTEM.xml [--schedule OUT.svg] [--flows OUT.svg] [-I DIR]...\n"
    "--schedule draws every plan's per-CPU timeline of major and minor frames and its plan\n"
    "switches; --flows draws the subjects, channels, events and kernel actions. The policy\n"
    "is checked first; subject images are not needed (-I is accepted, as for the other\n"
    "commands, and ignored).\n";

static bool polc_draw_write(const char *path, const struct polc_buf *svg, struct polc_buf *err)
{
    FILE *f = fopen(path, "wb");
    bool ok = f != NULL && fwrite(svg->data, 1, svg->len, f) == svg->len;
    if (f != NULL) {
        ok = fclose(f) == 0 && ok;
    }
    if (!ok) {
        polc_buf_printf(err, "moat-polc: cannot write %s: %s\n", path, strerror(errno));
    }
    return ok;
}

int polc_draw_main(int argc, char **argv, struct polc_buf *out, struct polc_buf *err)
{
    const char *policy = NULL;
    const char *schedule = NULL;
    const char *flows = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            polc_buf_printf(out, "%s", polc_draw_usage);
            return 0;
        }
        if (strcmp(a, "-I") == 0 && i + 1 < argc) {
            i++; /* no image is read: the folder is not needed */
        } else if (strncmp(a, "-I", 2) == 0 && a[2] != '\0') {
            continue;
        } else if (strcmp(a, "--schedule") == 0 || strcmp(a, "--flows") == 0) {
            if (i + 1 >= argc) {
                polc_buf_printf(err, "moat-polc: %s needs an argument\n", a);
                return 2;
            }
            *(strcmp(a, "--schedule") == 0 ? &schedule : &flows) = argv[++i];
        } else if (a[0] == '-') {
            polc_buf_printf(err, "moat-polc: unknown option '%s'\n%s", a, polc_draw_usage);
            return 2;
        } else if (policy == NULL) {
            policy = a;
        } else {
            polc_buf_printf(err, "moat-polc: more than one policy file given\n");
            return 2;
        }
    }
    if (policy == NULL || (schedule == NULL && flows == NULL)) {
        polc_buf_printf(err, "moat-polc: draw needs a policy and --schedule or --flows\n%s",
                        polc_draw_usage);
        return 2;
    }
    uint8_t *xml = NULL;
    size_t xml_size = 0;
    if (!polc_read_file(policy, &xml, &xml_size)) {
        polc_buf_printf(err, "moat-polc: cannot read %s: %s\n", policy, strerror(errno));
        return 2;
    }
    struct polc_ctx ctx;
    polc_ctx_init(&ctx, policy, NULL, 0);
    bool ok = polc_check_policy(&ctx, xml, xml_size) && ctx.error_count == 0;
    free(xml);
    polc_buf_append(err, ctx.messages.data, ctx.messages.len);
    int status = 0;
    if (!ok) {
        polc_buf_printf(err, "%s: %u error%s\n", policy, ctx.error_count,
                        ctx.error_count == 1 ? "" : "s");
        status = 1;
    }
    struct polc_buf svg = {0};
    if (status == 0 && schedule != NULL) {
        polc_draw_schedule(&ctx.sys, &svg);
        status = polc_draw_write(schedule, &svg, err) ? 0 : 2;
        svg.len = 0;
    }
    if (status == 0 && flows != NULL) {
        polc_draw_flows(&ctx.sys, &svg);
        status = polc_draw_write(flows, &svg, err) ? 0 : 2;
    }
    polc_buf_free(&svg);
    polc_ctx_free(&ctx);
    return status;
}
