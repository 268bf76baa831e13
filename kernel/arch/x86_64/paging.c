/*
 * The kernel's own page tables, built once at boot: an identity map of the first 4 GiB
 * (4 KiB pages with W^X by section for the kernel's 16 MiB, the tables blob read-only,
 * 2 MiB non-executable pages above, uncached above 3 GiB for the APICs), page 0 left unmapped, and the entry
 * trampoline at the same high virtual address as in every subject's page tables.
 */
#include "x86.h"

#define PTE_P   0x1ull
#define PTE_W   0x2ull
#define PTE_PWT 0x8ull
#define PTE_PCD 0x10ull
#define PTE_PS  0x80ull
#define PTE_NX  (1ull << 63)

#define PAGE_4K 0x1000ull
#define PAGE_2M 0x200000ull
#define KERNEL_PTS 8u /* 8 x 2 MiB = the kernel's 16 MiB in 4 KiB pages */

typedef uint64_t page_table_t[512] __attribute__((aligned(4096)));

static page_table_t pml4;
static page_table_t low_pdpt;
static page_table_t low_pd[4];
static page_table_t kernel_pt[KERNEL_PTS];
static page_table_t tramp_pdpt;
static page_table_t tramp_pd;
static page_table_t tramp_pt;

extern uint8_t __text_end[], __rodata_end[];

static uint64_t table_phys(const uint64_t *table)
{
    return (uint64_t)(uintptr_t)table;
}

static uint64_t kernel_page_flags(uint64_t phys)
{
    uint64_t nx = cpu_features.nx ? PTE_NX : 0u;
    if (phys < MOAT_KERNEL_PHYS_BASE) {
        return PTE_P | PTE_W | nx;
    }
    if (phys < (uint64_t)(uintptr_t)__text_end) {
        return PTE_P; /* kernel text: read, execute */
    }
    if (phys < (uint64_t)(uintptr_t)__rodata_end) {
        return PTE_P | nx;
    }
    if (phys >= MOAT_TRAMPOLINE_TEXT_PHYS && phys < MOAT_TRAMPOLINE_DATA_PHYS) {
        return PTE_P | nx; /* executed only through its high mapping */
    }
    if (phys >= MOAT_TABLES_PHYS && phys < MOAT_TABLES_PHYS + MOAT_TABLES_CAPACITY) {
        return PTE_P | nx; /* the tables blob: data, never written after the loader */
    }
    return PTE_P | PTE_W | nx;
}

uint64_t paging_init(void)
{
    uint64_t nx = cpu_features.nx ? PTE_NX : 0u;
    pml4[0] = table_phys(low_pdpt) | PTE_P | PTE_W;
    for (uint32_t g = 0; g < 4u; g++) {
        low_pdpt[g] = table_phys(low_pd[g]) | PTE_P | PTE_W;
        for (uint32_t i = 0; i < 512u; i++) {
            uint64_t phys = ((uint64_t)g * 512u + i) * PAGE_2M;
            uint64_t cache = g == 3u ? PTE_PCD | PTE_PWT : 0u;
            low_pd[g][i] = phys | PTE_P | PTE_W | PTE_PS | nx | cache;
        }
    }
    for (uint32_t t = 0; t < KERNEL_PTS; t++) {
        low_pd[0][t] = table_phys(kernel_pt[t]) | PTE_P | PTE_W;
        for (uint32_t i = 0; i < 512u; i++) {
            uint64_t phys = ((uint64_t)t * 512u + i) * PAGE_4K;
            kernel_pt[t][i] = phys == 0u ? 0u : phys | kernel_page_flags(phys);
        }
    }

    /* The trampoline: text RX, data RW NX, both supervisor, 4 KiB pages. */
    pml4[(MOAT_TRAMPOLINE_VIRT >> 39) & 511u] = table_phys(tramp_pdpt) | PTE_P | PTE_W;
    tramp_pdpt[(MOAT_TRAMPOLINE_VIRT >> 30) & 511u] = table_phys(tramp_pd) | PTE_P | PTE_W;
    tramp_pd[(MOAT_TRAMPOLINE_VIRT >> 21) & 511u] = table_phys(tramp_pt) | PTE_P | PTE_W;
    uint32_t first = (uint32_t)((MOAT_TRAMPOLINE_VIRT >> 12) & 511u);
    uint32_t text_pages = (uint32_t)(MOAT_TRAMPOLINE_TEXT_SIZE / PAGE_4K);
    uint32_t data_pages = (uint32_t)(MOAT_TRAMPOLINE_DATA_SIZE / PAGE_4K);
    for (uint32_t i = 0; i < text_pages; i++) {
        tramp_pt[first + i] = (MOAT_TRAMPOLINE_TEXT_PHYS + i * PAGE_4K) | PTE_P;
    }
    for (uint32_t i = 0; i < data_pages; i++) {
        tramp_pt[first + text_pages + i] =
            (MOAT_TRAMPOLINE_DATA_PHYS + i * PAGE_4K) | PTE_P | PTE_W | nx;
    }
    return table_phys(pml4);
}
