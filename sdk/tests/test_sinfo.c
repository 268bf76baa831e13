/*
 * Resource lookup in hand-built sinfo pages: every kind found by name with the right
 * fields, wrong kinds and names refused, and hostile pages (a resource count larger
 * than the page, names without NUL, bad magic or version) never read past the page.
 * Pages end at a PROT_NONE guard page, so an overrun crashes the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <moat/sinfo.h>
#include <moat/version.h>

#include "sdk_internal.h"

#define PAGE 4096u

/* A page of `size` bytes ending right at an inaccessible guard page. */
static struct moat_sinfo *guarded_page(size_t size)
{
    size_t span = (size + PAGE - 1) / PAGE * PAGE;
    unsigned char *m =
        mmap(NULL, span + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + span, PAGE, PROT_NONE), 0);
    return (struct moat_sinfo *)(void *)(m + span - size);
}

static void put_name(char dst[MOAT_NAME_MAX], const char *name)
{
    memset(dst, 0, MOAT_NAME_MAX);
    memcpy(dst, name, strlen(name));
}

static struct moat_sinfo_resource *add(struct moat_sinfo *info, const char *name, uint32_t kind)
{
    struct moat_sinfo_resource *r = &info->resources[info->resource_count++];
    put_name(r->name, name);
    r->kind = kind;
    return r;
}

/* A page like moat-polc writes for a subject "filter". */
static struct moat_sinfo *sample_page(size_t size)
{
    struct moat_sinfo *info = guarded_page(size);
    memset(info, 0, size);
    info->magic = MOAT_SINFO_MAGIC;
    info->version = MOAT_SINFO_VERSION;
    put_name(info->subject_name, "filter");
    put_name(info->system_name, "pipeline");
    info->cpu = 2;
    info->tsc_khz = 2400000;
    struct moat_sinfo_resource *r = add(info, "scratch", MOAT_RES_MEMORY);
    r->address = 0x100000000;
    r->size = 0x2000;
    r->flags = MOAT_RES_WRITABLE;
    r = add(info, "samples", MOAT_RES_CHANNEL);
    r->address = 0x100002000;
    r->size = 0x1000;
    r->element_size = 16;
    r->protocol = 7;
    r = add(info, "filtered", MOAT_RES_CHANNEL);
    r->flags = MOAT_RES_WRITER | MOAT_RES_WRITABLE;
    r->address = 0x100003000;
    r->size = 0x1000;
    r->element_size = 32;
    r->protocol = 8;
    r = add(info, "data_ready", MOAT_RES_EVENT_SEND);
    r->id = 3;
    r = add(info, "new_sample", MOAT_RES_EVENT_RECV);
    r->id = 5;
    r = add(info, "uart", MOAT_RES_IRQ);
    r->id = 9;
    r->line = 4;
    r = add(info, "com1", MOAT_RES_IOPORT);
    r->address = 0x3f8;
    r->size = 8;
    return info;
}

static void finds_each_resource_kind_by_name(void **state)
{
    (void)state;
    struct moat_sinfo *info = sample_page(8192);
    assert_int_equal(moat_sinfo_attach(info, 8192), MOAT_SINFO_OK);
    assert_string_equal(moat_subject_name(), "filter");
    assert_string_equal(moat_system_name(), "pipeline");
    assert_int_equal(moat_cpu(), 2);
    assert_int_equal(moat_tsc_khz(), 2400000);

    struct moat_region region;
    assert_int_equal(moat_memory("scratch", &region), 0);
    assert_int_equal(region.address, 0x100000000);
    assert_int_equal(region.size, 0x2000);
    assert_true(region.writable);
    assert_false(region.executable);

    struct moat_channel_info ch;
    assert_int_equal(moat_channel("samples", &ch), 0);
    assert_int_equal(ch.address, 0x100002000);
    assert_int_equal(ch.element_size, 16);
    assert_int_equal(ch.protocol, 7);
    assert_false(ch.writer);
    assert_int_equal(moat_channel("filtered", &ch), 0);
    assert_true(ch.writer);

    assert_int_equal(moat_event("data_ready"), 3);
    assert_int_equal(moat_event("new_sample"), 5);
    assert_int_equal(moat_event("uart"), 9);
    assert_int_equal(moat_event_incoming("data_ready"), -1);
    assert_int_equal(moat_event_outgoing("new_sample"), -1);

    uint16_t base;
    uint16_t count;
    assert_int_equal(moat_ioport("com1", &base, &count), 0);
    assert_int_equal(base, 0x3f8);
    assert_int_equal(count, 8);
}

static void refuses_unknown_names_and_other_kinds(void **state)
{
    (void)state;
    struct moat_sinfo *info = sample_page(8192);
    assert_int_equal(moat_sinfo_attach(info, 8192), MOAT_SINFO_OK);
    struct moat_region region;
    struct moat_channel_info ch;
    assert_int_equal(moat_memory("samples", &region), -1);
    assert_int_equal(moat_channel("scratch", &ch), -1);
    assert_int_equal(moat_channel("sample", &ch), -1);
    assert_int_equal(moat_channel("samples2", &ch), -1);
    assert_int_equal(moat_channel("", &ch), -1);
    assert_int_equal(moat_channel(NULL, &ch), -1);
    assert_int_equal(moat_event("scratch"), -1);
    assert_int_equal(moat_event("nothing"), -1);
}

static void iterates_channels_in_page_order(void **state)
{
    (void)state;
    struct moat_sinfo *info = sample_page(8192);
    assert_int_equal(moat_sinfo_attach(info, 8192), MOAT_SINFO_OK);
    char name[MOAT_NAME_MAX];
    struct moat_channel_info ch;
    assert_int_equal(moat_channel_at(0, name, &ch), 0);
    assert_string_equal(name, "samples");
    assert_int_equal(moat_channel_at(1, name, &ch), 0);
    assert_string_equal(name, "filtered");
    assert_true(ch.writer);
    assert_int_equal(moat_channel_at(2, name, &ch), -1);
}

static void rejects_bad_magic_version_and_tiny_pages(void **state)
{
    (void)state;
    struct moat_sinfo *info = sample_page(4096);
    assert_int_equal(moat_sinfo_attach(NULL, 4096), MOAT_SINFO_ERR_MISSING);
    assert_int_equal(moat_sinfo_attach(info, sizeof(*info) - 1), MOAT_SINFO_ERR_MISSING);
    assert_int_equal(moat_sinfo_attach((char *)info + 4, 4000), MOAT_SINFO_ERR_MISSING);
    info->version = MOAT_SINFO_VERSION + 1;
    assert_int_equal(moat_sinfo_attach(info, 4096), MOAT_SINFO_ERR_VERSION);
    /* After a failed attach nothing is found and names are empty. */
    struct moat_channel_info ch;
    assert_int_equal(moat_channel("samples", &ch), -1);
    assert_string_equal(moat_subject_name(), "");
    assert_int_equal(moat_tsc_khz(), 0);
    info->version = MOAT_SINFO_VERSION;
    info->magic ^= 1;
    assert_int_equal(moat_sinfo_attach(info, 4096), MOAT_SINFO_ERR_MAGIC);
    assert_int_equal(moat_event("data_ready"), -1);
}

static void clamps_a_resource_count_larger_than_the_page(void **state)
{
    (void)state;
    /* Room for the header and exactly two records; the page claims a million. */
    size_t size = sizeof(struct moat_sinfo) + 2 * sizeof(struct moat_sinfo_resource);
    struct moat_sinfo *info = guarded_page(size);
    memset(info, 0, size);
    info->magic = MOAT_SINFO_MAGIC;
    info->version = MOAT_SINFO_VERSION;
    add(info, "a", MOAT_RES_EVENT_SEND)->id = 1;
    add(info, "b", MOAT_RES_EVENT_SEND)->id = 2;
    info->resource_count = 1000000;
    assert_int_equal(moat_sinfo_attach(info, size), MOAT_SINFO_OK);
    assert_int_equal(moat_event("b"), 2);
    /* A miss walks every record that fits and stops at the guard page. */
    assert_int_equal(moat_event("c"), -1);
    char name[MOAT_NAME_MAX];
    struct moat_channel_info ch;
    assert_int_equal(moat_channel_at(0, name, &ch), -1);
}

static void never_reads_past_names_without_nul(void **state)
{
    (void)state;
    size_t size = sizeof(struct moat_sinfo) + sizeof(struct moat_sinfo_resource);
    struct moat_sinfo *info = guarded_page(size);
    memset(info, 'x', size);
    info->magic = MOAT_SINFO_MAGIC;
    info->version = MOAT_SINFO_VERSION;
    info->resource_count = 1;
    info->resources[0].kind = MOAT_RES_CHANNEL;
    assert_int_equal(moat_sinfo_attach(info, size), MOAT_SINFO_OK);
    /* The subject name is cut to MOAT_NAME_MAX - 1 characters and terminated. */
    assert_int_equal(strlen(moat_subject_name()), MOAT_NAME_MAX - 1);
    /* A record name filling all 64 bytes matches nothing, not even 64 x's. */
    char query[MOAT_NAME_MAX + 1];
    memset(query, 'x', MOAT_NAME_MAX);
    query[MOAT_NAME_MAX] = '\0';
    struct moat_channel_info ch;
    assert_int_equal(moat_channel(query, &ch), -1);
    query[MOAT_NAME_MAX - 1] = '\0';
    assert_int_equal(moat_channel(query, &ch), -1);
    /* Iteration returns a terminated copy of such a name. */
    char name[MOAT_NAME_MAX];
    assert_int_equal(moat_channel_at(0, name, &ch), 0);
    assert_int_equal(strlen(name), MOAT_NAME_MAX - 1);
}

static void rejects_io_port_ranges_beyond_64k(void **state)
{
    (void)state;
    struct moat_sinfo *info = sample_page(4096);
    add(info, "wide", MOAT_RES_IOPORT)->address = 0xfff8;
    info->resources[info->resource_count - 1].size = 16;
    assert_int_equal(moat_sinfo_attach(info, 4096), MOAT_SINFO_OK);
    uint16_t base;
    uint16_t count;
    assert_int_equal(moat_ioport("wide", &base, &count), -1);
}

static void sets_up_channels_in_the_direction_the_policy_gives(void **state)
{
    (void)state;
    static uint64_t chan_mem[2][512];
    struct moat_sinfo *info = sample_page(4096);
    info->resources[1].address = (uint64_t)(uintptr_t)chan_mem[0];
    info->resources[2].address = (uint64_t)(uintptr_t)chan_mem[1];
    assert_int_equal(moat_sinfo_attach(info, 4096), MOAT_SINFO_OK);
    struct channel_writer w;
    struct channel_reader r;
    assert_int_equal(moat_channel_writer("samples", &w, 1), -1);
    assert_int_equal(moat_channel_reader("filtered", &r), -1);
    assert_int_equal(moat_channel_writer("nope", &w, 1), -1);
    assert_int_equal(moat_channel_writer("filtered", &w, 77), 0);
    assert_int_equal(chan_mem[1][1], 77); /* epoch published */
    assert_int_equal(chan_mem[1][2], 8);  /* protocol */
    assert_int_equal(moat_channel_reader("samples", &r), 0);
    char element[16];
    assert_int_equal(channel_read(&r, element), CHANNEL_INACTIVE);
}

static void start_check_maps_each_refusal_to_its_exit_status(void **state)
{
    (void)state;
    struct moat_sinfo *info = sample_page(4096);
    info->version = MOAT_SINFO_VERSION + 1;
    assert_int_equal(sdk_start_exit_status(moat_sinfo_attach(info, 4096)),
                     MOAT_SDK_EXIT_SINFO_VERSION);
    info->magic = 0;
    assert_int_equal(sdk_start_exit_status(moat_sinfo_attach(info, 4096)),
                     MOAT_SDK_EXIT_SINFO_MAGIC);
    assert_int_equal(sdk_start_exit_status(moat_sinfo_attach(NULL, 0)),
                     MOAT_SDK_EXIT_SINFO_MISSING);
    /* Distinct, and far from statuses a main() would return. */
    assert_true(MOAT_SDK_EXIT_SINFO_MISSING > 255 && MOAT_SDK_EXIT_SINFO_MAGIC > 255 &&
                MOAT_SDK_EXIT_SINFO_VERSION > 255);
    assert_int_not_equal(MOAT_SDK_EXIT_SINFO_MAGIC, MOAT_SDK_EXIT_SINFO_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_each_resource_kind_by_name),
        cmocka_unit_test(refuses_unknown_names_and_other_kinds),
        cmocka_unit_test(iterates_channels_in_page_order),
        cmocka_unit_test(rejects_bad_magic_version_and_tiny_pages),
        cmocka_unit_test(clamps_a_resource_count_larger_than_the_page),
        cmocka_unit_test(never_reads_past_names_without_nul),
        cmocka_unit_test(rejects_io_port_ranges_beyond_64k),
        cmocka_unit_test(sets_up_channels_in_the_direction_the_policy_gives),
        cmocka_unit_test(start_check_maps_each_refusal_to_its_exit_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
