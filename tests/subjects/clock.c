/*
 * Hardware IRQ test subject: owns the RTC's ports and IRQ line 8. Enables the RTC's
 * periodic interrupt, and for each "rtc" event re-enables the line (its unmask-irq
 * event; the kernel masks a line each time it delivers it) and acknowledges the RTC.
 * After COUNT interrupts it reports on COM1 and powers off.
 */
#include "rtc.h"

#define COUNT 10u

int main(void)
{
    unsigned rtc = t_event("rtc", MOAT_RES_IRQ);
    unsigned unmask = t_event("rtc_unmask", MOAT_RES_EVENT_SEND);
    rtc_write(0x0a, (uint8_t)((rtc_read(0x0a) & 0xf0u) | 0x09u)); /* 128 Hz */
    rtc_write(0x0b, (uint8_t)(rtc_read(0x0b) | 0x40u));          /* periodic interrupt */
    moat_event_send(unmask);
    (void)rtc_read(0x0c);
    uint64_t start = moat_rdtsc();
    uint32_t count = 0;
    while (count < COUNT) {
        if (moat_event_wait() == (int)rtc) {
            count++;
            moat_event_send(unmask);
            (void)rtc_read(0x0c);
        }
    }
    uint64_t ms = (moat_rdtsc() - start) / moat_sinfo_page->tsc_khz;
    t_puts("clock: ");
    t_putu(count);
    t_puts(" RTC interrupts in ");
    t_putu(ms);
    t_puts(" ms\n");
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    return 0;
}
