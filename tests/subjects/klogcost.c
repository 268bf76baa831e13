/*
 * Kernel cost of one fault (test subject, on-fault restart): each life reads the TSC
 * first thing, takes the time from the stamp its previous life left just before its
 * fault, stamps again and faults. Under -icount shift=0 the difference is the
 * instructions from the fault to the restarted subject's first instruction of main():
 * kernel entry, the audit record, the restart notice, the reset steps and crt0.
 */
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#define LIVES 21u

int main(void)
{
    uint64_t now = moat_rdtsc();
    struct moat_channel_info info;
    if (moat_channel("stamps", &info) != 0) {
        return 1;
    }
    /* The channel survives restarts (memories and data do not). */
    volatile uint64_t *m = (volatile uint64_t *)(uintptr_t)info.address;
    if (m[0] != 0u && m[0] <= LIVES) {
        m[1 + m[0]] = now - m[1];
    }
    if (m[0] == LIVES) {
        uint64_t min = UINT64_MAX, max = 0;
        for (uint64_t i = 2; i <= LIVES; i++) {
            uint64_t v = m[1 + i];
            min = v < min ? v : min;
            max = v > max ? v : max;
        }
        moat_log("klog-cost: fault to restart, TSC ticks min %llu max %llu",
                 (unsigned long long)min, (unsigned long long)max);
        /* A few frames for the log server (a kernel without a kernel log powers off at once). */
        for (unsigned i = 0; i < 4u; i++) {
            moat_yield();
        }
        moat_event_send((unsigned)moat_event("done"));
        for (;;) {
            moat_yield();
        }
    }
    m[0] = m[0] + 1u;
    m[1] = moat_rdtsc();
    __asm__ volatile("ud2");
    return 0;
}
