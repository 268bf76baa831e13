/*
 * The entry trampoline: the only kernel code mapped while a subject runs. Interrupt and
 * exception stubs and the syscall entry build a struct trap_frame on the per-CPU entry
 * stack (or the vector's IST stack, in the same per-CPU block), switch to the kernel's
 * page tables and stack, and call arch_trap_entry. tramp_exit does the reverse for the
 * subject the kernel chose; a fault of its iretq goes to arch_exit_fault. See tramp.h.
 */
#include "tramp.h"

    .section .tramp.text, "ax"
    .code64

    .globl tramp_vectors
    .balign 16
tramp_vectors:
    vector = 0
    .rept 256
    .balign 16
    /* The CPU pushes an error code for 8, 10-14, 17, 21, 29, 30; push 0 for the others. */
    .if (vector - 8) * (vector - 10) * (vector - 11) * (vector - 12) * (vector - 13) * (vector - 14) * (vector - 17) * (vector - 21) * (vector - 29) * (vector - 30)
    pushq $0
    .endif
    pushq $vector
    jmp tramp_common
    vector = vector + 1
    .endr

tramp_common:
    /* C code needs DF 0, and AC 0 (AC 1 lifts SMAP in ring 0; interrupt delivery keeps
     * the subject's AC); IF is 0 already (interrupt gates). The interrupted flags are
     * in the saved RFLAGS. */
    pushq $2
    popfq
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    testb $3, FRAME_CS(%rsp)
    jz 1f
    /* From a subject: kernel page tables, kernel stack, then C. */
    mov tramp_shared + TS_KERNEL_CR3(%rip), %rcx
    mov %rcx, %cr3
    movabs $arch_trap_entry, %rcx
tramp_to_kernel_stack:
    /* rdi = the frame, rcx = a C handler that never returns. */
    mov %rsp, %rax
    and $~(TRAMP_CPU_SIZE - 1), %rax
    mov TC_KERNEL_RSP(%rax), %rsp
    call *%rcx
    ud2
1:  /* From the kernel: the idle loop (kernel page tables already) or a fault in this
     * trampoline while a subject's page tables are live. Load the kernel's (the same
     * on every CPU, in the shared part) so that the C handler is mapped. */
    mov tramp_shared + TS_KERNEL_CR3(%rip), %rax
    mov %rax, %cr3
    /* #NP, #SS or #GP of the iretq to ring 3: the subject's fault, handled on the
     * kernel stack (it never comes back here). */
    lea tramp_iret(%rip), %rax
    cmp %rax, FRAME_RIP(%rsp)
    jne 2f
    mov FRAME_VECTOR(%rsp), %rax
    sub $VEC_NP, %rax
    cmp $(VEC_GP - VEC_NP), %rax
    ja 2f
    movabs $arch_exit_fault, %rcx
    jmp tramp_to_kernel_stack
2:  movabs $arch_kernel_trap, %rax
    call *%rax
    jmp tramp_pop

    .globl tramp_syscall
tramp_syscall:
    /* Interrupts are off (FMASK). Find this CPU's entry stack through KERNEL_GS_BASE. */
    swapgs
    mov %rsp, %gs:TC_USER_RSP
    mov %gs:TC_STACK_TOP, %rsp
    pushq $SEL_USER_DS
    pushq %gs:TC_USER_RSP
    movq $0, %gs:TC_USER_RSP
    swapgs
    push %r11 /* rflags */
    pushq $SEL_USER_CS
    push %rcx /* rip */
    pushq $0
    pushq $VEC_SYSCALL
    jmp tramp_common

    /* rdi = the frame to resume, on this CPU's entry stack; interrupts off. */
    .globl tramp_exit
tramp_exit:
    mov %rdi, %rsp
    mov %rsp, %rax
    and $~(TRAMP_CPU_SIZE - 1), %rax
    mov TC_SUBJECT_CR3(%rax), %rax
    mov %rax, %cr3
    mov $SEL_USER_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %fs
    mov %eax, %gs
tramp_pop:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp
    /* Microarchitectural buffers (MDS, TAA) cleared where the CPU says VERW does it
     * (cpu.c: spec_policy.verw); flags are the frame's again after iretq. */
    testl $SPEC_VERW, tramp_shared + TS_SPEC(%rip)
    jz tramp_iret
    verw tramp_verw_selector(%rip)
    .globl tramp_iret
tramp_iret:
    iretq

    /* VERW's operand: any valid writable data segment selector. */
tramp_verw_selector:
    .short SEL_KERNEL_DS

    /* Low kernel text: reach the trampoline's high addresses from -mcmodel=small C. */
    .section .text
    .globl arch_enter_subject
arch_enter_subject:
    movabs $tramp_exit, %rax
    jmp *%rax

    /* Overwrites all 32 return stack buffer entries with returns into a speculation
     * trap, so the next subject's returns never predict a target the previous one
     * trained (cpu_spec_switch). Each call's return address is dropped again. */
    .globl cpu_rsb_fill
cpu_rsb_fill:
    mov $16, %ecx
1:  call 3f
2:  pause
    lfence
    jmp 2b
3:  call 5f
4:  pause
    lfence
    jmp 4b
5:  dec %ecx
    jnz 1b
    add $(32 * 8), %rsp
    ret

    /* AMD's FXSAVE/XSAVE store, and FXRSTOR/XRSTOR load, the x87 last-instruction and
     * last-operand pointers (FIP, FDP) and opcode (FOP) only while an x87 exception is
     * pending (QEMU TCG's restore never loads them). Restoring the next subject's state
     * would then leave the previous subject's pointers in the CPU, readable with fnstenv:
     * where its last x87 instruction and operand were. entry.c calls this after the
     * previous state is saved and before the next is restored, on every CPU (a few
     * cycles per switch of extended state): fnclex drops pending exceptions, emms
     * empties the register stack, and an integer load from a fixed kernel address
     * (exact, so it raises nothing) leaves pointers that name only the kernel. */
    .globl cpu_x87_pointers_clear
cpu_x87_pointers_clear:
    fnclex
    emms
    fildl x87_zero(%rip)
    ret

    .section .rodata
    .balign 4
x87_zero:
    .long 0
    .balign 8
    .globl tramp_addresses
tramp_addresses:
    .quad tramp_vectors
    .quad tramp_syscall
