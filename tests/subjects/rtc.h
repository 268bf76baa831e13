/*
 * The RTC's registers (CMOS index port 0x70, data 0x71) for test subjects that own those
 * ports; every access keeps NMI disabled (bit 7 of the index).
 */
#ifndef MOAT_TEST_RTC_H
#define MOAT_TEST_RTC_H

#include "testlib.h"

#define RTC_A 0x0au /* rate select (low 4 bits) */
#define RTC_B 0x0bu /* 0x40: periodic interrupt enable */
#define RTC_C 0x0cu /* interrupt flags; reading acknowledges */

static inline uint8_t rtc_read(uint8_t reg)
{
    t_outb(0x70, (uint8_t)(0x80u | reg));
    return t_inb(0x71);
}

static inline void rtc_write(uint8_t reg, uint8_t v)
{
    t_outb(0x70, (uint8_t)(0x80u | reg));
    t_outb(0x71, v);
}

#endif /* MOAT_TEST_RTC_H */
