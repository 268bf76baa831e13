/*
 * Kernel path benchmark, a filler subject (one image for every fill-N): it only makes
 * the system bigger. Its frames are in a plan the benchmark never runs.
 */
#include <moat/subject.h>

int main(void)
{
    for (;;) {
        (void)moat_event_wait();
    }
}
