/*
 * Host tests of the boot check of the tables blob (tables_check, kernel/core/tables.c),
 * part 1: the valid blob passes; the header, the arrays' bounds and limits, the names and
 * the system's own fields are each refused with the line that names them.
 */
#include "check_fixture.h"

/* ---- what passes ---- */

static void a_valid_blob_at_every_limit_passes(void **state)
{
    (void)state;
    assert_true(tables_check(blob_buffer, BLOB_CAPACITY));
    assert_ptr_equal(tables, blob_buffer);
    assert_false(fake_console_has("tables"));
    /* The accessors read what the description said. */
    assert_string_equal(tables_string(tables->name), "check");
    assert_string_equal(tables_string(tables_subject(GAMMA)->name), "gamma");
    assert_int_equal(tables_send(tables_subject(GAMMA), MOAT_MAX_EVENTS - 1u)->target_event,
                     MOAT_MAX_EVENTS - 1u);
    assert_int_equal(tables_reset(tables_subject(ALPHA), 0)->src, P(0x10000u));
    assert_int_equal(tables_frame(0, 1, 2)->subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(tables_irq(1)->line, MOAT_MAX_IRQS - 1u);
    assert_int_equal(tables_region(1)->base, P(REGION0_SIZE));
    assert_non_null(tables_io_bitmap(tables_subject(BETA)));
    assert_null(tables_io_bitmap(tables_subject(GAMMA)));
    /* And the machine check after it agrees. */
    fake.machine_cpus = 2;
    assert_true(core_check_system());
}

static void a_blob_without_klog_may_name_no_reader(void **state)
{
    (void)state;
    hdr()->klog_size = 0;
    memset(hdr()->klog_phys, 0, sizeof(hdr()->klog_phys));
    hdr()->klog_reader = MOAT_SUBJECT_IDLE;
    blob_seal();
    assert_true(tables_check(blob_buffer, BLOB_CAPACITY));
}

/* ---- the header ---- */

static void refuses_an_empty_tables_segment(void **state)
{
    (void)state;
    memset(blob_buffer, 0, sizeof(blob_buffer));
    assert_refused_at(blob_buffer, BLOB_CAPACITY, "no tables: the tables segment is empty");
}

static void refuses_a_wrong_magic(void **state)
{
    (void)state;
    hdr()->magic ^= 1u;
    assert_refused("tables: bad magic: 0x31454c4254414f4c\n");
}

static void refuses_a_wrong_version(void **state)
{
    (void)state;
    hdr()->version = MOAT_TABLES_VERSION + 1u;
    assert_refused("tables: bad version: 2, this kernel reads 1\n");
}

static void refuses_a_wrong_layout_hash(void **state)
{
    (void)state;
    hdr()->layout_hash += 1u;
    assert_refused("tables: bad layout hash (moat-polc and kernel from other builds)");
}

static void refuses_a_wrong_header_size(void **state)
{
    (void)state;
    hdr()->header_size -= 8u;
    assert_refused("tables: bad header size");
}

static void refuses_a_blob_larger_than_its_capacity(void **state)
{
    (void)state;
    uint64_t size = hdr()->size;
    /* A blob cut short: its size says more than the segment holds. */
    blob_seal();
    assert_refused_at(blob_buffer, size - 1u, "tables: size beyond capacity");
    assert_true(tables_check(blob_buffer, size));
}

static void refuses_a_size_below_the_header(void **state)
{
    (void)state;
    hdr()->size = sizeof(struct moat_tables_header) - 8u;
    assert_refused("tables: size below the header");
}

static void refuses_a_capacity_below_the_header(void **state)
{
    (void)state;
    assert_refused_at(blob_buffer, sizeof(struct moat_tables_header) - 1u,
                      "tables: capacity below the header");
}

static void refuses_a_bad_checksum(void **state)
{
    (void)state;
    strings()[0] ^= 0x20; /* "check" -> "Check", not sealed */
    assert_refused_at(blob_buffer, BLOB_CAPACITY, "tables: bad checksum");
}

/* ---- the arrays ---- */

struct array_case {
    const char *name;
    size_t field; /* offsetof(struct moat_tables_header, the array) */
    uint64_t record;
    uint64_t max;
};

static const struct array_case arrays[] = {
    {"subjects", offsetof(struct moat_tables_header, subjects), sizeof(struct moat_subject),
     MOAT_MAX_SUBJECTS},
    {"plans", offsetof(struct moat_tables_header, plans), sizeof(struct moat_plan),
     MOAT_MAX_PLANS},
    {"frames", offsetof(struct moat_tables_header, frames), sizeof(struct moat_frame),
     MOAT_MAX_PLANS * MOAT_MAX_CPUS * MOAT_MAX_FRAMES_PER_CPU},
    {"sends", offsetof(struct moat_tables_header, sends), sizeof(struct moat_event_route),
     MOAT_MAX_SUBJECTS * MOAT_MAX_EVENTS},
    {"resets", offsetof(struct moat_tables_header, resets), sizeof(struct moat_reset),
     MOAT_MAX_SUBJECTS * MOAT_MAX_RESETS},
    {"irqs", offsetof(struct moat_tables_header, irqs), sizeof(struct moat_irq_route),
     MOAT_MAX_IRQS},
    {"regions", offsetof(struct moat_tables_header, regions), sizeof(struct moat_ram_range),
     MOAT_MAX_REGIONS},
    {"io_bitmaps", offsetof(struct moat_tables_header, io_bitmaps),
     sizeof(struct moat_io_bitmap), MOAT_MAX_SUBJECTS},
    {"strings", offsetof(struct moat_tables_header, strings), 1u, MOAT_TABLES_CAPACITY},
};
#define ARRAY_COUNT (sizeof(arrays) / sizeof(arrays[0]))

static struct moat_tables_array *array_of(const struct array_case *a)
{
    return (struct moat_tables_array *)(void *)((uint8_t *)blob_buffer + a->field);
}

static void refused_array(const struct array_case *a, const char *problem)
{
    char why[128];
    snprintf(why, sizeof(why), "tables: %s: %s", a->name, problem);
    assert_refused(why);
}

static void refuses_every_array_misaligned(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_COUNT; i++) {
        check_setup(NULL);
        array_of(&arrays[i])->offset += 4u;
        refused_array(&arrays[i], "misaligned or inside the header");
    }
}

static void refuses_every_array_inside_the_header(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_COUNT; i++) {
        check_setup(NULL);
        array_of(&arrays[i])->offset = sizeof(struct moat_tables_header) - 8u;
        refused_array(&arrays[i], "misaligned or inside the header");
    }
}

static void refuses_every_array_starting_beyond_the_blob(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_COUNT; i++) {
        check_setup(NULL);
        struct moat_tables_array *a = array_of(&arrays[i]);
        a->offset = (uint32_t)hdr()->size + 8u;
        a->count = a->count != 0u ? a->count : 1u;
        refused_array(&arrays[i], "beyond the blob");
    }
}

/* One record more than the blob holds: the array ends 1..record bytes past its end. */
static void refuses_every_array_one_record_too_long(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_COUNT; i++) {
        check_setup(NULL);
        struct moat_tables_array *a = array_of(&arrays[i]);
        a->count = (uint32_t)((hdr()->size - a->offset) / arrays[i].record + 1u);
        refused_array(&arrays[i], "beyond the blob");
    }
}

/* count * record size wraps around in 32 bits (to a few bytes): still beyond the blob. */
static void refuses_an_array_whose_size_overflows_32_bits(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_COUNT; i++) {
        if (arrays[i].record == 1u) {
            continue;
        }
        check_setup(NULL);
        uint64_t count = (0x100000000ull + arrays[i].record - 1u) / arrays[i].record;
        array_of(&arrays[i])->count = (uint32_t)count;
        refused_array(&arrays[i], "beyond the blob");
    }
    check_setup(NULL);
    hdr()->strings.count = UINT32_MAX;
    refused_array(&arrays[ARRAY_COUNT - 1u], "beyond the blob");
}

/* `count` records of array `c` that lie inside a blob grown to hold them: "too many". */
static void assert_too_many(const struct array_case *c, uint64_t count)
{
    check_setup(NULL);
    uint64_t offset = (hdr()->size + 7u) & ~7ull;
    uint64_t size = offset + (count * c->record + 7u) / 8u * 8u;
    uint8_t *big = calloc(1, size);
    assert_non_null(big);
    memcpy(big, blob_buffer, hdr()->size);
    struct moat_tables_header *h = (struct moat_tables_header *)(void *)big;
    struct moat_tables_array *a = (struct moat_tables_array *)(void *)(big + c->field);
    a->offset = (uint32_t)offset;
    a->count = (uint32_t)count;
    h->size = size;
    h->checksum = moat_tables_checksum(big, size);
    char why[128];
    snprintf(why, sizeof(why), "tables: %s: too many: %llu, at most %llu", c->name,
             (unsigned long long)count, (unsigned long long)c->max);
    assert_refused_at(big, size, why);
    free(big);
}

/* max + 1 records of every array. */
static void refuses_every_array_over_its_limit(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_COUNT; i++) {
        assert_too_many(&arrays[i], arrays[i].max + 1u);
    }
}

/* Subject n runs as x86 PCID n + 1 (entry.c), PCID 0 being the kernel's: 4,096 subjects
 * would make the last one's PCID 0x1000, a bit of CR3's page-table address. */
static void refuses_4096_subjects_more_than_the_pcids(void **state)
{
    (void)state;
    assert_true(MOAT_MAX_SUBJECTS <= 0xfffu);
    assert_too_many(&arrays[0], 4096u);
}

/* ---- names ---- */

static void refuses_a_system_name_outside_the_strings(void **state)
{
    (void)state;
    hdr()->name = hdr()->strings.count;
    assert_refused("tables: system: bad name, offset");
}

static void refuses_a_subject_name_outside_the_strings(void **state)
{
    (void)state;
    subject(GAMMA)->name = hdr()->strings.count;
    assert_refused("tables: subject 2: bad name, offset");
}

static void refuses_a_plan_name_outside_the_strings(void **state)
{
    (void)state;
    plan(1)->name = UINT32_MAX;
    assert_refused("tables: plan 1: bad name, offset");
}

static void refuses_strings_without_a_final_nul(void **state)
{
    (void)state;
    strings()[hdr()->strings.count - 1u] = 'x'; /* "other" runs off the end */
    assert_refused("tables: strings: not NUL-ended, bytes: ");
}

static void refuses_no_strings(void **state)
{
    (void)state;
    hdr()->strings.count = 0;
    assert_refused("tables: strings: not NUL-ended, bytes: 0");
}

/* ---- the system's fields ---- */

static void refuses_no_cpu_and_too_many_cpus(void **state)
{
    (void)state;
    hdr()->cpu_count = 0;
    assert_refused("tables: system (check): bad cpu count: 0, at most 8");
    hdr()->cpu_count = MOAT_MAX_CPUS + 1u;
    assert_refused("tables: system (check): bad cpu count: 9, at most 8");
}

static void refuses_a_tick_of_0_or_over_1000_s(void **state)
{
    (void)state;
    hdr()->tick_ns = 0;
    assert_refused("tables: system (check): bad tick ns: 0");
    hdr()->tick_ns = 1000000000001ull;
    assert_refused("tables: system (check): bad tick ns");
}

static void refuses_no_plan(void **state)
{
    (void)state;
    hdr()->plans.count = 0;
    assert_refused("tables: system (check): bad plan count");
}

static void refuses_an_initial_plan_out_of_range(void **state)
{
    (void)state;
    hdr()->initial_plan = 2;
    assert_refused("tables: system (check): bad initial plan: 2, plans 2");
}

static void refuses_a_klog_reader_out_of_range(void **state)
{
    (void)state;
    hdr()->klog_reader = SUBJECTS;
    assert_refused("tables: system (check): bad klog reader: 3, subjects 3");
}

static void refuses_a_major_frame_over_1000_s(void **state)
{
    (void)state;
    plan(1)->major_ticks = 1000000000000ull / 1000u + 1u; /* 1000 s and 1 tick */
    assert_refused("tables: plan 1 (other): major frame longer than 1000 s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        CHECK_TEST(a_valid_blob_at_every_limit_passes),
        CHECK_TEST(a_blob_without_klog_may_name_no_reader),
        CHECK_TEST(refuses_an_empty_tables_segment),
        CHECK_TEST(refuses_a_wrong_magic),
        CHECK_TEST(refuses_a_wrong_version),
        CHECK_TEST(refuses_a_wrong_layout_hash),
        CHECK_TEST(refuses_a_wrong_header_size),
        CHECK_TEST(refuses_a_blob_larger_than_its_capacity),
        CHECK_TEST(refuses_a_size_below_the_header),
        CHECK_TEST(refuses_a_capacity_below_the_header),
        CHECK_TEST(refuses_a_bad_checksum),
        CHECK_TEST(refuses_every_array_misaligned),
        CHECK_TEST(refuses_every_array_inside_the_header),
        CHECK_TEST(refuses_every_array_starting_beyond_the_blob),
        CHECK_TEST(refuses_every_array_one_record_too_long),
        CHECK_TEST(refuses_an_array_whose_size_overflows_32_bits),
        CHECK_TEST(refuses_every_array_over_its_limit),
        CHECK_TEST(refuses_4096_subjects_more_than_the_pcids),
        CHECK_TEST(refuses_a_system_name_outside_the_strings),
        CHECK_TEST(refuses_a_subject_name_outside_the_strings),
        CHECK_TEST(refuses_a_plan_name_outside_the_strings),
        CHECK_TEST(refuses_strings_without_a_final_nul),
        CHECK_TEST(refuses_no_strings),
        CHECK_TEST(refuses_no_cpu_and_too_many_cpus),
        CHECK_TEST(refuses_a_tick_of_0_or_over_1000_s),
        CHECK_TEST(refuses_no_plan),
        CHECK_TEST(refuses_an_initial_plan_out_of_range),
        CHECK_TEST(refuses_a_klog_reader_out_of_range),
        CHECK_TEST(refuses_a_major_frame_over_1000_s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
