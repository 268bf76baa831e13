/*
 * Kernel path benchmark, a spinner (one image for every sw-* subject): it never enters
 * the kernel itself. Its loop reads the TSC and publishes the value in its own channel
 * (`NAME.tsc`) every 7 instructions. At each of its frame starts (a TSC jump) it reads
 * the latest value its predecessor published (the one channel it reads) and takes
 * first own rdtsc - predecessor's last rdtsc - 7: the instructions from the outgoing
 * subject's last instruction before the timer to the incoming one's first, within one
 * loop period (where in its loop each of the two was interrupted). A subject with
 * <ioport>s makes these switches into and out of a port owner.
 * Line: `bench: switch-to NAME min N median N samples N`.
 */
#include <stdbool.h>

#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "bench.h"

/* Instructions per iteration of the loop in spin_until_gap. */
#define LOOP_PERIOD 7u

static uint32_t samples[BENCH_SWITCH_FRAMES];

/* Spins until the TSC jumps by more than BENCH_GAP, publishing every read in *out.
 * Returns the first read after the jump; *last = the read before it. */
static uint32_t spin_until_gap(volatile uint32_t *out, uint32_t *last)
{
    uint32_t now;
    uint32_t prev;
    __asm__ volatile("rdtsc\n\t"
                     "1: mov %%eax, %%esi\n\t"
                     "rdtsc\n\t"
                     "mov %%eax, (%[out])\n\t"
                     "mov %%eax, %%ecx\n\t"
                     "sub %%esi, %%ecx\n\t"
                     "cmp %[gap], %%ecx\n\t"
                     "jbe 1b"
                     : "=a"(now), "=&S"(prev)
                     : [out] "r"(out), [gap] "i"(BENCH_GAP)
                     : "rcx", "rdx", "memory");
    *last = prev;
    return now;
}

static bool ends_with(const char *s, const char *suffix)
{
    uint32_t n = 0;
    uint32_t k = 0;
    while (s[n] != '\0') {
        n++;
    }
    while (suffix[k] != '\0') {
        k++;
    }
    for (uint32_t i = 0; i < k; i++) {
        if (n < k || s[n - k + i] != suffix[i]) {
            return false;
        }
    }
    return true;
}

int main(void)
{
    const char *self = moat_subject_name();
    volatile uint32_t *out = 0;
    const volatile uint32_t *in = 0;
    for (unsigned i = 0;; i++) {
        char name[MOAT_NAME_MAX];
        struct moat_channel_info info;
        if (moat_channel_at(i, name, &info) != 0) {
            break;
        }
        if (!ends_with(name, ".tsc")) {
            continue; /* NAME.log */
        }
        if (info.writer) {
            out = (volatile uint32_t *)(uintptr_t)(info.address + BENCH_PAYLOAD);
        } else {
            in = (const volatile uint32_t *)(uintptr_t)(info.address + BENCH_PAYLOAD);
        }
    }
    if (out == 0) {
        moat_log("bench: FAILED: %s has no NAME.tsc channel", self);
        return 1;
    }
    uint32_t count = 0;
    uint32_t frames = 0;
    for (;;) {
        uint32_t last;
        uint32_t first = spin_until_gap(out, &last);
        if (in == 0 || count == BENCH_SWITCH_FRAMES) {
            continue;
        }
        uint32_t theirs = *in;
        /* Only a predecessor that ran after this subject's last frame counts. */
        if ((int32_t)(theirs - last) <= 0 || (int32_t)(first - theirs) <= 0) {
            continue;
        }
        if (frames++ < BENCH_SWITCH_WARMUP) {
            continue;
        }
        samples[count++] = first - theirs - LOOP_PERIOD;
        if (count == BENCH_SWITCH_FRAMES) {
            bench_sort(samples, count);
            moat_log("bench: switch-to %s min %u median %u samples %u", self, samples[0],
                     samples[count / 2u], count);
        }
    }
}
