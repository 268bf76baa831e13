/*
 * "zoo_edge" (test subject with its own linker script, edge.ld): its last code page is
 * the last page moat-polc lets a subject map, just below the top page of the lower
 * canonical half, and ends with `syscall`, so the kernel returns to 0x7ffffffff000: the
 * top page, which stays unmapped so that no instruction can end at the non-canonical
 * 0x800000000000. The fetch there is an ordinary user page fault, contained like any.
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
