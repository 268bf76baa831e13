/*
 * Kernel link layout (preprocessed with the C preprocessor for the ABI constants):
 * low image at 1 MiB, identity-mapped; the entry trampoline's text and data at their
 * fixed physical addresses (LMA) and fixed high virtual addresses (VMA); .bss after them.
 * Then the reserved tables segment: MOAT_TABLES_CAPACITY bytes at MOAT_TABLES_PHYS, read-
 * only, with no file bytes in the kernel (moat-polc writes a system's blob into it).
 */
#include <moat/abi/layout.h>

OUTPUT_FORMAT("elf64-x86-64")
ENTRY(boot_entry32)

PHDRS {
    text PT_LOAD FLAGS(5);
    rodata PT_LOAD FLAGS(4);
    data PT_LOAD FLAGS(6);
    ttext PT_LOAD FLAGS(5);
    tdata PT_LOAD FLAGS(6);
    bss PT_LOAD FLAGS(6);
    tables PT_LOAD FLAGS(4);
    note PT_NOTE FLAGS(4);
}

SECTIONS {
    . = MOAT_KERNEL_PHYS_BASE;
    __kernel_start = .;
    .text : {
        KEEP(*(.boot.header))
        *(.boot.text)
        *(.text .text.*)
    } :text
    . = ALIGN(4096);
    __text_end = .;
    .rodata : { *(.rodata .rodata.*) } :rodata
    .note.pvh : { KEEP(*(.note.pvh)) } :rodata :note
    .note.moat : { KEEP(*(.note.moat)) } :rodata :note
    . = ALIGN(4096);
    __rodata_end = .;
    .data : { *(.data .data.*) } :data
    . = ALIGN(4096);
    __data_end = .;
    ASSERT(__data_end <= MOAT_TRAMPOLINE_TEXT_PHYS, "kernel text and data reach the trampoline")

    .tramp.text MOAT_TRAMPOLINE_VIRT : AT(MOAT_TRAMPOLINE_TEXT_PHYS) {
        *(.tramp.text)
    } :ttext
    ASSERT(SIZEOF(.tramp.text) <= MOAT_TRAMPOLINE_TEXT_SIZE, "trampoline text too large")
    .tramp.data MOAT_TRAMPOLINE_DATA_VIRT (NOLOAD) : AT(MOAT_TRAMPOLINE_DATA_PHYS) {
        . += MOAT_TRAMPOLINE_DATA_SIZE;
    } :tdata
    /* The part of the trampoline data every CPU shares (tramp.h, struct tramp_shared). */
    tramp_shared = MOAT_TRAMPOLINE_DATA_VIRT + MOAT_TRAMPOLINE_SHARED_OFFSET;

    . = MOAT_TRAMPOLINE_DATA_PHYS + MOAT_TRAMPOLINE_DATA_SIZE;
    .bss : AT(MOAT_TRAMPOLINE_DATA_PHYS + MOAT_TRAMPOLINE_DATA_SIZE) {
        __bss_start = .;
        *(.bss .bss.* COMMON)
        . = ALIGN(4096);
        __bss_end = .;
    } :bss
    __kernel_end = .;
    ASSERT(__kernel_end <= MOAT_TABLES_PHYS, "kernel image reaches the tables segment")

    .moat.tables MOAT_TABLES_PHYS (NOLOAD) : AT(MOAT_TABLES_PHYS) {
        __moat_tables = .;
        . += MOAT_TABLES_CAPACITY;
    } :tables
    ASSERT(MOAT_TABLES_PHYS + MOAT_TABLES_CAPACITY <= MOAT_KERNEL_PHYS_END,
           "tables segment exceeds the kernel's physical range")

    /DISCARD/ : { *(.comment) *(.eh_frame) *(.note.GNU-stack) }
}
