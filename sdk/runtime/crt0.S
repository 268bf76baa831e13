/*
 * Subject start-up: the kernel enters here with rsp at the stack top and rdi holding
 * the subject info page's address. Calls main(); when main returns, MOAT_KCALL_EXIT
 * tells the kernel, which audits it and stops or restarts the subject per its policy.
 */
#include <moat/abi/kcall.h>

    .section .text.start, "ax"
    .globl _start
_start:
    xor %ebp, %ebp
    and $-16, %rsp
    mov %rdi, moat_sinfo_page(%rip)
    call main
    movslq %eax, %rdi
    mov $MOAT_KCALL_EXIT, %eax
    syscall
    ud2

    .section .bss
    .balign 8
    .globl moat_sinfo_page
moat_sinfo_page:
    .quad 0
