/*
 * "zoo_edge" (test subject with its own linker script, edge.ld): its last code page is
 * the top page of the lower canonical half and ends with `syscall`, so the return
 * address the CPU hands the kernel (rcx) is 0x800000000000, not canonical. The kernel
 * must contain this like any fault; returning there with iretq would fault in ring 0.
 */
#include "testlib.h"

__attribute__((section(".edgetext"), naked, noreturn)) void edge_syscall(void);
__attribute__((section(".edgetext"), naked, noreturn)) void edge_syscall(void)
{
    /* Pad so the 2-byte syscall ends exactly at the end of the page. */
    __asm__ volatile(".skip 4096 - 2 - 7, 0x90\n\t"
                     "mov $0, %eax\n\t" /* 5 bytes: yield */
                     "xor %edi, %edi\n\t" /* 2 bytes */
                     "syscall");
}

int main(void)
{
    /* An absolute jump: the edge page is too far away for a relative call. */
    __asm__ volatile("movabs $edge_syscall, %%rax\n\tjmp *%%rax" ::: "rax");
    return 0;
}
