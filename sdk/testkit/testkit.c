/*
 * Host test kit: in-memory channels and a fake sinfo page (see <moat/testkit.h>).
 */
#include <stdlib.h>
#include <string.h>

#include <moat/testkit.h>

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

void moat_test_channel_destroy(struct moat_test_channel *c)
{
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
    return moat_sinfo_attach(s->page, sizeof(s->page));
}

int moat_test_log_capture(struct moat_test_channel *c)
{
    int r = moat_test_channel_create(c, 256, sizeof(struct moat_log_record), MOAT_LOG_PROTOCOL);
    if (r == 0) {
        moat_log_use(&c->writer);
    }
    return r;
}

int moat_test_log_next(struct moat_test_channel *c, char *line, size_t line_size)
{
    if (line_size == 0) {
        return -1;
    }
    size_t len = 0;
    line[0] = '\0';
    for (;;) {
        struct moat_log_record rec;
        enum channel_result res = channel_read(&c->reader, &rec);
        if (res == CHANNEL_EPOCH_CHANGED) {
            continue;
        }
        if (res != CHANNEL_SUCCESS) {
            return -1;
        }
        size_t n = rec.length < MOAT_LOG_TEXT_MAX ? rec.length : MOAT_LOG_TEXT_MAX;
        if (n > line_size - 1 - len) {
            n = line_size - 1 - len;
        }
        memcpy(line + len, rec.text, n);
        len += n;
        line[len] = '\0';
        if ((rec.flags & MOAT_LOG_CONTINUED) == 0) {
            return 0;
        }
    }
}
