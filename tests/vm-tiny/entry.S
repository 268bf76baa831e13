/*
 * The tiny test guest's entry and trap stubs (tiny.c has the rest). The
 * kernel enters it in 32-bit flat protected mode with paging off, esi = its sinfo page's
 * guest-physical address; it loads its own GDT (selectors 0x10 code, 0x18 data, as the
 * Linux 32-bit boot protocol has them) and IDT, and calls guest_main.
 */
    .code32
    .section .text.entry, "ax"
    .globl entry
entry:
    mov %esi, sinfo_gpa
    lgdt gdt_desc
    ljmp $0x10, $1f
1:  mov $0x18, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $stack_top, %esp
    call guest_main
2:  cli
    hlt
    jmp 2b

    .text
    .globl trap_stubs
    .balign 16
trap_stubs:
    vector = 0
    .rept 256
    .balign 16
    .if (vector - 8) * (vector - 10) * (vector - 11) * (vector - 12) * (vector - 13) * (vector - 14) * (vector - 17) * (vector - 21) * (vector - 29) * (vector - 30)
    push $0
    .endif
    push $vector
    jmp trap_common
    vector = vector + 1
    .endr

trap_common:
    pusha
    push %esp
    call guest_trap
    add $4, %esp
    popa
    add $8, %esp
    iret

    .data
    .balign 8
gdt:
    .quad 0
    .quad 0
    .quad 0x00cf9b000000ffff /* 0x10: code, flat 4 GiB, 32-bit */
    .quad 0x00cf93000000ffff /* 0x18: data */
gdt_desc:
    .short gdt_desc - gdt - 1
    .long gdt

    .bss
    .balign 16
    .space 16384
stack_top:
