/*
 * Host test kit: in-memory channels, a fake sinfo page and moat_test_reset() (see
 * <moat/testkit.h>). The page a test attaches is copied into the kit's own storage, so
 * a test's page on its stack cannot dangle once the test returns.
 */
#include <stdlib.h>
#include <string.h>

#include <moat/subject.h>
#include <moat/testkit.h>

#include "sdk_internal.h"
#include "testkit_internal.h"

/* The page the lookups use, and what <moat/subject.h> names for code that reads it. */
static struct moat_test_sinfo testkit_page;
static bool testkit_page_attached;
const struct moat_sinfo *moat_sinfo_page;

#define TEST_PAGE_ALIGN 4096u

int moat_test_channel_create(struct moat_test_channel *c, size_t elements, size_t element_size,
                             uint64_t protocol)
{
    memset(c, 0, sizeof(*c));
    if (elements == 0 || element_size == 0 || element_size > (SIZE_MAX - 64) / elements) {
        return -1;
    }
    size_t size = CHANNEL_HEADER_SIZE + elements * element_size;
    size_t alloc = (size + TEST_PAGE_ALIGN - 1) / TEST_PAGE_ALIGN * TEST_PAGE_ALIGN;
    void *mem = aligned_alloc(TEST_PAGE_ALIGN, alloc);
    if (mem == NULL) {
        return -1;
    }
    memset(mem, 0, alloc);
    c->mem = mem;
    c->size = size;
    int r = channel_writer_init(&c->writer, mem, size, protocol, element_size, 1);
    if (r == 0) {
        r = channel_reader_init(&c->reader, mem, size, protocol, element_size);
    }
    if (r != 0) {
        moat_test_channel_destroy(c);
    }
    return r;
}

/* The attached page's resource count, clamped to what the page holds. */
static uint32_t testkit_resource_count(const struct moat_sinfo *info)
{
    size_t cap = (sizeof(testkit_page.page) - sizeof(*info)) / sizeof(struct moat_sinfo_resource);
    if (info == NULL) {
        return 0;
    }
    return info->resource_count < cap ? info->resource_count : (uint32_t)cap;
}

static bool testkit_page_lists(const void *mem)
{
    const struct moat_sinfo *info = testkit_attached_page();
    for (uint32_t i = 0; i < testkit_resource_count(info); i++) {
        if (info->resources[i].kind == MOAT_RES_CHANNEL &&
            info->resources[i].address == (uint64_t)(uintptr_t)mem) {
            return true;
        }
    }
    return false;
}

void moat_test_channel_destroy(struct moat_test_channel *c)
{
    /* Nothing may go on using the memory: not the page's lookups, not moat_log(). */
    if (c->mem != NULL && testkit_page_lists(c->mem)) {
        testkit_sinfo_detach();
    }
    if (c->mem != NULL && sdk_log_writes_to(c->mem)) {
        moat_log_use(NULL);
    }
    free(c->mem);
    memset(c, 0, sizeof(*c));
}

static struct moat_sinfo *test_info(struct moat_test_sinfo *s)
{
    return (struct moat_sinfo *)(void *)s->page;
}

static void test_put_name(char dst[MOAT_NAME_MAX], const char *name)
{
    memset(dst, 0, MOAT_NAME_MAX);
    size_t len = strnlen(name, MOAT_NAME_MAX - 1);
    memcpy(dst, name, len);
}

void moat_test_sinfo_init(struct moat_test_sinfo *s, const char *subject_name)
{
    memset(s, 0, sizeof(*s));
    struct moat_sinfo *info = test_info(s);
    info->magic = MOAT_SINFO_MAGIC;
    info->version = MOAT_SINFO_VERSION;
    test_put_name(info->subject_name, subject_name);
    test_put_name(info->system_name, "host-test");
    info->tsc_khz = 1000000;
}

static struct moat_sinfo_resource *test_add(struct moat_test_sinfo *s, const char *name,
                                            uint32_t kind)
{
    struct moat_sinfo *info = test_info(s);
    size_t cap = (sizeof(s->page) - sizeof(*info)) / sizeof(struct moat_sinfo_resource);
    if (info->resource_count >= cap) {
        return NULL;
    }
    struct moat_sinfo_resource *r = &info->resources[info->resource_count++];
    test_put_name(r->name, name);
    r->kind = kind;
    return r;
}

int moat_test_sinfo_add_channel(struct moat_test_sinfo *s, const char *name,
                                const struct moat_test_channel *c, bool writer)
{
    struct moat_sinfo_resource *r = test_add(s, name, MOAT_RES_CHANNEL);
    if (r == NULL) {
        return -1;
    }
    r->flags = writer ? (MOAT_RES_WRITER | MOAT_RES_WRITABLE) : 0;
    r->address = (uint64_t)(uintptr_t)c->mem;
    r->size = c->size;
    r->element_size = c->writer.element_size;
    r->protocol = c->reader.protocol;
    return 0;
}

int moat_test_sinfo_add_memory(struct moat_test_sinfo *s, const char *name, void *mem, size_t size,
                               bool writable)
{
    struct moat_sinfo_resource *r = test_add(s, name, MOAT_RES_MEMORY);
    if (r == NULL) {
        return -1;
    }
    r->flags = writable ? MOAT_RES_WRITABLE : 0;
    r->address = (uint64_t)(uintptr_t)mem;
    r->size = size;
    return 0;
}

int moat_test_sinfo_add_event(struct moat_test_sinfo *s, const char *name, unsigned id,
                              bool outgoing)
{
    struct moat_sinfo_resource *r =
        test_add(s, name, outgoing ? MOAT_RES_EVENT_SEND : MOAT_RES_EVENT_RECV);
    if (r == NULL) {
        return -1;
    }
    r->id = id;
    return 0;
}

int moat_test_sinfo_attach(struct moat_test_sinfo *s)
{
    if (s != &testkit_page) {
        memcpy(&testkit_page, s, sizeof(testkit_page));
    }
    int r = moat_sinfo_attach(testkit_page.page, sizeof(testkit_page.page));
    testkit_page_attached = r == MOAT_SINFO_OK;
    moat_sinfo_page = testkit_page_attached ? test_info(&testkit_page) : NULL;
    if (!testkit_log_capturing()) {
        moat_log_use(NULL);
    }
    return r;
}

const struct moat_sinfo *testkit_attached_page(void)
{
    return testkit_page_attached ? test_info(&testkit_page) : NULL;
}

bool testkit_page_has_id(uint32_t kind, unsigned id)
{
    const struct moat_sinfo *info = testkit_attached_page();
    for (uint32_t i = 0; i < testkit_resource_count(info); i++) {
        if (info->resources[i].kind == kind && info->resources[i].id == id) {
            return true;
        }
    }
    return false;
}

void testkit_sinfo_detach(void)
{
    (void)moat_sinfo_attach(NULL, 0);
    testkit_page_attached = false;
    moat_sinfo_page = NULL;
    if (!testkit_log_capturing()) {
        moat_log_use(NULL);
    }
}

void moat_test_reset(void)
{
    testkit_log_reset();
    testkit_sinfo_detach();
    testkit_kernel_reset();
}

int moat_test_setup(void **state)
{
    (void)state;
    moat_test_reset();
    return 0;
}
