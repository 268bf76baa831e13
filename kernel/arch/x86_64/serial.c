/*
 * The debug console: COM1 (0x3f8), 115200 8N1, polled. Kernel messages and audits only.
 */
#include "x86.h"

#define COM1 0x3f8u

void serial_init(void)
{
    outb(COM1 + 1u, 0x00); /* no interrupts */
    outb(COM1 + 3u, 0x80); /* divisor latch */
    outb(COM1 + 0u, 0x01); /* 115200 baud */
    outb(COM1 + 1u, 0x00);
    outb(COM1 + 3u, 0x03); /* 8N1 */
    outb(COM1 + 2u, 0xc7); /* FIFO on, cleared */
    outb(COM1 + 4u, 0x03); /* DTR, RTS */
}

static void serial_putc(char c)
{
    /* Bounded wait for the transmitter; drop the byte if the UART never frees up. */
    for (uint32_t i = 0; i < 100000u; i++) {
        if ((inb(COM1 + 5u) & 0x20u) != 0u) {
            outb(COM1, (uint8_t)c);
            return;
        }
    }
}

void arch_console_putc(char c)
{
    if (c == '\n') {
        serial_putc('\r');
    }
    serial_putc(c);
}
