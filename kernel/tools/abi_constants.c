/*
 * Prints the ABI constants a built kernel ELF must agree with (check_kernel_elf.py), as
 * the host compiler sees kernel/include: the layout hash, the tables segment, the note.
 */
#include <inttypes.h>
#include <stdio.h>

#include <moat/abi/tables.h>

int main(void)
{
    printf("layout_hash %" PRIu64 "\n", (uint64_t)MOAT_TABLES_LAYOUT_HASH);
    printf("tables_phys %" PRIu64 "\n", (uint64_t)MOAT_TABLES_PHYS);
    printf("tables_capacity %" PRIu64 "\n", (uint64_t)MOAT_TABLES_CAPACITY);
    printf("kernel_phys_base %" PRIu64 "\n", (uint64_t)MOAT_KERNEL_PHYS_BASE);
    printf("note_kernel %d\n", MOAT_NOTE_KERNEL);
    printf("note_version %d\n", MOAT_NOTE_VERSION);
    return 0;
}
