/*
 * libFuzzer target over the whole front half of moat-polc: XML parsing, schema
 * validation, every semantic check, the layout, and (for policies that pass) the
 * generation of page tables, sinfo pages, tables.c and the layout report.
 * POLC_FUZZ_ELF_DIR (set by the build) holds the test subject images.
 */
#include <stddef.h>
#include <stdint.h>

#include "polc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    struct polc_ctx ctx;
    polc_ctx_init(&ctx, "fuzz.xml", dirs, 1);
    if (polc_compile(&ctx, data, size) && polc_fuzz_small(&ctx.sys)) {
        struct polc_buf tables = {0};
        struct polc_buf report = {0};
        polc_generate(&ctx);
        polc_gen_tables(&ctx, &tables);
        polc_gen_report(&ctx, &report);
        polc_buf_free(&tables);
        polc_buf_free(&report);
    }
    polc_ctx_free(&ctx);
    return 0;
}
