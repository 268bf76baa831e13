/*
 * One run of a VM guest (svm.c): its general registers in, VMLOAD its segment and
 * system-call state, VMRUN, and back: its registers out, VMSAVE, VMLOAD the host's.
 * Called with GIF clear (clgi) and interrupts off; interrupts are enabled only for the
 * VMRUN itself, so that a physical interrupt (the frame's timer) ends the guest's run as
 * an intercept (the host's IF decides, V_INTR_MASKING) and is taken after the exit.
 *
 * void svm_vmrun(struct svm_gprs *gprs, paddr_t vmcb, paddr_t host_save, uint32_t spec)
 * spec: the trampoline's SPEC_* flags (VERW before the guest runs, as before iretq).
 */
#include "tramp.h"

#define G_RBX 0
#define G_RCX 8
#define G_RDX 16
#define G_RSI 24
#define G_RDI 32
#define G_RBP 40
#define G_R8  48
#define G_R9  56
#define G_R10 64
#define G_R11 72
#define G_R12 80
#define G_R13 88
#define G_R14 96
#define G_R15 104

    .section .text
    .globl svm_vmrun
svm_vmrun:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rcx              /* SPEC_* */
    push %rdx              /* host save area */
    push %rdi              /* gprs */
    mov %rsi, %rax         /* the VMCB, for vmload/vmrun/vmsave */
    vmload %rax
    mov G_RBX(%rdi), %rbx
    mov G_RCX(%rdi), %rcx
    mov G_RDX(%rdi), %rdx
    mov G_RSI(%rdi), %rsi
    mov G_RBP(%rdi), %rbp
    mov G_R8(%rdi), %r8
    mov G_R9(%rdi), %r9
    mov G_R10(%rdi), %r10
    mov G_R11(%rdi), %r11
    mov G_R12(%rdi), %r12
    mov G_R13(%rdi), %r13
    mov G_R14(%rdi), %r14
    mov G_R15(%rdi), %r15
    mov G_RDI(%rdi), %rdi
    /* Buffers cleared where the CPU says VERW does it, as before iretq (cpu.c). */
    testl $SPEC_VERW, 16(%rsp)
    jz 1f
    verw svm_verw_selector(%rip)
1:  sti
    vmrun %rax
    cli                    /* the host's RAX (the VMCB), RSP and RIP are back */
    push %rdi
    mov 8(%rsp), %rdi
    mov %rbx, G_RBX(%rdi)
    mov %rcx, G_RCX(%rdi)
    mov %rdx, G_RDX(%rdi)
    mov %rsi, G_RSI(%rdi)
    mov %rbp, G_RBP(%rdi)
    mov %r8, G_R8(%rdi)
    mov %r9, G_R9(%rdi)
    mov %r10, G_R10(%rdi)
    mov %r11, G_R11(%rdi)
    mov %r12, G_R12(%rdi)
    mov %r13, G_R13(%rdi)
    mov %r14, G_R14(%rdi)
    mov %r15, G_R15(%rdi)
    pop G_RDI(%rdi)
    vmsave %rax
    mov 8(%rsp), %rax
    vmload %rax            /* the host's TR, FS, GS, LDTR and system-call MSRs */
    add $24, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

    .section .rodata
svm_verw_selector:
    .short SEL_KERNEL_DS
