/*
 * moat-polc end to end: the shipped policy checks and builds, outputs are deterministic,
 * nothing is written on error, and hostile input (malformed XML, DTDs, deep nesting,
 * huge numbers, garbage) gives a clear error, never a crash. The image tests are in
 * test_image.c, the refused kernels in test_kernel_input.c. Usage: test_polc GOOD_DIR ELF_DIR WORK_DIR
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_util.h"

/* ---- the shipped policy ---- */

static void shipped_policy_is_valid(void **state)
{
    (void)state;
    struct run r = polc("check", path_in(good_dir, "pipeline.xml"), "-I", elf_dir, NULL, NULL,
                        NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal((const char *)r.err.data, "");
    run_free(&r);
}

/* Before the subjects are built: check --no-images runs every check but the images'. */
static void check_no_images_checks_a_policy_before_its_subjects_exist(void **state)
{
    (void)state;
    const char *policy = path_in(good_dir, "pipeline.xml");
    struct run r = polc("check", policy, NULL, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 1); /* no -I: its images are not found */
    assert_non_null(strstr((const char *)r.err.data, "image 'good.elf' not found"));
    assert_non_null(strstr((const char *)r.err.data,
                           "pipeline.xml: note: 4 subject images not found; `moat-polc check "));
    assert_non_null(strstr((const char *)r.err.data, "pipeline.xml --no-images` checks the "
                                                     "policy without them\n"));
    run_free(&r);
    r = polc("check", path_in(good_dir, "../bad/image_missing.xml"), "-I", elf_dir, NULL, NULL,
             NULL, NULL);
    assert_non_null(strstr((const char *)r.err.data, "note: 1 subject image not found; "));
    run_free(&r);
    r = polc("check", policy, "--no-images", NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal((const char *)r.err.data, "");
    run_free(&r);
    /* The same -I as a build takes is accepted. */
    r = polc("check", "--no-images", policy, "-I", work_dir, NULL, NULL, NULL);
    assert_int_equal(r.status, 0);
    run_free(&r);
    /* Every other check still runs. */
    r = polc("check", path_in(good_dir, "../bad/channel_reader_is_writer.xml"), "--no-images",
             NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr((const char *)r.err.data, "is also its writer"));
    run_free(&r);
    /* Only check: layout and build need the images. */
    r = polc("layout", policy, "--no-images", NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 2);
    run_free(&r);
}

static void layout_command_prints_the_report(void **state)
{
    (void)state;
    struct run r = polc("layout", path_in(good_dir, "pipeline.xml"), "-I", elf_dir, NULL, NULL,
                        NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr((const char *)r.out.data, "Subject 'filter' (id 1, cpu 0"));
    assert_non_null(strstr((const char *)r.out.data, "channel 'samples'"));
    assert_non_null(strstr((const char *)r.out.data, "0x0000000008000000"));
    /* A CPU-1 subject's trampoline data: its own slice and the shared part. */
    assert_non_null(strstr((const char *)r.out.data,
                           "0xffffff800000c000  0xffffff8000013fff       32K  rw-   sup   "
                           "0x000000000020c000  trampoline data, cpu 1 slice\n"));
    /* A platform device is flagged at the top and in its subject. */
    assert_non_null(strstr((const char *)r.out.data,
                           "Grants that can affect the whole machine: 1 platform-device\n"
                           "  subject 'control', 'rtc' 0x70-0x71: the CMOS/RTC; reason: reads "
                           "the wall-clock time\n"));
    assert_non_null(strstr((const char *)r.out.data,
                           "  platform-device 'rtc': 0x70-0x71 -- CAN AFFECT THE WHOLE MACHINE "
                           "(the CMOS/RTC); reason: reads the wall-clock time\n"));
    run_free(&r);
}

static void build_is_deterministic(void **state)
{
    (void)state;
    const char *kernel = path_in(elf_dir, "kernel.elf");
    const char *policy = path_in(good_dir, "pipeline.xml");
    const char *a = path_in(work_dir, "det/new/folder/det-a.elf"); /* folders made */
    const char *b = path_in(work_dir, "det-b.elf");
    const char *la = path_in(work_dir, "det-a.txt");
    const char *lb = path_in(work_dir, "det-b.txt");
    struct run r1 = polc_build(policy, a, kernel, la);
    assert_int_equal(r1.status, 0);
    struct run r2 = polc_build(policy, b, kernel, lb);
    assert_int_equal(r2.status, 0);
    assert_true(same_file(a, b));
    assert_true(same_file(la, lb));
    run_free(&r1);
    run_free(&r2);
}

/* The report names the kernel build it was packed against, the blob and the state. */
static void layout_names_the_kernel_it_was_packed_against(void **state)
{
    (void)state;
    const char *kernel = path_in(elf_dir, "kernel.elf");
    const char *layout = path_in(work_dir, "named-kernel.txt");
    struct run r = polc_build(path_in(good_dir, "pipeline.xml"), path_in(work_dir, "named.elf"),
                              kernel, layout);
    assert_int_equal(r.status, 0);
    run_free(&r);
    uint8_t *k = NULL;
    size_t ksize = 0;
    uint8_t *report = NULL;
    size_t report_size = 0;
    assert_true(polc_read_file(kernel, &k, &ksize));
    assert_true(polc_read_file(layout, &report, &report_size));
    const char *line = polc_sprintf(&test_arena,
                                    "Kernel: %zu bytes, FNV-1a 0x%016llx, note version 1, "
                                    "tables layout 0x%016llx\n",
                                    ksize, (unsigned long long)polc_fnv1a(k, ksize),
                                    (unsigned long long)MOAT_TABLES_LAYOUT_HASH);
    report = realloc(report, report_size + 1);
    report[report_size] = 0;
    assert_non_null(strstr((const char *)report, line));
    assert_non_null(strstr((const char *)report, "Tables blob: "));
    assert_non_null(strstr((const char *)report, " bytes at 0x400000 (capacity 12M)\n"));
    assert_non_null(strstr((const char *)report, "Subject state: 32K at 0x"));
    free(k);
    free(report);
}

static void nothing_is_written_on_error(void **state)
{
    (void)state;
    const char *out = path_in(work_dir, "on-error.elf");
    const char *layout = path_in(work_dir, "on-error.txt");
    const char *bad = path_in(good_dir, "../bad/channel_reader_is_writer.xml");
    struct run r = polc_build(bad, out, path_in(elf_dir, "kernel.elf"), layout);
    assert_int_equal(r.status, 1);
    struct stat st;
    assert_int_not_equal(stat(out, &st), 0);
    assert_int_not_equal(stat(layout, &st), 0);
    run_free(&r);
}

/* The last mappable page ends exactly where the unmapped top page begins. */
/* build replaces what is at -o and --layout whatever it holds (here: nothing, and the
 * first bytes of the right image), and makes the folders of a relative -o. */
static void build_overwrites_old_outputs_and_makes_folders(void **state)
{
    (void)state;
    const char *kernel = path_in(elf_dir, "kernel.elf");
    const char *policy = path_in(good_dir, "pipeline.xml");
    const char *ref = path_in(work_dir, "over-ref.elf");
    const char *ref_layout = path_in(work_dir, "over-ref.txt");
    const char *out = path_in(work_dir, "over.elf");
    const char *layout = path_in(work_dir, "over.txt");
    remove(ref);
    remove(ref_layout);
    struct run r = polc_build(policy, ref, kernel, ref_layout);
    assert_int_equal(r.status, 0);
    run_free(&r);
    struct stat st;
    assert_int_equal(stat(ref_layout, &st), 0);
    assert_true(st.st_size > 0);
    uint8_t *image = NULL;
    size_t size = 0;
    assert_true(polc_read_file(ref, &image, &size));
    write_temp("over.elf", image, 64);
    write_temp("over.txt", "", 0);
    free(image);
    r = polc_build(policy, out, kernel, layout);
    assert_int_equal(r.status, 0);
    run_free(&r);
    assert_true(same_file(out, ref));
    assert_true(same_file(layout, ref_layout));

    /* A relative -o whose first folder has a one-letter name. */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(work_dir), 0);
    remove("m/n/rel.elf");
    rmdir("m/n");
    rmdir("m");
    r = polc_build(policy, "m/n/rel.elf", kernel, NULL);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(r.status, 0);
    run_free(&r);
    assert_true(same_file(path_in(work_dir, "m/n/rel.elf"), ref));
}

/* -o, --kernel and --layout belong to build: check refuses each. */
static void check_refuses_the_build_options(void **state)
{
    (void)state;
    const char *policy = path_in(good_dir, "pipeline.xml");
    static const char *const options[] = {"-o", "--kernel", "--layout"};
    for (size_t i = 0; i < 3; i++) {
        struct run r = polc("check", policy, "-I", elf_dir, options[i],
                            path_in(work_dir, "check-option.out"), NULL, NULL);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr((const char *)r.err.data, "are only for build"));
        run_free(&r);
    }
}

static void the_page_below_the_top_page_may_be_mapped(void **state)
{
    (void)state;
    const char *text =
        "<system name=\"t\"><platform cpus=\"1\" memory=\"64M\"/><subjects>"
        "<subject name=\"a\" cpu=\"0\" image=\"good.elf\">"
        "<memory name=\"m\" size=\"4K\" vaddr=\"0x7fffffffe000\"/></subject></subjects>"
        "<scheduling tick=\"1ms\"><plan name=\"p\"><cpu id=\"0\">"
        "<frame subject=\"a\" ticks=\"1\"/></cpu></plan></scheduling></system>";
    const char *path = write_temp("below-top-page.xml", text, strlen(text));
    struct run r = polc("check", path, "-I", elf_dir, NULL, NULL, NULL, NULL);
    assert_string_equal((const char *)r.err.data, "");
    assert_int_equal(r.status, 0);
    run_free(&r);
}

/* ---- hostile input ---- */

static void expect_error(const char *name, const char *text, const char *message)
{
    const char *path = write_temp(name, text, strlen(text));
    struct run r = polc("check", path, "-I", elf_dir, NULL, NULL, NULL, NULL);
    if (strstr((const char *)r.err.data, message) == NULL) {
        print_error("wanted '%s', got:\n%s\n", message, (const char *)r.err.data);
        fail();
    }
    assert_int_equal(r.status, 1);
    assert_null(strstr((const char *)r.err.data, "root:"));
    run_free(&r);
}

static void malformed_xml_is_reported_with_its_line(void **state)
{
    (void)state;
    expect_error("malformed.xml", "<system name=\"x\">\n<platform cpus=\"1\"\n</system>\n",
                 "malformed.xml:3: error:");
}

static void empty_file_is_an_error(void **state)
{
    (void)state;
    expect_error("empty.xml", "", "empty.xml");
}

static void unknown_element_is_a_schema_error(void **state)
{
    (void)state;
    char *text = NULL;
    size_t n = 0;
    assert_true(polc_read_file(path_in(good_dir, "pipeline.xml"), (uint8_t **)&text, &n));
    char *at = strstr(text, "<timer name=\"tick\"/>");
    assert_non_null(at);
    memcpy(at, "<tumor name=\"tick\"/>", 20);
    expect_error("unknown.xml", text, "unknown.xml:8: error: Element 'tumor': This element is not expected");
    free(text);
}

static void doctype_and_external_entities_are_refused(void **state)
{
    (void)state;
    expect_error("xxe-attr.xml",
                 "<?xml version=\"1.0\"?>\n<!DOCTYPE system [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
                 "<system name=\"&x;\"/>\n",
                 "xxe-attr.xml:3: error: Attribute references external entity 'x'");
    expect_error("xxe-text.xml",
                 "<?xml version=\"1.0\"?>\n<!DOCTYPE system [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
                 "<system name=\"t\">&x;</system>\n",
                 "xxe-text.xml: error: DOCTYPE declarations are not allowed in a policy");
}

static void deep_nesting_is_an_error_not_a_crash(void **state)
{
    (void)state;
    struct polc_buf b = {0};
    for (int i = 0; i < 100000; i++) {
        polc_buf_printf(&b, "<a>");
    }
    expect_error("deep.xml", (const char *)b.data, "deep.xml");
    polc_buf_free(&b);
}

static void binary_garbage_is_an_error(void **state)
{
    (void)state;
    uint8_t junk[4096];
    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = (uint8_t)(i * 131 + 7);
    }
    const char *path = write_temp("junk.xml", junk, sizeof(junk));
    struct run r = polc("check", path, NULL, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr((const char *)r.err.data, "junk.xml"));
    run_free(&r);
}

static void usage_errors_exit_with_2(void **state)
{
    (void)state;
    struct run r = polc(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = polc("frobnicate", "x.xml", NULL, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = polc("build", path_in(good_dir, "pipeline.xml"), NULL, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr((const char *)r.err.data, "build needs -o SYSTEM.elf"));
    run_free(&r);
    r = polc("check", path_in(work_dir, "does-not-exist.xml"), NULL, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr((const char *)r.err.data, "cannot read"));
    run_free(&r);
    r = polc("check", "-I", NULL, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = polc("--version", NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr((const char *)r.out.data, "moat-polc "));
    run_free(&r);
}

/* ---- numbers ---- */

static void sizes_times_and_numbers_parse_with_overflow_checks(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(polc_parse_size("4096", &v), POLC_NUM_OK);
    assert_int_equal(v, 4096);
    assert_int_equal(polc_parse_size("0x1000", &v), POLC_NUM_OK);
    assert_int_equal(v, 4096);
    assert_int_equal(polc_parse_size("64K", &v), POLC_NUM_OK);
    assert_int_equal(v, 65536);
    assert_int_equal(polc_parse_size("2M", &v), POLC_NUM_OK);
    assert_int_equal(v, 2u << 20);
    assert_int_equal(polc_parse_size("3G", &v), POLC_NUM_OK);
    assert_int_equal(v, 3ULL << 30);
    assert_int_equal(polc_parse_size("0x10M", &v), POLC_NUM_OK);
    assert_int_equal(v, 16u << 20);
    assert_int_equal(polc_parse_size("17179869184G", &v), POLC_NUM_OVERFLOW);
    assert_int_equal(polc_parse_size("18446744073709551615", &v), POLC_NUM_OK);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(polc_parse_size("18446744073709551616", &v), POLC_NUM_OVERFLOW);
    assert_int_equal(polc_parse_size("0x10000000000000000", &v), POLC_NUM_OVERFLOW);
    assert_int_equal(polc_parse_size("12Q", &v), POLC_NUM_SYNTAX);
    assert_int_equal(polc_parse_size("", &v), POLC_NUM_SYNTAX);
    assert_int_equal(polc_parse_time_ns("100us", &v), POLC_NUM_OK);
    assert_int_equal(v, 100000);
    assert_int_equal(polc_parse_time_ns("5ms", &v), POLC_NUM_OK);
    assert_int_equal(v, 5000000);
    assert_int_equal(polc_parse_time_ns("7ns", &v), POLC_NUM_OK);
    assert_int_equal(v, 7);
    assert_int_equal(polc_parse_time_ns("100", &v), POLC_NUM_SYNTAX);
    assert_int_equal(polc_parse_time_ns("18446744073709552ms", &v), POLC_NUM_OVERFLOW);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_polc GOOD_DIR ELF_DIR WORK_DIR\n");
        return 2;
    }
    good_dir = argv[1];
    elf_dir = argv[2];
    work_dir = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_policy_is_valid),
        cmocka_unit_test(check_no_images_checks_a_policy_before_its_subjects_exist),
        cmocka_unit_test(layout_command_prints_the_report),
        cmocka_unit_test(build_is_deterministic),
        cmocka_unit_test(layout_names_the_kernel_it_was_packed_against),
        cmocka_unit_test(nothing_is_written_on_error),
        cmocka_unit_test(build_overwrites_old_outputs_and_makes_folders),
        cmocka_unit_test(check_refuses_the_build_options),
        cmocka_unit_test(the_page_below_the_top_page_may_be_mapped),
        cmocka_unit_test(malformed_xml_is_reported_with_its_line),
        cmocka_unit_test(empty_file_is_an_error),
        cmocka_unit_test(unknown_element_is_a_schema_error),
        cmocka_unit_test(doctype_and_external_entities_are_refused),
        cmocka_unit_test(deep_nesting_is_an_error_not_a_crash),
        cmocka_unit_test(binary_garbage_is_an_error),
        cmocka_unit_test(usage_errors_exit_with_2),
        cmocka_unit_test(sizes_times_and_numbers_parse_with_overflow_checks),
    };
    int failed = cmocka_run_group_tests_name("moat-polc", tests, NULL, NULL);
    failed += test_image_run();
    failed += test_kernel_input_run();
    failed += test_vm_run();
    polc_arena_free(&test_arena);
    return failed;
}
