/*
 * plainboot's firmware: a 64 KiB BIOS image for QEMU's pc machine (tests/vm/plainboot.py)
 * that starts a VM's boot state as Moat starts a VM. From the reset vector: make
 * 0xc0000-0xfffff RAM (i440fx PAM registers), mask the 8259s, enter 32-bit flat protected
 * mode (CS 0x10, data 0x18), copy the staged segment that belongs below 1 MiB into place,
 * then esi = zero page, ebp = edi = ebx = 0, paging off, jump to the entry.
 * plainboot.py fills `params` (offset 0x100 of the image) before booting it.
 */
	.code16
	.text
	.globl _start
_start:
	cli
	movl $0x80000058, %eax		/* i440fx config dword 0x58: PAM0..PAM2 at 0x59..0x5b */
	movw $0xcf8, %dx
	outl %eax, %dx
	movw $0xcfd, %dx
	movb $0x30, %al			/* PAM0: 0xf0000-0xfffff read/write DRAM */
	outb %al, %dx
	movb $0x33, %al			/* PAM1..PAM6: 0xc0000-0xeffff read/write DRAM */
	incw %dx
	outb %al, %dx
	incw %dx
	outb %al, %dx
	movl $0x8000005c, %eax
	movw $0xcf8, %dx
	outl %eax, %dx
	movw $0xcfc, %dx
	movl $0x33333333, %eax
	outl %eax, %dx
	movb $0xff, %al			/* both 8259s masked */
	outb %al, $0x21
	outb %al, $0xa1
	lgdtl %cs:gdtr_offset
	movl %cr0, %eax
	orb $1, %al
	movl %eax, %cr0
	ljmpl $0x10, $protected

	.code32
protected:
	movl $0x18, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	cld
	movl params + 0, %esi		/* staged copy of the segment below 1 MiB */
	movl params + 4, %edi		/* its guest-physical address */
	movl params + 8, %ecx		/* its size in bytes */
	shrl $2, %ecx
	rep movsl
	movl params + 12, %esi		/* the zero page */
	movl params + 16, %eax		/* the entry */
	xorl %ebp, %ebp
	xorl %edi, %edi
	xorl %ebx, %ebx
	jmp *%eax

	.org 0x100
params:
	.long 0, 0, 0, 0, 0
	.align 8
gdt:
	.quad 0, 0
	.quad 0x00cf9a000000ffff	/* 0x10: flat 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x18: flat data */
gdt_end:
gdtr:
	.word gdt_end - gdt - 1
	.long gdt
	.set gdtr_offset, gdtr - _start

	.org 0xfff0			/* the reset vector, at 0xfffffff0 */
	.code16
	jmp _start
	.org 0x10000
