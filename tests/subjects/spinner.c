/*
 * A subject that never gives up the CPU (test subject): it spins with its FPU/SSE
 * registers full of its own values. Its frames must end on time anyway.
 */
#include "testlib.h"

int main(void)
{
    __asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\tpcmpeqd %%xmm7, %%xmm7" ::: "xmm0", "xmm7");
    for (;;) {
        __asm__ volatile("pause");
    }
}
