/*
 * vmattack's entry (vmattack.c): the kernel enters an <image> VM in 32-bit flat protected
 * mode, paging and interrupts off, esi = its sinfo page's guest-physical address. No
 * GDT or IDT of its own: nothing reloads a segment, and an exception is a triple fault,
 * which is what its last attack wants anyway.
 */
	.code32
	.section .text.entry, "ax"
	.globl vmattack_entry
vmattack_entry:
	movl $vmattack_stack_top, %esp
	pushl %esi
	call vmattack_main
1:	hlt
	jmp 1b

	.bss
	.balign 16
	.space 4096
vmattack_stack_top:
