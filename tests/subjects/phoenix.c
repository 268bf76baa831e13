/*
 * Restart test subjects, one image. "phoenix" (on-fault restart) checks that each life
 * starts from fresh state (initialised data, zero .bss and memory, clean SSE registers
 * and MXCSR), says so in its log, dirties all of it, waits until the log server has
 * printed its line (t_flush), tells "keeper", and faults in its next frame. "keeper"
 * powers off after hearing of three lives (events coalesce: maybe after more).
 */
#include "testlib.h"

static volatile uint64_t data_value = 42;
static volatile uint64_t bss_value;

static int phoenix(void)
{
    const struct moat_sinfo_resource *scratch = t_resource("scratch", MOAT_RES_MEMORY);
    volatile uint64_t *mem = (volatile uint64_t *)(uintptr_t)scratch->address;
    uint64_t xmm0 = 1;
    uint32_t mxcsr = 0;
    __asm__ volatile("movq %%xmm0, %0\n\tstmxcsr %1" : "=r"(xmm0), "=m"(mxcsr));
    bool fresh = data_value == 42u && bss_value == 0u && mem[0] == 0u && xmm0 == 0u &&
                 mxcsr == 0x1f80u;
    t_puts(fresh ? "phoenix: fresh state\n" : "phoenix: STALE state\n");
    data_value = 7;
    bss_value = 9;
    mem[0] = 0xff;
    __asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\tldmxcsr %0" : : "m"((uint32_t){0x1d80}) : "xmm0");
    /* "born" may let the keeper power off: the line must be out first, whatever the
     * host does to the frames. */
    t_flush();
    moat_event_send(t_event("born", MOAT_RES_EVENT_SEND));
    moat_yield();
    __asm__ volatile("ud2");
    return 0;
}

static int keeper(void)
{
    unsigned done = t_event("done", MOAT_RES_EVENT_SEND);
    for (uint32_t lives = 0; lives < 3u;) {
        if (moat_event_wait() >= 0) {
            lives++;
        }
    }
    moat_event_send(done);
    return 0;
}

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "phoenix")) {
        return phoenix();
    }
    return keeper();
}
