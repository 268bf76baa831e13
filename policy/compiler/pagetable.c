/*
 * Page tables: each subject gets its own 4-level tables (4 KiB pages) in one physical
 * region, the top-level table (CR3) first. Leaves carry exactly the mapping's rights:
 * user bit on subject pages only, writable only when granted, NX on everything not
 * executable. Accessed/dirty bits are preset so the CPU never writes to the tables.
 * Where a mapping covers a whole 2 MiB-aligned range whose physical address is 2 MiB-
 * aligned too (large zero-filled regions are placed so), one 2 MiB page replaces a page
 * table; the entry trampoline and image segments always use 4 KiB pages.
 */
#include <stdlib.h>
#include <string.h>

#include "polc.h"

#define PTE_P   0x1ULL
#define PTE_RW  0x2ULL
#define PTE_US  0x4ULL
#define PTE_A   0x20ULL
#define PTE_D   0x40ULL
#define PTE_PS  0x80ULL
#define PTE_NX  (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

struct polc_span {
    uint64_t first;
    uint64_t last;
};

static int polc_span_cmp(const void *a, const void *b)
{
    const struct polc_span *x = a;
    const struct polc_span *y = b;
    return x->first < y->first ? -1 : x->first > y->first ? 1 : 0;
}

/* How many distinct tables cover the mapped ranges at one level (union of index spans). */
static uint64_t polc_tables_at(const struct polc_subject *s, unsigned shift)
{
    struct polc_span *spans = calloc(s->map_count + 1, sizeof(*spans));
    if (spans == NULL) {
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < s->map_count; i++) {
        const struct polc_mapping *m = &s->maps[i];
        if (m->size == 0) {
            continue;
        }
        spans[n].first = m->virt >> shift;
        spans[n].last = (m->virt + m->size - 1) >> shift;
        n++;
    }
    qsort(spans, n, sizeof(*spans), polc_span_cmp);
    uint64_t count = 0;
    uint64_t covered_to = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        uint64_t first = spans[i].first;
        if (any && first <= covered_to) {
            first = covered_to + 1;
        }
        if (!any || spans[i].last > covered_to) {
            if (first <= spans[i].last) {
                count += spans[i].last - first + 1;
            }
            covered_to = spans[i].last;
            any = true;
        }
    }
    free(spans);
    return count;
}

bool polc_map_large(const struct polc_mapping *m)
{
    const struct polc_region *r = m->region;
    if (!m->user || r == NULL || !r->large) {
        return false;
    }
    paddr_t phys = r->pinned ? r->phys : 0; /* unpinned large regions are 2 MiB-aligned */
    return m->virt % POLC_LARGE_PAGE == phys % POLC_LARGE_PAGE;
}

/* The 2 MiB ranges a mapping covers whole and maps with 2 MiB pages. */
static uint64_t polc_large_pages(const struct polc_mapping *m)
{
    if (!polc_map_large(m)) {
        return 0;
    }
    uint64_t first = (m->virt + POLC_LARGE_PAGE - 1) / POLC_LARGE_PAGE;
    uint64_t end = (m->virt + m->size) / POLC_LARGE_PAGE;
    return end > first ? end - first : 0;
}

uint64_t polc_pagetable_pages(const struct polc_subject *s)
{
    /* One PML4, plus one PDPT per 512G, one PD per 1G, one PT per 2M touched, except the
     * 2M ranges mapped by a large page (mappings never overlap, so they are distinct). */
    uint64_t large = 0;
    for (size_t i = 0; i < s->map_count; i++) {
        large += polc_large_pages(&s->maps[i]);
    }
    return 1 + polc_tables_at(s, 39) + polc_tables_at(s, 30) + polc_tables_at(s, 21) - large;
}

static uint64_t polc_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static void polc_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

struct polc_pt_builder {
    uint8_t *out;
    paddr_t base;
    uint64_t next_page;
    uint64_t page_count;
};

/* The table an entry points to, creating it when the entry is empty. */
static uint64_t polc_next_table(struct polc_pt_builder *b, uint64_t table, unsigned index)
{
    uint8_t *entry = b->out + table * MOAT_PAGE_SIZE + index * 8u;
    uint64_t value = polc_get64(entry);
    if ((value & PTE_P) != 0) {
        return ((value & PTE_ADDR) - b->base) / MOAT_PAGE_SIZE;
    }
    uint64_t page = b->next_page++;
    if (page >= b->page_count) {
        abort(); /* polc_pagetable_pages() counted wrong: a compiler bug */
    }
    polc_put64(entry, (b->base + page * MOAT_PAGE_SIZE) | PTE_P | PTE_RW | PTE_US | PTE_A);
    return page;
}

void polc_pagetable_build(const struct polc_subject *s, uint8_t *out)
{
    struct polc_pt_builder b = {
        .out = out,
        .base = s->pagetable->phys,
        .next_page = 1,
        .page_count = s->pagetable->size / MOAT_PAGE_SIZE,
    };
    memset(out, 0, s->pagetable->size);
    for (size_t i = 0; i < s->map_count; i++) {
        const struct polc_mapping *m = &s->maps[i];
        paddr_t phys = m->region != NULL ? m->region->phys : m->fixed_phys;
        uint64_t flags = PTE_P | PTE_A;
        if ((m->perm & POLC_W) != 0) {
            flags |= PTE_RW | PTE_D;
        }
        if (m->user) {
            flags |= PTE_US;
        }
        if ((m->perm & POLC_X) == 0) {
            flags |= PTE_NX;
        }
        bool large = polc_map_large(m);
        for (uint64_t off = 0; off < m->size; off += MOAT_PAGE_SIZE) {
            vaddr_t va = m->virt + off;
            uint64_t pdpt = polc_next_table(&b, 0, (unsigned)((va >> 39) & 511));
            uint64_t pd = polc_next_table(&b, pdpt, (unsigned)((va >> 30) & 511));
            if (large && va % POLC_LARGE_PAGE == 0 && m->size - off >= POLC_LARGE_PAGE) {
                uint8_t *pde = out + pd * MOAT_PAGE_SIZE + ((va >> 21) & 511) * 8u;
                polc_put64(pde, ((phys + off) & PTE_ADDR) | flags | PTE_PS);
                off += POLC_LARGE_PAGE - MOAT_PAGE_SIZE;
                continue;
            }
            uint64_t pt = polc_next_table(&b, pd, (unsigned)((va >> 21) & 511));
            uint8_t *entry = out + pt * MOAT_PAGE_SIZE + ((va >> 12) & 511) * 8u;
            polc_put64(entry, ((phys + off) & PTE_ADDR) | flags);
        }
    }
    if (b.next_page != b.page_count) {
        abort(); /* polc_pagetable_pages() counted wrong: a compiler bug */
    }
}
