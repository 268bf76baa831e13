/*
 * I/O port access for subjects the policy grants ports to (<ioport> in the policy; find
 * the range with moat_ioport()). A port outside the grant faults: the kernel's TSS I/O
 * bitmap denies it and the subject's fault action applies.
 */
#ifndef MOAT_IOPORT_H
#define MOAT_IOPORT_H

#include <stdint.h>

static inline void moat_outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t moat_inb(uint16_t port)
{
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline void moat_outl(uint16_t port, uint32_t value)
{
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint32_t moat_inl(uint16_t port)
{
    uint32_t value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

#endif /* MOAT_IOPORT_H */
