/*
 * The firmware memory map, from the PVH start_info or the Multiboot2 boot information,
 * copied into the kernel before anything else can overwrite it. arch_ram_covers answers
 * the core's question: is a policy region entirely usable RAM? Also where the ACPI RSDP
 * is, when the loader says (PVH rsdp_paddr, Multiboot2 ACPI tags).
 */
#include "x86.h"

#define PVH_MAGIC      0x336ec578u
#define MB2_BOOT_MAGIC 0x36d76289u
#define MB2_TAG_END    0u
#define MB2_TAG_MMAP   6u
#define MB2_TAG_ACPI1  14u
#define MB2_TAG_ACPI2  15u
#define E820_RAM       1u
#define RAM_MAX        64u

struct ram_range {
    paddr_t base;
    uint64_t size;
};

static struct ram_range ram[RAM_MAX];
static uint32_t ram_count;
static const char *protocol = "unknown";
static paddr_t rsdp;

struct pvh_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};

struct e820_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

static void ram_add(uint64_t base, uint64_t size, uint32_t type)
{
    if (type == E820_RAM && size != 0u && ram_count < RAM_MAX) {
        ram[ram_count].base = base;
        ram[ram_count].size = size;
        ram_count++;
    }
}

static void parse_pvh(const struct pvh_start_info *si)
{
    protocol = "PVH";
    rsdp = si->rsdp_paddr;
    if (si->version < 1u) {
        return;
    }
    const struct e820_entry *e = (const struct e820_entry *)(uintptr_t)si->memmap_paddr;
    for (uint32_t i = 0; i < si->memmap_entries && i < 256u; i++) {
        ram_add(e[i].addr, e[i].size, e[i].type);
    }
}

static void parse_mb2(uint64_t info)
{
    protocol = "Multiboot2";
    uint32_t total = *(const uint32_t *)(uintptr_t)info;
    uint64_t off = 8;
    for (uint32_t n = 0; n < 256u && off + 8u <= total; n++) {
        const uint32_t *tag = (const uint32_t *)(uintptr_t)(info + off);
        uint32_t type = tag[0];
        uint32_t size = tag[1];
        if (type == MB2_TAG_END || size < 8u) {
            return;
        }
        if ((type == MB2_TAG_ACPI1 || type == MB2_TAG_ACPI2) && size >= 28u && rsdp == 0u) {
            rsdp = info + off + 8u; /* the tag holds a copy of the RSDP */
        }
        if (type == MB2_TAG_MMAP && size >= 16u) {
            uint32_t entry_size = tag[2];
            uint64_t count = entry_size >= 24u ? (size - 16u) / entry_size : 0u;
            for (uint64_t i = 0; i < count && i < 256u; i++) {
                const struct e820_entry *e =
                    (const struct e820_entry *)(uintptr_t)(info + off + 16u + i * entry_size);
                ram_add(e->addr, e->size, e->type);
            }
        }
        off += (size + 7u) & ~7u;
    }
}

bool bootinfo_parse(uint32_t magic, uint64_t info)
{
    ram_count = 0;
    rsdp = 0;
    if (magic == MB2_BOOT_MAGIC) {
        parse_mb2(info);
        return true;
    }
    if (info != 0u && ((const struct pvh_start_info *)(uintptr_t)info)->magic == PVH_MAGIC) {
        parse_pvh((const struct pvh_start_info *)(uintptr_t)info);
        return true;
    }
    return false;
}

const char *bootinfo_protocol(void)
{
    return protocol;
}

paddr_t bootinfo_rsdp(void)
{
    return rsdp;
}

uint32_t bootinfo_ram_entries(void)
{
    return ram_count;
}

bool arch_ram_covers(paddr_t base, uint64_t size)
{
    paddr_t end = base + size;
    paddr_t cur = base;
    if (end < base) {
        return false;
    }
    /* Walk forward through ranges that contain cur; each step uses up one range. */
    for (uint32_t step = 0; step < RAM_MAX && cur < end; step++) {
        bool found = false;
        for (uint32_t i = 0; i < ram_count; i++) {
            if (ram[i].base <= cur && cur < ram[i].base + ram[i].size) {
                cur = ram[i].base + ram[i].size;
                found = true;
                break;
            }
        }
        if (!found) {
            return false;
        }
    }
    return cur >= end;
}
