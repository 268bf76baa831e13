/*
 * ring0: the entry and the exception stubs of the ring-0 probe program (ring0.c), which
 * moat-vm-probe boots with kexec inside a Linux VM. Linux's kexec enters it in 64-bit
 * mode, paging on (an identity map), interrupts off, at ring0_start: it loads its own
 * GDT, IDT and stack and calls ring0_main. An exception while a probe runs resumes at
 * the probe's resume address (ring0_resume) with the vector in ring0_vector.
 */
	.section .text.start, "ax"
	.code64
	.globl ring0_start
ring0_start:
	cli
	leaq ring0_stack_top(%rip), %rsp
	lgdt gdtr(%rip)
	pushq $0x08
	leaq 1f(%rip), %rax
	pushq %rax
	lretq
1:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	call ring0_main
2:	hlt
	jmp 2b

	.text
/* Vectors without an error code push a zero in its place. */
	.macro stub vector, has_error
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\vector
	jmp exception
	.endm

	.globl ring0_stubs
	.align 16
ring0_stubs:
	.set i, 0
	.rept 32
	.align 16
	.if (i == 8) || (i == 10) || (i == 11) || (i == 12) || (i == 13) || (i == 14) || (i == 17) || (i == 21) || (i == 29) || (i == 30)
	stub i, 1
	.else
	stub i, 0
	.endif
	.set i, i + 1
	.endr

/* Stack: vector, error code, rip, cs, rflags, rsp, ss. */
exception:
	pushq %rax
	movq 8(%rsp), %rax
	movq %rax, ring0_vector(%rip)
	movq ring0_resume(%rip), %rax
	testq %rax, %rax
	jz unexpected
	movq %rax, 24(%rsp)
	popq %rax
	addq $16, %rsp
	iretq
unexpected:
	movq 8(%rsp), %rdi
	movq 24(%rsp), %rsi
	call ring0_unexpected
3:	hlt
	jmp 3b

	.section .rodata
	.align 8
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
gdt_end:
gdtr:
	.word gdt_end - gdt - 1
	.quad gdt

	.bss
	.align 16
	.space 16384
	.globl ring0_stack_top
ring0_stack_top:
