/*
 * Host tests of the firmware memory map (kernel/arch/x86_64/bootinfo.c): PVH and
 * Multiboot2 parsing, and the coverage check that decides whether subjects may start.
 * Boot information is built in host buffers; the parser reads it through its address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../arch/x86_64/x86.h"

struct e820 {
    uint64_t addr, size;
    uint32_t type, reserved;
};

struct pvh {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};

/* QEMU's map for -m 128: low RAM, a hole for the BIOS, RAM from 1 MiB, reserved top. */
static const struct e820 qemu_map[] = {
    {0x0, 0x9fc00, 1, 0},
    {0x9fc00, 0x400, 2, 0},
    {0xf0000, 0x10000, 2, 0},
    {0x100000, 0x7ee0000, 1, 0},
    {0x7fe0000, 0x20000, 2, 0},
    {0xfffc0000, 0x40000, 2, 0},
};

static void boot_pvh(const struct e820 *map, uint32_t count)
{
    static struct pvh info;
    memset(&info, 0, sizeof(info));
    info.magic = 0x336ec578u;
    info.version = 1;
    info.memmap_paddr = (uint64_t)(uintptr_t)map;
    info.memmap_entries = count;
    assert_true(bootinfo_parse(0, (uint64_t)(uintptr_t)&info));
}

static void pvh_map_covers_ram_and_not_holes(void **state)
{
    (void)state;
    boot_pvh(qemu_map, 6);
    assert_string_equal(bootinfo_protocol(), "PVH");
    assert_int_equal(bootinfo_ram_entries(), 2);
    assert_true(arch_ram_covers(0x100000, 0xf00000));   /* the kernel's range */
    assert_true(arch_ram_covers(0x1000000, 0x54000));   /* a policy's regions */
    assert_false(arch_ram_covers(0x7fd0000, 0x20000));  /* runs past the end of RAM */
    assert_false(arch_ram_covers(0x9f000, 0x2000));     /* crosses into the BIOS hole */
    assert_false(arch_ram_covers(0x8000000, 0x1000));   /* beyond RAM */
    assert_false(arch_ram_covers(0xfffc0000, 0x1000));  /* reserved, not RAM */
}

static void adjacent_ranges_cover_a_region_across_their_boundary(void **state)
{
    (void)state;
    static const struct e820 map[] = {
        {0x200000, 0x100000, 1, 0},
        {0x100000, 0x100000, 1, 0},
        {0x300000, 0x100000, 1, 0},
    };
    boot_pvh(map, 3);
    assert_true(arch_ram_covers(0x180000, 0x200000));
    assert_true(arch_ram_covers(0x100000, 0x300000));
    assert_false(arch_ram_covers(0x100000, 0x300001));
}

static void a_region_that_wraps_around_is_not_covered(void **state)
{
    (void)state;
    static const struct e820 map[] = {{0x0, UINT64_MAX, 1, 0}};
    boot_pvh(map, 1);
    assert_false(arch_ram_covers(0xfffffffffffff000ull, 0x2000));
}

static void multiboot2_mmap_tag_is_read_and_other_tags_skipped(void **state)
{
    (void)state;
    static uint64_t buf[64];
    uint8_t *b = (uint8_t *)buf;
    memset(buf, 0, sizeof(buf));
    uint32_t off = 8;
    /* A command-line tag of size 13 (padded to 16). */
    uint32_t cmdline[2] = {1, 13};
    memcpy(b + off, cmdline, sizeof(cmdline));
    memcpy(b + off + 8, "moat", 5);
    off += 16;
    /* The memory map: entry size 24, version 0, three entries. */
    uint32_t mmap[4] = {6, 16 + 3 * 24, 24, 0};
    memcpy(b + off, mmap, sizeof(mmap));
    const struct e820 entries[3] = {
        {0x0, 0x9fc00, 1, 0}, {0x100000, 0x7f00000, 1, 0}, {0x8000000, 0x100000, 2, 0}};
    for (uint32_t i = 0; i < 3; i++) {
        memcpy(b + off + 16 + 24 * i, &entries[i], 24);
    }
    off += 16 + 3 * 24;
    uint32_t end[2] = {0, 8};
    memcpy(b + off, end, sizeof(end));
    off += 8;
    uint32_t total = off;
    memcpy(b, &total, sizeof(total));

    assert_true(bootinfo_parse(0x36d76289u, (uint64_t)(uintptr_t)buf));
    assert_string_equal(bootinfo_protocol(), "Multiboot2");
    assert_int_equal(bootinfo_ram_entries(), 2);
    assert_true(arch_ram_covers(0x1000000, 0x1000000));
    assert_false(arch_ram_covers(0x8000000, 0x1000));
}

static void unknown_boot_protocol_is_refused(void **state)
{
    (void)state;
    static uint32_t zeros[16];
    assert_false(bootinfo_parse(0x2badb002u, (uint64_t)(uintptr_t)zeros));
    assert_int_equal(bootinfo_ram_entries(), 0);
    assert_false(arch_ram_covers(0x100000, 0x1000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pvh_map_covers_ram_and_not_holes),
        cmocka_unit_test(adjacent_ranges_cover_a_region_across_their_boundary),
        cmocka_unit_test(a_region_that_wraps_around_is_not_covered),
        cmocka_unit_test(multiboot2_mmap_tag_is_read_and_other_tags_skipped),
        cmocka_unit_test(unknown_boot_protocol_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
