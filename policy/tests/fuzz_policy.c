/*
 * libFuzzer target over the whole front half of moat-polc: XML parsing, schema
 * validation, every semantic check, the layout, and (for policies that pass) the
 * generation of page tables, sinfo pages, the tables blob and the layout report.
 *
 * An input starting with '<' is a policy as is. Any other input is a recipe: its bytes
 * choose the counts, sizes, addresses, references and schedule of a schema-valid policy,
 * so mutations reach the semantic checks and the layout instead of dying in the parser.
 * Some subjects of a recipe are VMs (a stand-in bzImage, often broken, or a flat image).
 * POLC_FUZZ_ELF_DIR (set by the build) holds the test subject images and VM boot files.
 */
#include <stddef.h>
#include <stdint.h>

#include "polc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct recipe {
    const uint8_t *data;
    size_t size;
    size_t at;
};

static unsigned take(struct recipe *r, unsigned range)
{
    unsigned v = r->at < r->size ? r->data[r->at] : 0;
    r->at++;
    return range != 0 ? v % range : v;
}

static const char *pick(struct recipe *r, const char *const *list, unsigned count)
{
    return list[take(r, count)];
}

static const char *const sizes[] = {"4K", "8K", "16K", "64K", "1M", "100", "0", "64M", "2G"};
static const char *const vaddrs[] = {"0x10000000", "0x10001000", "0x400000", "0",
                                     "0x7fffffff0000", "0x7ffffffff000", "0x10000800"};
static const char *const paddrs[] = {"0x2000000", "0x2001000", "0x200000", "0x3fff000",
                                     "0x8000000", "0x2000800"};
static const char *const images[] = {"good.elf", "good.elf", "good.elf", "bad-stack.elf",
                                     "bad-wx.elf", "bad-class32.elf", "kernel.elf"};
static const char *const vm_sizes[] = {"2M", "4M", "32M", "3M", "0", "4G"};
static const char *const kernels[] = {"good.bzImage",      "good.bzImage",      "fixed.bzImage",
                                      "huge.bzImage",      "bad-magic.bzImage", "truncated.bzImage",
                                      "good.elf"};
static const char *const loads[] = {"0x100000", "0x0", "0x1ff000", "0x100800", "0x3ff000"};
static const char *const gpas[] = {"0x4000000", "0x100000", "0xe0000", "0xfec00000", "0x4001000"};
static const char *const actions[] = {"notify",  "poweroff",    "reboot",    "restart",
                                      "stop",    "switch-plan", "unmask-irq"};

/* A VM subject: guest memory, what it boots (often broken), a console, placements. */
static void recipe_vm(struct recipe *r, struct polc_buf *b, unsigned i, unsigned cpus,
                      unsigned subjects)
{
    polc_buf_printf(b, "<subject name=\"s%u\" cpu=\"%u\"%s>", i, take(r, cpus + 1),
                    take(r, 8) == 0 ? " image=\"good.elf\"" : "");
    polc_buf_printf(b, "<vm memory=\"%s\"", take(r, 2) != 0 ? "32M" : pick(r, vm_sizes, 6));
    if (take(r, 4) == 0) {
        polc_buf_printf(b, " paddr=\"%s\"", pick(r, paddrs, 6));
    }
    polc_buf_printf(b, ">");
    for (unsigned k = take(r, 4) == 0 ? take(r, 3) : 1; k > 0; k--) {
        if (take(r, 2) == 0) {
            polc_buf_printf(b, "<linux kernel=\"%s\"%s cmdline=\"console=ttyS0\"/>",
                            pick(r, kernels, 7), take(r, 2) == 0 ? " initrd=\"initrd.img\"" : "");
        } else {
            polc_buf_printf(b, "<image file=\"tiny.bin\" load=\"%s\"/>", pick(r, loads, 5));
        }
    }
    if (take(r, 2) == 0) {
        polc_buf_printf(b, "<console reader=\"s%u\"/>", take(r, subjects + 1));
    }
    polc_buf_printf(b, "</vm>");
    if (take(r, 3) == 0) {
        polc_buf_printf(b, "<memory name=\"m\" size=\"%s\"", pick(r, sizes, 9));
        if (take(r, 2) == 0) {
            polc_buf_printf(b, " vaddr=\"%s\"", pick(r, gpas, 5));
        }
        polc_buf_printf(b, "/>");
    }
    if (take(r, 6) == 0) {
        polc_buf_printf(b, "<timer name=\"t\"/>");
    }
    polc_buf_printf(b, "</subject>");
}

static void recipe_policy(struct recipe *r, struct polc_buf *b)
{
    unsigned cpus = 1 + take(r, 3);
    unsigned subjects = 1 + take(r, 5);
    polc_buf_printf(b, "<system name=\"f\"><platform cpus=\"%u\" memory=\"%s\"/><subjects>", cpus,
                    take(r, 4) != 0 ? "256M" : pick(r, sizes, 9));
    for (unsigned i = 0; i < subjects; i++) {
        if (take(r, 4) == 0) {
            recipe_vm(r, b, i, cpus, subjects);
            continue;
        }
        polc_buf_printf(b, "<subject name=\"s%u\" cpu=\"%u\" image=\"%s\" stack-size=\"%s\">", i,
                        take(r, cpus + 1), pick(r, images, 7), take(r, 4) != 0 ? "64K" : pick(r, sizes, 9));
        for (unsigned m = take(r, 3); m > 0; m--) {
            polc_buf_printf(b, "<memory name=\"m%u\" size=\"%s\" access=\"%s\"", take(r, 3),
                            pick(r, sizes, 9), take(r, 3) == 0 ? "r" : "rw");
            if (take(r, 3) == 0) {
                polc_buf_printf(b, " vaddr=\"%s\"", pick(r, vaddrs, 7));
            }
            if (take(r, 3) == 0) {
                polc_buf_printf(b, " paddr=\"%s\"", pick(r, paddrs, 6));
            }
            polc_buf_printf(b, "/>");
        }
        if (take(r, 3) == 0) {
            polc_buf_printf(b, "<ioport name=\"p\" base=\"0x%x\" count=\"%u\"/>", take(r, 0) * 8u,
                            take(r, 10));
        }
        if (take(r, 3) == 0) {
            polc_buf_printf(b, "<platform-device name=\"d\" base=\"0x%x\" count=\"%u\" "
                               "reason=\"fuzz\"/>",
                            take(r, 0) * 8u, take(r, 10));
        }
        if (take(r, 3) == 0) {
            polc_buf_printf(b, "<irq name=\"q\" line=\"%u\"/>", take(r, 26));
        }
        if (take(r, 3) == 0) {
            polc_buf_printf(b, "<timer name=\"t\"/>");
        }
        polc_buf_printf(b, "</subject>");
    }
    polc_buf_printf(b, "</subjects><channels>");
    for (unsigned c = take(r, 5); c > 0; c--) {
        polc_buf_printf(b, "<channel name=\"c%u\" size=\"%s\" element-size=\"%s\"", take(r, 4),
                        take(r, 2) ? "16K" : pick(r, sizes, 9), take(r, 2) ? "64" : pick(r, sizes, 9));
        if (take(r, 4) == 0) {
            polc_buf_printf(b, " paddr=\"%s\"", pick(r, paddrs, 6));
        }
        polc_buf_printf(b, "><writer subject=\"s%u\"/>", take(r, subjects + 1));
        for (unsigned k = take(r, 3); k > 0; k--) {
            polc_buf_printf(b, "<reader subject=\"s%u\"", take(r, subjects + 1));
            if (take(r, 4) == 0) {
                polc_buf_printf(b, " vaddr=\"%s\"", pick(r, vaddrs, 7));
            }
            polc_buf_printf(b, "/>");
        }
        polc_buf_printf(b, "</channel>");
    }
    polc_buf_printf(b, "</channels><events>");
    for (unsigned e = take(r, 5); e > 0; e--) {
        unsigned action = take(r, 7);
        polc_buf_printf(b, "<event name=\"e%u\" from=\"s%u\" action=\"%s\"", take(r, 6),
                        take(r, subjects), actions[action]);
        if (take(r, 2) == 0) {
            polc_buf_printf(b, " vector=\"%u\"", take(r, 0) + (take(r, 4) == 0 ? 200u : 0u));
        }
        if (action == 0 || action == 3 || action == 4 || take(r, 8) == 0) {
            polc_buf_printf(b, " to=\"s%u\"", take(r, subjects + 1));
        }
        if (action == 5 || take(r, 8) == 0) {
            polc_buf_printf(b, " plan=\"p%u\"", take(r, 3));
        }
        if (action == 6 || take(r, 8) == 0) {
            polc_buf_printf(b, " irq=\"q\"");
        }
        polc_buf_printf(b, "/>");
    }
    polc_buf_printf(b, "</events><scheduling tick=\"%s\">", take(r, 8) != 0 ? "100us" : "500ns");
    unsigned plans = 1 + take(r, 2);
    for (unsigned p = 0; p < plans; p++) {
        polc_buf_printf(b, "<plan name=\"p%u\">", p);
        for (unsigned c = 0; c < cpus; c++) {
            polc_buf_printf(b, "<cpu id=\"%u\">", take(r, 8) != 0 ? c : take(r, 9));
            for (unsigned s = 0; s < subjects; s++) {
                if ((s % cpus) == c || take(r, 8) == 0) {
                    polc_buf_printf(b, "<frame subject=\"s%u\" ticks=\"%u\"/>", s, 1 + take(r, 3));
                }
            }
            polc_buf_printf(b, "<idle ticks=\"%u\"/>", take(r, 3) + 1);
            polc_buf_printf(b, "</cpu>");
        }
        polc_buf_printf(b, "</plan>");
    }
    polc_buf_printf(b, "</scheduling></system>");
}

/* Generation walks every mapped page: keep a single input's work bounded. */
static bool polc_fuzz_small(const struct polc_system *sys)
{
    uint64_t total = 0;
    for (size_t i = 0; i < sys->region_count; i++) {
        total += sys->regions[i]->size;
    }
    return total <= (256ULL << 20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const dirs[] = {POLC_FUZZ_ELF_DIR};
    struct polc_buf generated = {0};
    if (size != 0 && data[0] != '<') {
        struct recipe r = {data, size, 1};
        recipe_policy(&r, &generated);
        data = generated.data;
        size = generated.len;
    }
    struct polc_ctx ctx;
    polc_ctx_init(&ctx, "fuzz.xml", dirs, 1);
    if (polc_compile(&ctx, data, size) && polc_fuzz_small(&ctx.sys)) {
        struct polc_buf tables = {0};
        struct polc_buf report = {0};
        polc_generate(&ctx);
        polc_gen_blob(&ctx, &tables);
        polc_gen_report(&ctx, NULL, &report);
        polc_buf_free(&tables);
        polc_buf_free(&report);
    }
    polc_ctx_free(&ctx);
    polc_buf_free(&generated);
    return 0;
}
