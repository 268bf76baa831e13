/*
 * The ACPI tables a Linux VM finds its platform in, built at the start of its boot-state
 * area: an RSDP (revision 2, at a 16-byte boundary in 0xe0000..0xfffff, where the legacy
 * scan looks too), an XSDT naming a FADT and a MADT, and a DSDT. The FADT declares a
 * hardware-reduced ACPI platform (no PM timer, no SCI, no fixed buttons, no legacy PIC,
 * PIT or CMOS RTC, no 8042, no VGA, no MSI; APIC physical destination mode); the MADT
 * has one enabled local APIC (id 0) and no I/O APIC; the DSDT declares the one device
 * the guest has, the 16550-like UART COM1 at ports 0x3f8..0x3ff without an interrupt
 * (Linux then polls it). Every checksum makes its bytes sum to zero.
 */
#include <string.h>

#include "polc.h"

#define ACPI_HEADER_SIZE 36u
#define ACPI_RSDP_OFF    0x000u /* offsets in the boot-state area */
#define ACPI_XSDT_OFF    0x040u
#define ACPI_FADT_OFF    0x080u
#define ACPI_MADT_OFF    0x200u
#define ACPI_DSDT_OFF    0x280u
#define ACPI_RSDP_SIZE   36u
#define ACPI_RSDP_V1_SIZE 20u
#define ACPI_FADT_SIZE   276u /* revision 6 */
#define ACPI_MADT_LAPIC  0u
#define ACPI_LAPIC_SIZE  8u
#define ACPI_MADT_SIZE   (ACPI_HEADER_SIZE + 8u + ACPI_LAPIC_SIZE)
#define ACPI_XSDT_SIZE   (ACPI_HEADER_SIZE + 2u * 8u)

/* FADT fields. */
#define FADT_DSDT           40u
#define FADT_IAPC_BOOT_ARCH 109u
#define FADT_FLAGS          112u
#define FADT_MINOR_VERSION  131u
#define FADT_X_DSDT         140u
#define FADT_WBINVD         (1u << 0)
#define FADT_PWR_BUTTON     (1u << 4) /* no fixed-feature power button */
#define FADT_SLP_BUTTON     (1u << 5) /* no fixed-feature sleep button */
#define FADT_HW_REDUCED     (1u << 20)
#define FADT_APIC_PHYSICAL  (1u << 19) /* FORCE_APIC_PHYSICAL_DESTINATION_MODE */
#define FADT_VGA_ABSENT     (1u << 2)
#define FADT_NO_MSI         (1u << 3)
#define FADT_NO_CMOS_RTC    (1u << 5)

#define MADT_LAPIC_ADDRESS 0xfee00000u
#define MADT_ENABLED       1u

/*
 * The DSDT's AML: Scope (\_SB) { Device (COM1) { Name (_HID, EisaId ("PNP0501"))
 * Name (_UID, 0) Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3f8, 0x3f8, 1, 8) })
 * } }. Each package length counts itself and what follows it in its package.
 */
static const uint8_t polc_dsdt_aml[] = {
    0x10, 0x30, 0x5c, '_', 'S', 'B', '_',             /* Scope, 48 bytes, \_SB_ */
    0x5b, 0x82, 0x28, 'C', 'O', 'M', '1',             /* Device, 40 bytes, COM1 */
    0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01, /* DWord EisaId PNP0501 */
    0x08, '_', 'U', 'I', 'D', 0x00,                   /* Zero */
    0x08, '_', 'C', 'R', 'S', 0x11, 0x0d, 0x0a, 0x0a, /* Buffer, 13 bytes, of 10 */
    0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,   /* IO: 16-bit decode, 0x3f8, len 8 */
    0x79, 0x00,                                       /* end tag */
};
_Static_assert(sizeof(polc_dsdt_aml) == 49, "the scope's package length covers 48 bytes");

static void polc_acpi_checksum(uint8_t *table, size_t size, size_t at)
{
    uint8_t sum = 0;
    table[at] = 0;
    for (size_t i = 0; i < size; i++) {
        sum = (uint8_t)(sum + table[i]);
    }
    table[at] = (uint8_t)(0x100u - sum);
}

static void polc_acpi_header(uint8_t *t, const char *signature, uint32_t size, uint8_t revision)
{
    memcpy(t, signature, 4);
    polc_le_put(t + 4, size, 4);
    t[8] = revision;
    memcpy(t + 10, "MOAT  ", 6);
    memcpy(t + 16, "MOATVM  ", 8);
    polc_le_put(t + 24, 1, 4); /* OEM revision */
    memcpy(t + 28, "MOAT", 4); /* creator */
    polc_le_put(t + 32, 1, 4);
}

size_t polc_vm_acpi_build(uint8_t *area, uint64_t area_gpa)
{
    uint8_t *rsdp = area + ACPI_RSDP_OFF;
    memcpy(rsdp, "RSD PTR ", 8);
    memcpy(rsdp + 9, "MOAT  ", 6);
    rsdp[15] = 2; /* revision: ACPI 2.0+, with the XSDT */
    polc_le_put(rsdp + 20, ACPI_RSDP_SIZE, 4);
    polc_le_put(rsdp + 24, area_gpa + ACPI_XSDT_OFF, 8);
    polc_acpi_checksum(rsdp, ACPI_RSDP_V1_SIZE, 8);
    polc_acpi_checksum(rsdp, ACPI_RSDP_SIZE, 32);

    uint8_t *xsdt = area + ACPI_XSDT_OFF;
    polc_acpi_header(xsdt, "XSDT", ACPI_XSDT_SIZE, 1);
    polc_le_put(xsdt + ACPI_HEADER_SIZE, area_gpa + ACPI_FADT_OFF, 8);
    polc_le_put(xsdt + ACPI_HEADER_SIZE + 8, area_gpa + ACPI_MADT_OFF, 8);
    polc_acpi_checksum(xsdt, ACPI_XSDT_SIZE, 9);

    uint8_t *fadt = area + ACPI_FADT_OFF;
    polc_acpi_header(fadt, "FACP", ACPI_FADT_SIZE, 6);
    polc_le_put(fadt + FADT_DSDT, area_gpa + ACPI_DSDT_OFF, 4);
    polc_le_put(fadt + FADT_X_DSDT, area_gpa + ACPI_DSDT_OFF, 8);
    polc_le_put(fadt + FADT_IAPC_BOOT_ARCH, FADT_VGA_ABSENT | FADT_NO_MSI | FADT_NO_CMOS_RTC, 2);
    polc_le_put(fadt + FADT_FLAGS,
                FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_HW_REDUCED |
                    FADT_APIC_PHYSICAL,
                4);
    fadt[FADT_MINOR_VERSION] = 0;
    polc_acpi_checksum(fadt, ACPI_FADT_SIZE, 9);

    uint8_t *madt = area + ACPI_MADT_OFF;
    polc_acpi_header(madt, "APIC", ACPI_MADT_SIZE, 4);
    polc_le_put(madt + ACPI_HEADER_SIZE, MADT_LAPIC_ADDRESS, 4);
    polc_le_put(madt + ACPI_HEADER_SIZE + 4, 0, 4); /* flags: no PC-AT 8259 pair */
    /* APIC id 0 is below 255: a local APIC entry, as ACPI asks (the kernel runs the
     * guest's APIC in x2APIC mode from the start). */
    uint8_t *lapic = madt + ACPI_HEADER_SIZE + 8;
    lapic[0] = ACPI_MADT_LAPIC;
    lapic[1] = ACPI_LAPIC_SIZE;
    lapic[2] = 0; /* ACPI processor UID */
    lapic[3] = 0; /* APIC id */
    polc_le_put(lapic + 4, MADT_ENABLED, 4);
    polc_acpi_checksum(madt, ACPI_MADT_SIZE, 9);

    uint8_t *dsdt = area + ACPI_DSDT_OFF;
    uint32_t dsdt_size = ACPI_HEADER_SIZE + (uint32_t)sizeof(polc_dsdt_aml);
    polc_acpi_header(dsdt, "DSDT", dsdt_size, 2);
    memcpy(dsdt + ACPI_HEADER_SIZE, polc_dsdt_aml, sizeof(polc_dsdt_aml));
    polc_acpi_checksum(dsdt, dsdt_size, 9);
    return ACPI_DSDT_OFF + dsdt_size;
}
