/*
 * A Linux VM's boot state, built whole at build time into the pristine copy of its
 * boot-state area (guest-physical POLC_VM_BOOT_GPA): the ACPI tables (vm_acpi.c), the
 * zero page (struct boot_params: the bzImage's setup header with what a boot loader
 * fills in, the e820 map, the RSDP's address) and the command line with the field the
 * kernel fills with the TSC frequency at boot.
 */
#include <stdio.h>
#include <string.h>

#include "polc.h"

/* boot_params fields (offsets in the zero page). */
#define BP_ACPI_RSDP_ADDR  0x070u
#define BP_E820_ENTRIES    0x1e8u
#define BP_HDR             0x1f1u
#define BP_TYPE_OF_LOADER  0x210u
#define BP_CODE32_START    0x214u
#define BP_RAMDISK_IMAGE   0x218u
#define BP_RAMDISK_SIZE    0x21cu
#define BP_CMD_LINE_PTR    0x228u
#define BP_E820_TABLE      0x2d0u
#define BP_E820_ENTRY_SIZE 20u
#define BP_LOADER_UNKNOWN  0xffu /* type_of_loader: a boot loader without an assigned id */

/*
 * What moat-polc appends to the policy's command line, facts of the platform: no I/O
 * APIC (without noapic Linux falls back from the x2APIC to the xAPIC's MMIO page, which
 * is not mapped), no PCI, and a TSC that is the only clock (the VM runs in frames, so
 * its timer ticks would make a watchdog distrust it); then the field the kernel fills
 * with the TSC kHz, and the sinfo address.
 */
#define POLC_VM_CMDLINE_PLATFORM "noapic pci=off tsc=reliable "

size_t polc_vm_cmdline(const struct polc_vm *vm, char *out, size_t out_size, size_t *tsc_at)
{
    char digits[MOAT_VM_TSC_DIGITS + 1];
    /* Spaces until the kernel writes the kHz left-aligned: a value ends at a space. */
    memset(digits, ' ', MOAT_VM_TSC_DIGITS);
    digits[MOAT_VM_TSC_DIGITS] = 0;
    const char *sep = vm->cmdline[0] != 0 ? " " : "";
    int n = snprintf(out, out_size, "%s%s" POLC_VM_CMDLINE_PLATFORM "%s%s moat.sinfo=0x%08llx",
                     vm->cmdline, sep, POLC_VM_TSC_PARAM, digits,
                     (unsigned long long)vm->sinfo_gpa);
    if (tsc_at != NULL) {
        *tsc_at = strlen(vm->cmdline) + strlen(sep) + strlen(POLC_VM_CMDLINE_PLATFORM) +
                  strlen(POLC_VM_TSC_PARAM);
    }
    return n > 0 ? (size_t)n : 0;
}

uint64_t polc_vm_tsc_offset(const struct polc_subject *s)
{
    char line[POLC_VM_CMDLINE_MAX + 1];
    size_t at = 0;
    polc_vm_cmdline(s->vm, line, sizeof(line), &at);
    return POLC_VM_CMDLINE + at;
}

void polc_vm_boot_build(const struct polc_ctx *ctx, const struct polc_subject *s, uint8_t *area)
{
    (void)ctx;
    const struct polc_vm *vm = s->vm;
    memset(area, 0, POLC_VM_BOOT_SIZE);
    polc_vm_acpi_build(area, POLC_VM_BOOT_GPA);

    uint8_t *zp = area + POLC_VM_ZERO_PAGE;
    memcpy(zp + BP_HDR, vm->kernel + BP_HDR, vm->hdr.header_end - BP_HDR);
    zp[BP_TYPE_OF_LOADER] = BP_LOADER_UNKNOWN;
    polc_le_put(zp + BP_CODE32_START, vm->kernel_gpa, 4);
    polc_le_put(zp + BP_CMD_LINE_PTR, POLC_VM_BOOT_GPA + POLC_VM_CMDLINE, 4);
    if (vm->initrd != NULL) {
        polc_le_put(zp + BP_RAMDISK_IMAGE, vm->initrd_gpa, 4);
        polc_le_put(zp + BP_RAMDISK_SIZE, vm->initrd_size, 4);
    }
    polc_le_put(zp + BP_ACPI_RSDP_ADDR, POLC_VM_BOOT_GPA, 8);
    struct polc_e820 map[POLC_VM_E820_MAX];
    size_t n = polc_vm_e820(s, map, POLC_VM_E820_MAX);
    zp[BP_E820_ENTRIES] = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = zp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;
        polc_le_put(e, map[i].addr, 8);
        polc_le_put(e + 8, map[i].size, 8);
        polc_le_put(e + 16, map[i].type, 4);
    }
    polc_vm_cmdline(vm, (char *)area + POLC_VM_CMDLINE, POLC_VM_CMDLINE_MAX + 1, NULL);
}
