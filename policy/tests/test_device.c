/*
 * Channels in device memory (memory="device"): memory the platform provides that is not
 * RAM. They must stay out of everything the kernel checks or touches and out of the
 * image, yet be mapped into their subjects' page tables and described for moat-run.
 * Usage: test_polc_device ELF_DIR WORK_DIR
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#define DEVICE_PADDR 0x100000000ULL

/* A policy: a writes the device channel 'dev' (reader outside unless reader != NULL). */
static const char *device_policy(const char *paddr, const char *reader, const char *writer)
{
    return polc_sprintf(
        &test_arena,
        "<system name=\"t\">\n"
        "  <platform cpus=\"1\" memory=\"64M\"/>\n"
        "  <subjects>\n"
        "    <subject name=\"a\" cpu=\"0\" image=\"good.elf\"/>\n"
        "    <subject name=\"b\" cpu=\"0\" image=\"good.elf\"/>\n"
        "  </subjects>\n"
        "  <channels>\n"
        "    <channel name=\"dev\" size=\"8K\" element-size=\"64\" protocol=\"0x62726467\"\n"
        "             memory=\"device\" paddr=\"%s\">%s%s</channel>\n"
        "    <channel name=\"ram\" size=\"4K\" element-size=\"64\">\n"
        "      <writer subject=\"b\"/> <reader subject=\"a\"/>\n"
        "    </channel>\n"
        "  </channels>\n"
        "  <scheduling tick=\"100us\">\n"
        "    <plan name=\"p\"><cpu id=\"0\"> <frame subject=\"a\" ticks=\"10\"/>\n"
        "      <frame subject=\"b\" ticks=\"10\"/> </cpu></plan>\n"
        "  </scheduling>\n"
        "</system>\n",
        paddr,
        writer != NULL ? polc_sprintf(&test_arena, "<writer subject=\"%s\"/>", writer) : "",
        reader != NULL ? polc_sprintf(&test_arena, "<reader subject=\"%s\"/>", reader) : "");
}

static bool compile(struct polc_ctx *ctx, const char *xml)
{
    static const char *dirs[1];
    dirs[0] = elf_dir;
    polc_ctx_init(ctx, "device.xml", dirs, 1);
    return polc_compile(ctx, (const uint8_t *)xml, strlen(xml));
}

static const struct polc_channel *channel(const struct polc_system *sys, const char *name)
{
    for (size_t i = 0; i < sys->channel_count; i++) {
        if (strcmp(sys->channels[i].name, name) == 0) {
            return &sys->channels[i];
        }
    }
    fail_msg("no channel %s", name);
    return NULL;
}

static void device_channel_is_no_ram_region_but_is_mapped(void **state)
{
    struct polc_ctx ctx;
    (void)state;
    assert_true(compile(&ctx, device_policy("0x100000000", "b", "a")));
    const struct polc_system *sys = &ctx.sys;
    const struct polc_channel *dev = channel(sys, "dev");
    assert_int_equal(dev->region->phys, DEVICE_PADDR);
    /* Not one of the regions the blob lists as RAM, nor overlapping one. */
    struct polc_region **sorted = polc_regions_by_phys(sys);
    size_t count = polc_merged_regions(sys, sorted, NULL);
    struct moat_ram_range *ranges = calloc(count + 1, sizeof(*ranges));
    assert_non_null(ranges);
    polc_merged_regions(sys, sorted, ranges);
    for (size_t i = 0; i < count; i++) {
        assert_true(ranges[i].base + ranges[i].size <= sys->memory_size);
    }
    for (size_t i = 0; i < sys->region_count; i++) {
        assert_ptr_not_equal(sys->regions[i], dev->region);
    }
    free(ranges);
    free(sorted);
    /* The memory end is the RAM's, not 4 GiB and more. */
    assert_true(polc_memory_end_mib(sys) < 64);
    /* The writer maps it read-write at the device's address, the reader read-only. */
    for (size_t k = 0; k < 2; k++) {
        const struct polc_subject *s = &sys->subjects[k];
        size_t mapped = 0;
        for (size_t i = 0; i < s->map_count; i++) {
            if (s->maps[i].region == dev->region) {
                mapped++;
                assert_int_equal(s->maps[i].perm, k == 0 ? POLC_R | POLC_W : POLC_R);
            }
        }
        assert_int_equal(mapped, 1);
    }
    polc_ctx_free(&ctx);
}

static void device_memory_starts_right_above_the_platform_memory(void **state)
{
    struct polc_ctx ctx;
    (void)state;
    assert_true(compile(&ctx, device_policy("0x4000000", "b", "a"))); /* at 64M exactly */
    polc_ctx_free(&ctx);
    assert_false(compile(&ctx, device_policy("0x3fff000", "b", "a")));
    polc_ctx_free(&ctx);
}

static void device_channel_needs_an_end_inside(void **state)
{
    struct polc_ctx ctx;
    (void)state;
    assert_true(compile(&ctx, device_policy("0x100000000", "b", NULL))); /* writer outside */
    polc_ctx_free(&ctx);
    assert_false(compile(&ctx, device_policy("0x100000000", NULL, NULL)));
    assert_non_null(strstr((const char *)ctx.messages.data,
                           "channel 'dev' has neither writer nor reader"));
    polc_ctx_free(&ctx);
}

static const uint8_t *note_of(const uint8_t *image, size_t size, uint32_t type)
{
    uint64_t phoff = polc_le_get(image + offsetof(Elf64_Ehdr, e_phoff), 8);
    uint64_t phnum = polc_le_get(image + offsetof(Elf64_Ehdr, e_phnum), 2);
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = image + phoff + i * sizeof(Elf64_Phdr);
        uint64_t at = polc_le_get(ph + offsetof(Elf64_Phdr, p_offset), 8);
        uint64_t end = at + polc_le_get(ph + offsetof(Elf64_Phdr, p_filesz), 8);
        if (polc_le_get(ph, 4) != PT_NOTE || end > size) {
            continue;
        }
        while (at + 12 <= end) {
            const uint8_t *n = image + at;
            if (polc_le_get(n + 8, 4) == type && memcmp(n + 12, "Moat", 5) == 0) {
                return n;
            }
            at += 12 + ((polc_le_get(n, 4) + 3) & ~3ULL) + ((polc_le_get(n + 4, 4) + 3) & ~3ULL);
        }
    }
    return NULL;
}

static void image_loads_nothing_there_and_describes_it(void **state)
{
    (void)state;
    const char *xml = device_policy("0x100000000", NULL, "a");
    const char *policy = write_temp("device.xml", xml, strlen(xml));
    const char *out = path_in(work_dir, "device.elf");
    struct run r = polc_build(policy, out, path_in(elf_dir, "kernel.elf"), NULL);
    if (r.status != 0) {
        fail_msg("%s", (const char *)r.err.data);
    }
    run_free(&r);
    uint8_t *image = NULL;
    size_t size = 0;
    assert_true(polc_read_file(out, &image, &size));
    uint64_t phoff = polc_le_get(image + offsetof(Elf64_Ehdr, e_phoff), 8);
    uint64_t phnum = polc_le_get(image + offsetof(Elf64_Ehdr, e_phnum), 2);
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = image + phoff + i * sizeof(Elf64_Phdr);
        uint64_t pa = polc_le_get(ph + offsetof(Elf64_Phdr, p_paddr), 8);
        uint64_t memsz = polc_le_get(ph + offsetof(Elf64_Phdr, p_memsz), 8);
        if (polc_le_get(ph, 4) == PT_LOAD) {
            assert_true(pa + memsz <= DEVICE_PADDR);
        }
    }
    const uint8_t *n = note_of(image, size, MOAT_NOTE_DEVICE_CHANNEL);
    assert_non_null(n);
    assert_int_equal(polc_le_get(n + 4, 4), 40 + MOAT_NOTE_NAME_BYTES);
    const uint8_t *desc = n + 20;
    assert_int_equal(polc_le_get(desc, 8), MOAT_NOTE_VERSION);
    assert_int_equal(polc_le_get(desc + 8, 8), DEVICE_PADDR);
    assert_int_equal(polc_le_get(desc + 16, 8), 8192);
    assert_int_equal(polc_le_get(desc + 24, 8), 64);
    assert_int_equal(polc_le_get(desc + 32, 8), 0x62726467);
    assert_string_equal((const char *)desc + 40, "dev");
    const uint8_t *sys_note = note_of(image, size, MOAT_NOTE_SYSTEM);
    assert_non_null(sys_note);
    assert_true(polc_le_get(sys_note + 28, 4) < 64); /* memory end in MiB: RAM only */
    free(image);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_polc_device ELF_DIR WORK_DIR\n");
        return 2;
    }
    elf_dir = argv[1];
    work_dir = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(device_channel_is_no_ram_region_but_is_mapped),
        cmocka_unit_test(device_memory_starts_right_above_the_platform_memory),
        cmocka_unit_test(device_channel_needs_an_end_inside),
        cmocka_unit_test(image_loads_nothing_there_and_describes_it),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    polc_arena_free(&test_arena);
    return failed;
}
