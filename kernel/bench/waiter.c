/*
 * Kernel path benchmark, the waiter on CPU 1: waits for bench's "wake" in a loop and
 * publishes, in waiter.tsc, the first rdtsc after each event_wait returned (the first
 * user instruction after the kernel) and how many wakes it got. Before each wait it
 * announces it, so bench sends only to a waiter that is (about to be) blocked.
 */
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "bench.h"

int main(void)
{
    struct moat_channel_info info;
    int wake = moat_event_incoming("wake");
    if (moat_channel("waiter.tsc", &info) != 0 || wake < 0) {
        return 1;
    }
    volatile struct bench_wake *w = (volatile struct bench_wake *)(uintptr_t)(info.address + BENCH_PAYLOAD);
    for (;;) {
        w->waiting = w->wakes + 1u;
        /* rdtsc one instruction after the syscall returns (rax: the event id, kept in r8). */
        register uint64_t r8 __asm__("r8");
        uint32_t tsc;
        __asm__ volatile("mov %[call], %%eax\n\t"
                         "syscall\n\t"
                         "mov %%rax, %%r8\n\t"
                         "rdtsc"
                         : "=a"(tsc), "=r"(r8)
                         : [call] "i"(MOAT_KCALL_EVENT_WAIT)
                         : "rcx", "rdx", "r11", "memory");
        if ((int64_t)r8 == wake) {
            w->woke_tsc = tsc;
            w->wakes = w->wakes + 1u;
        }
    }
}
