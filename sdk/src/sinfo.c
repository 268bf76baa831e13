/*
 * Resource lookup by name in the subject info page. The page is trusted to come from
 * moat-polc, but every access is still bounded by the mapped size: the resource count
 * is clamped to what fits and names are compared only up to MOAT_NAME_MAX bytes.
 */
#include <string.h>

#include <moat/sinfo.h>
#include <moat/version.h>

#include "sdk_internal.h"

static struct {
    const struct moat_sinfo *page; /* NULL until a valid page is attached */
    uint32_t resource_count;       /* records that lie inside the mapping */
    char subject_name[MOAT_NAME_MAX];
    char system_name[MOAT_NAME_MAX];
} sinfo_state;

static bool sinfo_default_tried;

/* A NUL-terminated copy of a fixed-size name field that may lack its NUL. */
static void sinfo_copy_name(char dst[MOAT_NAME_MAX], const char src[MOAT_NAME_MAX])
{
    size_t len = strnlen(src, MOAT_NAME_MAX - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

int moat_sinfo_attach(const void *page, size_t size)
{
    memset(&sinfo_state, 0, sizeof(sinfo_state));
    sinfo_default_tried = true;
    const struct moat_sinfo *info = page;
    if (info == NULL || size < sizeof(*info) || ((uintptr_t)page % 8u) != 0) {
        return MOAT_SINFO_ERR_MISSING;
    }
    if (info->magic != MOAT_SINFO_MAGIC) {
        return MOAT_SINFO_ERR_MAGIC;
    }
    if (info->version != MOAT_SINFO_VERSION) {
        return MOAT_SINFO_ERR_VERSION;
    }
    size_t fit = (size - sizeof(*info)) / sizeof(struct moat_sinfo_resource);
    sinfo_state.resource_count = info->resource_count < fit ? info->resource_count : (uint32_t)fit;
    sinfo_copy_name(sinfo_state.subject_name, info->subject_name);
    sinfo_copy_name(sinfo_state.system_name, info->system_name);
    sinfo_state.page = info;
    return MOAT_SINFO_OK;
}

uint64_t sdk_start_exit_status(int attach_result)
{
    switch (attach_result) {
    case MOAT_SINFO_ERR_MAGIC:
        return MOAT_SDK_EXIT_SINFO_MAGIC;
    case MOAT_SINFO_ERR_VERSION:
        return MOAT_SDK_EXIT_SINFO_VERSION;
    default:
        return MOAT_SDK_EXIT_SINFO_MISSING;
    }
}

static const struct moat_sinfo *sinfo_page(void)
{
    if (sinfo_state.page == NULL && !sinfo_default_tried) {
        sinfo_default_tried = true;
        sdk_attach_default_sinfo();
    }
    return sinfo_state.page;
}

/* True when the record's name is exactly name; a record name without NUL never matches. */
static bool sinfo_name_is(const struct moat_sinfo_resource *r, const char *name)
{
    size_t len = strnlen(r->name, MOAT_NAME_MAX);
    return len < MOAT_NAME_MAX && strnlen(name, MOAT_NAME_MAX) == len &&
           memcmp(r->name, name, len) == 0;
}

/* The first record of one of the two kinds with that name, or NULL. */
static const struct moat_sinfo_resource *sinfo_find(const char *name, uint32_t kind_a,
                                                    uint32_t kind_b)
{
    const struct moat_sinfo *info = sinfo_page();
    if (info == NULL || name == NULL) {
        return NULL;
    }
    for (uint32_t i = 0; i < sinfo_state.resource_count; i++) {
        const struct moat_sinfo_resource *r = &info->resources[i];
        if ((r->kind == kind_a || r->kind == kind_b) && sinfo_name_is(r, name)) {
            return r;
        }
    }
    return NULL;
}

const char *moat_subject_name(void)
{
    (void)sinfo_page();
    return sinfo_state.subject_name;
}

const char *moat_system_name(void)
{
    (void)sinfo_page();
    return sinfo_state.system_name;
}

unsigned moat_cpu(void)
{
    const struct moat_sinfo *info = sinfo_page();
    return info == NULL ? 0 : info->cpu;
}

uint64_t moat_tsc_khz(void)
{
    const struct moat_sinfo *info = sinfo_page();
    return info == NULL ? 0 : info->tsc_khz;
}

int moat_memory(const char *name, struct moat_region *out)
{
    const struct moat_sinfo_resource *r = sinfo_find(name, MOAT_RES_MEMORY, MOAT_RES_MEMORY);
    if (r == NULL || out == NULL) {
        return -1;
    }
    out->address = r->address;
    out->size = r->size;
    out->writable = (r->flags & MOAT_RES_WRITABLE) != 0;
    out->executable = (r->flags & MOAT_RES_EXECUTABLE) != 0;
    return 0;
}

static void sinfo_channel_info(const struct moat_sinfo_resource *r, struct moat_channel_info *out)
{
    out->address = r->address;
    out->size = r->size;
    out->element_size = r->element_size;
    out->protocol = r->protocol;
    out->writer = (r->flags & MOAT_RES_WRITER) != 0;
}

int moat_channel(const char *name, struct moat_channel_info *out)
{
    const struct moat_sinfo_resource *r = sinfo_find(name, MOAT_RES_CHANNEL, MOAT_RES_CHANNEL);
    if (r == NULL || out == NULL) {
        return -1;
    }
    sinfo_channel_info(r, out);
    return 0;
}

int moat_channel_at(unsigned index, char name[MOAT_NAME_MAX], struct moat_channel_info *out)
{
    const struct moat_sinfo *info = sinfo_page();
    if (info == NULL || out == NULL) {
        return -1;
    }
    unsigned seen = 0;
    for (uint32_t i = 0; i < sinfo_state.resource_count; i++) {
        const struct moat_sinfo_resource *r = &info->resources[i];
        if (r->kind != MOAT_RES_CHANNEL) {
            continue;
        }
        if (seen == index) {
            if (name != NULL) {
                sinfo_copy_name(name, r->name);
            }
            sinfo_channel_info(r, out);
            return 0;
        }
        seen++;
    }
    return -1;
}

/* Event ids are below MOAT_MAX_EVENTS in a valid page; anything else is not an id. */
static int sinfo_event_id(const struct moat_sinfo_resource *r)
{
    return r == NULL || r->id > (uint32_t)INT32_MAX ? -1 : (int)r->id;
}

int moat_event_outgoing(const char *name)
{
    return sinfo_event_id(sinfo_find(name, MOAT_RES_EVENT_SEND, MOAT_RES_EVENT_SEND));
}

int moat_event_incoming(const char *name)
{
    return sinfo_event_id(sinfo_find(name, MOAT_RES_EVENT_RECV, MOAT_RES_IRQ));
}

int moat_event(const char *name)
{
    int id = moat_event_outgoing(name);
    return id >= 0 ? id : moat_event_incoming(name);
}

int moat_ioport(const char *name, uint16_t *base, uint16_t *count)
{
    const struct moat_sinfo_resource *r = sinfo_find(name, MOAT_RES_IOPORT, MOAT_RES_IOPORT);
    if (r == NULL || base == NULL || count == NULL || r->address > 0xffffu ||
        r->size > 0x10000u - r->address || r->size > 0xffffu) {
        return -1;
    }
    *base = (uint16_t)r->address;
    *count = (uint16_t)r->size;
    return 0;
}

int moat_channel_writer(const char *name, struct channel_writer *w, uint64_t epoch)
{
    struct moat_channel_info info;
    if (moat_channel(name, &info) != 0 || !info.writer) {
        return -1;
    }
    return channel_writer_init(w, (void *)(uintptr_t)info.address, (size_t)info.size, info.protocol,
                               (size_t)info.element_size, epoch);
}

int moat_channel_reader(const char *name, struct channel_reader *r)
{
    struct moat_channel_info info;
    if (moat_channel(name, &info) != 0 || info.writer) {
        return -1;
    }
    return channel_reader_init(r, (const void *)(uintptr_t)info.address, (size_t)info.size,
                               info.protocol, (size_t)info.element_size);
}
