/*
 * What a native subject calls: the kernel calls as inline `syscall` wrappers, and the
 * address of its subject info page. A subject's entry is main(); crt0 calls it and,
 * when it returns, tells the kernel, which audits it and applies the subject's policy
 * fault action (stop or restart). Kernel calls take integers only.
 * A host build (__STDC_HOSTED__: the freestanding subject flags include -ffreestanding)
 * sends the kernel calls and the TSC read to the test kit's fake kernel instead
 * (<moat/testkit.h>), so a subject's event and timer logic runs in a host unit test.
 */
#ifndef MOAT_SUBJECT_H
#define MOAT_SUBJECT_H

#include <stdint.h>

#include <moat/abi/kcall.h>
#include <moat/sinfo_format.h>

int main(void);

/* The subject info page, as the kernel passed it to crt0. */
extern const struct moat_sinfo *moat_sinfo_page;

#if __STDC_HOSTED__
int64_t moat_test_kcall(uint64_t number, uint64_t arg0, uint64_t arg1);
uint64_t moat_test_rdtsc(void);
#endif

static inline int64_t moat_kcall(uint64_t number, uint64_t arg0, uint64_t arg1)
{
#if __STDC_HOSTED__
    return moat_test_kcall(number, arg0, arg1);
#else
    int64_t result;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(arg0), "S"(arg1)
                     : "rcx", "r11", "memory");
    return result;
#endif
}

/* Give up the rest of the current minor frame. */
static inline void moat_yield(void)
{
    (void)moat_kcall(MOAT_KCALL_YIELD, 0, 0);
}

/* Send outgoing event `id`: 0, or a negative MOAT_ERR_*. */
static inline int moat_event_send(unsigned id)
{
    return (int)moat_kcall(MOAT_KCALL_EVENT_SEND, id, 0);
}

/* The lowest pending incoming event id (cleared); blocks until one is pending. */
static inline int moat_event_wait(void)
{
    return (int)moat_kcall(MOAT_KCALL_EVENT_WAIT, 0, 0);
}

/* The lowest pending incoming event id (cleared), or -1 when none is pending. */
static inline int moat_event_poll(void)
{
    int64_t r = moat_kcall(MOAT_KCALL_EVENT_POLL, 0, 0);
    return r < 0 ? -1 : (int)r;
}

/* Raise own incoming event `id` (one of the subject's <timer>s, else MOAT_ERR_BAD_ID) at
 * TSC `tsc_deadline`, or at the start of the subject's next frame if the deadline falls
 * outside its frames; 0 cancels. Returns 0 or MOAT_ERR_*. */
static inline int moat_timer_set(uint64_t tsc_deadline, unsigned id)
{
    return (int)moat_kcall(MOAT_KCALL_TIMER_SET, tsc_deadline, id);
}

/* The time-stamp counter; moat_sinfo_page->tsc_khz converts it to time. */
static inline uint64_t moat_rdtsc(void)
{
#if __STDC_HOSTED__
    return moat_test_rdtsc();
#else
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
#endif
}

#endif /* MOAT_SUBJECT_H */
