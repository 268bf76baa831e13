/*
 * Small helpers every stage uses: the per-run arena, the growable buffer, numbers with
 * units (checked for overflow), diagnostics and file reading.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polc.h"

struct polc_arena_block {
    struct polc_arena_block *next;
    max_align_t align[];
};

static void polc_out_of_memory(void)
{
    fputs("moat-polc: out of memory\n", stderr);
    exit(2);
}

void *polc_alloc(struct polc_arena *arena, size_t size)
{
    if (size > SIZE_MAX - sizeof(struct polc_arena_block)) {
        polc_out_of_memory();
    }
    struct polc_arena_block *block = calloc(1, sizeof(*block) + size);
    if (block == NULL) {
        polc_out_of_memory();
    }
    block->next = arena->head;
    arena->head = block;
    return block->align;
}

char *polc_strdup(struct polc_arena *arena, const char *s)
{
    size_t len = strlen(s);
    char *copy = polc_alloc(arena, len + 1);
    memcpy(copy, s, len);
    return copy;
}

static void polc_buf_vprintf(struct polc_buf *buf, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

const char *polc_sprintf(struct polc_arena *arena, const char *fmt, ...)
{
    struct polc_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    polc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    const char *s = polc_strdup(arena, b.data != NULL ? (const char *)b.data : "");
    polc_buf_free(&b);
    return s;
}

static int polc_region_phys_cmp(const void *a, const void *b)
{
    const struct polc_region *x = *(const struct polc_region *const *)a;
    const struct polc_region *y = *(const struct polc_region *const *)b;
    return x->phys < y->phys ? -1 : x->phys > y->phys ? 1 : 0;
}

struct polc_region **polc_regions_by_phys(const struct polc_system *sys)
{
    struct polc_region **sorted = calloc(sys->region_count + 1, sizeof(*sorted));
    if (sorted == NULL) {
        polc_out_of_memory();
    }
    if (sys->region_count != 0) {
        memcpy(sorted, sys->regions, sys->region_count * sizeof(*sorted));
    }
    qsort(sorted, sys->region_count, sizeof(*sorted), polc_region_phys_cmp);
    return sorted;
}

void polc_arena_free(struct polc_arena *arena)
{
    struct polc_arena_block *block = arena->head;
    while (block != NULL) {
        struct polc_arena_block *next = block->next;
        free(block);
        block = next;
    }
    arena->head = NULL;
}

static void polc_buf_reserve(struct polc_buf *buf, size_t extra)
{
    if (extra > SIZE_MAX - buf->len - 1) {
        polc_out_of_memory();
    }
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap) {
        return;
    }
    size_t cap = buf->cap != 0 ? buf->cap : 256;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    uint8_t *data = realloc(buf->data, cap);
    if (data == NULL) {
        polc_out_of_memory();
    }
    buf->data = data;
    buf->cap = cap;
}

void polc_buf_append(struct polc_buf *buf, const void *data, size_t len)
{
    polc_buf_reserve(buf, len);
    if (len != 0) {
        memcpy(buf->data + buf->len, data, len);
    }
    buf->len += len;
    buf->data[buf->len] = 0;
}

void polc_buf_zero(struct polc_buf *buf, size_t len)
{
    polc_buf_reserve(buf, len);
    memset(buf->data + buf->len, 0, len);
    buf->len += len;
    buf->data[buf->len] = 0;
}

static void polc_buf_vprintf(struct polc_buf *buf, const char *fmt, va_list ap)
{
    char small[256];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(small, sizeof(small), fmt, copy);
    va_end(copy);
    if (n < 0) {
        return;
    }
    polc_buf_reserve(buf, (size_t)n);
    if ((size_t)n < sizeof(small)) {
        memcpy(buf->data + buf->len, small, (size_t)n + 1);
    } else {
        vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, ap);
    }
    buf->len += (size_t)n;
}

void polc_buf_printf(struct polc_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    polc_buf_vprintf(buf, fmt, ap);
    va_end(ap);
}

void polc_buf_free(struct polc_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void polc_error(struct polc_ctx *ctx, long line, const char *fmt, ...)
{
    va_list ap;
    if (line > 0) {
        polc_buf_printf(&ctx->messages, "%s:%ld: error: ", ctx->file, line);
    } else {
        polc_buf_printf(&ctx->messages, "%s: error: ", ctx->file);
    }
    va_start(ap, fmt);
    polc_buf_vprintf(&ctx->messages, fmt, ap);
    va_end(ap);
    polc_buf_append(&ctx->messages, "\n", 1);
    ctx->error_count++;
}

/* Edit distance, capped: names longer than 63 characters are not policy names. */
static size_t polc_distance(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    if (la > 63 || lb > 63) {
        return SIZE_MAX;
    }
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *polc_hint(struct polc_ctx *ctx, const char *name, const char *const *candidates,
                      size_t count)
{
    const char *best = NULL;
    size_t best_distance = 3; /* suggest only close matches */
    for (size_t i = 0; name != NULL && i < count; i++) {
        size_t d = polc_distance(name, candidates[i]);
        if (d < best_distance && d < strlen(name)) {
            best = candidates[i];
            best_distance = d;
        }
    }
    return best != NULL ? polc_sprintf(&ctx->arena, " (did you mean '%s'?)", best) : "";
}

bool polc_add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
    *sum = a + b;
    return *sum < a;
}

enum polc_num_status polc_parse_number(const char *s, uint64_t *out)
{
    uint64_t value = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (*s == 0) {
        return POLC_NUM_SYNTAX;
    }
    bool overflow = false;
    for (; *s != 0; s++) {
        unsigned digit;
        if (*s >= '0' && *s <= '9') {
            digit = (unsigned)(*s - '0');
        } else if (base == 16 && *s >= 'a' && *s <= 'f') {
            digit = (unsigned)(*s - 'a') + 10;
        } else if (base == 16 && *s >= 'A' && *s <= 'F') {
            digit = (unsigned)(*s - 'A') + 10;
        } else {
            return POLC_NUM_SYNTAX;
        }
        if (value > (UINT64_MAX - digit) / base) {
            overflow = true;
        }
        value = value * base + digit;
    }
    *out = value;
    return overflow ? POLC_NUM_OVERFLOW : POLC_NUM_OK;
}

/* Splits a number from its unit suffix and scales it, checking for overflow. */
static enum polc_num_status polc_parse_scaled(const char *s, const char *const *units,
                                              const uint64_t *scales, size_t unit_count,
                                              bool unit_required, uint64_t *out)
{
    char digits[128];
    size_t len = strlen(s);
    size_t unit_len = 0;
    uint64_t scale = 1;
    bool found = false;
    for (size_t i = 0; i < unit_count; i++) {
        size_t ul = strlen(units[i]);
        if (len > ul && strcmp(s + len - ul, units[i]) == 0) {
            unit_len = ul;
            scale = scales[i];
            found = true;
            break;
        }
    }
    if (!found && unit_required) {
        return POLC_NUM_SYNTAX;
    }
    if (len - unit_len >= sizeof(digits)) {
        /* Longer than any 64-bit number can be, unless it is all leading zeros. */
        size_t skip = 0;
        while (skip < len - unit_len && s[skip] == '0') {
            skip++;
        }
        if (len - unit_len - skip >= sizeof(digits)) {
            return POLC_NUM_OVERFLOW;
        }
        s += skip;
        len -= skip;
    }
    memcpy(digits, s, len - unit_len);
    digits[len - unit_len] = 0;
    uint64_t value;
    enum polc_num_status status = polc_parse_number(digits, &value);
    if (status != POLC_NUM_OK) {
        return status;
    }
    if (value != 0 && scale > UINT64_MAX / value) {
        return POLC_NUM_OVERFLOW;
    }
    *out = value * scale;
    return POLC_NUM_OK;
}

enum polc_num_status polc_parse_size(const char *s, uint64_t *out)
{
    static const char *const units[] = {"K", "M", "G"};
    static const uint64_t scales[] = {1ULL << 10, 1ULL << 20, 1ULL << 30};
    return polc_parse_scaled(s, units, scales, 3, false, out);
}

enum polc_num_status polc_parse_time_ns(const char *s, uint64_t *out)
{
    static const char *const units[] = {"ns", "us", "ms"};
    static const uint64_t scales[] = {1ULL, 1000ULL, 1000000ULL};
    return polc_parse_scaled(s, units, scales, 3, true, out);
}

void polc_format_size(char *out, size_t out_size, uint64_t size)
{
    if (size != 0 && size % (1ULL << 30) == 0) {
        snprintf(out, out_size, "%lluG", (unsigned long long)(size >> 30));
    } else if (size != 0 && size % (1ULL << 20) == 0) {
        snprintf(out, out_size, "%lluM", (unsigned long long)(size >> 20));
    } else if (size != 0 && size % (1ULL << 10) == 0) {
        snprintf(out, out_size, "%lluK", (unsigned long long)(size >> 10));
    } else {
        snprintf(out, out_size, "%llu", (unsigned long long)size);
    }
}

bool polc_read_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return false;
    }
    struct polc_buf buf = {0};
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        polc_buf_append(&buf, chunk, n);
    }
    bool ok = !ferror(f);
    fclose(f);
    if (!ok) {
        polc_buf_free(&buf);
        return false;
    }
    if (buf.data == NULL) {
        polc_buf_zero(&buf, 0);
    }
    *data = buf.data;
    *size = buf.len;
    return true;
}

/* FNV-1a, 64-bit: the name index's hash and the kernel file's identity in the report. */
uint64_t polc_fnv1a(const uint8_t *data, size_t size)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < size; i++) {
        h = (h ^ data[i]) * 0x100000001b3ULL;
    }
    return h;
}

struct polc_names {
    size_t mask; /* slots - 1, slots a power of two at least twice the capacity */
    const char **keys;
    long *values;
};

struct polc_names *polc_names_new(struct polc_arena *arena, size_t capacity)
{
    size_t slots = 16;
    while (slots < 2 * capacity + 2) {
        slots *= 2;
    }
    struct polc_names *n = polc_alloc(arena, sizeof(*n));
    n->mask = slots - 1;
    n->keys = polc_alloc(arena, slots * sizeof(*n->keys));
    n->values = polc_alloc(arena, slots * sizeof(*n->values));
    return n;
}

static size_t polc_names_slot(const struct polc_names *n, const char *name)
{
    size_t i = (size_t)polc_fnv1a((const uint8_t *)name, strlen(name)) & n->mask;
    while (n->keys[i] != NULL && strcmp(n->keys[i], name) != 0) {
        i = (i + 1) & n->mask;
    }
    return i;
}

long polc_names_get(const struct polc_names *n, const char *name)
{
    size_t i = polc_names_slot(n, name);
    return n->keys[i] != NULL ? n->values[i] : -1;
}

long polc_names_put(struct polc_names *n, const char *name, long value)
{
    size_t i = polc_names_slot(n, name);
    if (n->keys[i] != NULL) {
        return n->values[i];
    }
    n->keys[i] = name;
    n->values[i] = value;
    return -1;
}
