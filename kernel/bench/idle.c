/*
 * Kernel path benchmark, a filler subject (one image for every fill-N): it only makes
 * the system bigger. It waits for good: each of its frames is one kernel entry that
 * finds it waiting and idles the CPU.
 */
#include <moat/subject.h>

int main(void)
{
    for (;;) {
        (void)moat_event_wait();
    }
}
