/*
 * Boot entry for both protocols the kernel accepts:
 *  - PVH (QEMU -kernel): the ELF note XEN_ELFNOTE_PHYS32_ENTRY names boot_entry32;
 *    ebx = physical address of the hvm_start_info.
 *  - Multiboot2 (GRUB): the header below; eax = 0x36d76289, ebx = the boot information.
 * Both enter in 32-bit protected mode without paging. This file zeroes .bss, identity-
 * maps the first 4 GiB with 2 MiB pages, enables long mode and calls arch_boot_main.
 *
 * Application processors start in real mode at AP_TRAMP_PHYS (a page below 1 MiB, the
 * SIPI vector), where mp.c copies ap_tramp_start..ap_tramp_end: protected mode, long
 * mode on the early identity map above, then ap_entry64 on the stack mp.c chose.
 */
#include <moat/abi/layout.h>

#include "tramp.h"

#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define XEN_ELFNOTE_PHYS32_ENTRY 18

    .section .boot.header, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    .short 0, 0 /* end tag */
    .long 8
mb2_header_end:

    .section .note.pvh, "a", @note
    .balign 4
    .long 4                        /* name size */
    .long 8                        /* descriptor size */
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .quad boot_entry32

    .section .boot.text, "ax"
    .code32
    .globl boot_entry32
boot_entry32:
    cli
    cld
    mov %eax, boot_magic
    mov %ebx, boot_info

    /* Zero .bss (the loader zero-fills it too; this does not depend on it). */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov $(kernel_stacks + KERNEL_STACK_SIZE), %esp

    /* Early page tables: PML4[0] -> PDPT[0..3] -> 4 PDs of 2 MiB pages (4 GiB). */
    mov $early_pdpt, %eax
    or $3, %eax
    mov %eax, early_pml4
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $12, %eax
    add $early_pd, %eax
    or $3, %eax
    mov %eax, early_pdpt(, %ecx, 8)
    inc %ecx
    cmp $4, %ecx
    jne 1b
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax /* present, writable, 2 MiB */
    mov %eax, early_pd(, %ecx, 8)
    inc %ecx
    cmp $2048, %ecx
    jne 2b

    mov $boot_entry64, %edi

    /* Shared by every CPU: long mode on the early page tables, then jump to edi. */
long_mode_on:
    mov %cr4, %eax
    or $0x20, %eax /* PAE */
    mov %eax, %cr4
    mov $early_pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax /* PG | PE */
    mov %eax, %cr0
    lgdt early_gdtr
    ljmp $SEL_KERNEL_CS, $long_mode_jump

    .code64
long_mode_jump:
    mov $SEL_KERNEL_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    mov %edi, %edi
    jmp *%rdi

boot_entry64:
    mov $(kernel_stacks + KERNEL_STACK_SIZE), %rsp
    mov boot_magic, %edi
    mov boot_info, %esi
    call arch_boot_main
3:  cli
    hlt
    jmp 3b

    /* An application processor, in long mode on the early page tables. */
    .globl ap_entry64
ap_entry64:
    mov ap_stack_top, %rsp
    call arch_ap_main
4:  cli
    hlt
    jmp 4b

    /* Copied to AP_TRAMP_PHYS; entered in real mode with cs = AP_TRAMP_PHYS >> 4. */
    .section .rodata
    .globl ap_tramp_start, ap_tramp_end
    .code16
ap_tramp_start:
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    lgdtl ap_gdtr - ap_tramp_start
    mov %cr0, %eax
    or $1, %eax /* PE */
    mov %eax, %cr0
    ljmpl $0x18, $(AP_TRAMP_PHYS + ap_prot32 - ap_tramp_start)
    .code32
ap_prot32:
    mov $SEL_KERNEL_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov $ap_entry64, %edi
    mov $long_mode_on, %eax
    jmp *%eax
    .balign 8
ap_gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff /* 0x10: data */
    .quad 0x00cf9a000000ffff /* 0x18: 32-bit code */
ap_gdtr:
    .short ap_gdtr - ap_gdt - 1
    .long AP_TRAMP_PHYS + ap_gdt - ap_tramp_start
ap_tramp_end:
    .code64

    .balign 8
early_gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff /* 0x10: data */
early_gdtr:
    .short early_gdtr - early_gdt - 1
    .long early_gdt

    .section .data
    .balign 4
boot_magic:
    .long 0
boot_info:
    .long 0
    .globl ap_stack_top
    .balign 8
ap_stack_top:
    .quad 0

    .section .bss
    .balign 4096
early_pml4:
    .skip 4096
early_pdpt:
    .skip 4096
early_pd:
    .skip 4 * 4096
    .globl kernel_stacks
    .balign KERNEL_STACK_SIZE
kernel_stacks:
    .skip KERNEL_STACK_SIZE * KERNEL_STACK_CPUS
